/// A conformance to one of the core's roles (``LatentEncoder``, ``Generator``, ``TargetModel``,
/// ``LabelingTool``, ``SamplingStrategy``) returned something that breaks the role's
/// contract: the wrong number of results, or results of the wrong shape.
///
/// The core checks every value a conformance returns where it enters, and throws this
/// error instead of stopping the process, so a bug in a user's own type fails the run
/// with a message naming the type and the requirement.
public struct ConformanceError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The conforming type, as `String(describing: type(of:))` writes it, e.g. `"ExpertPanel"`.
    public var conformingType: String
    /// The role, e.g. `"LabelingTool"`.
    public var role: String
    /// The requirement that returned the value, e.g. `"label(_:)"`.
    public var requirement: String
    /// What was wrong, e.g. `"returned 3 outcomes for 4 samples"`.
    public var problem: String

    /// An error for `value`'s conformance to `role`.
    public init(_ value: Any, role: String, requirement: String, problem: String) {
        self.conformingType = String(describing: type(of: value))
        self.role = role
        self.requirement = requirement
        self.problem = problem
    }

    /// A one-line message naming the type, the role, the requirement and the problem.
    public var description: String {
        "\(conformingType) (a \(role)): \(requirement) \(problem)"
    }
}

// The checked calls the core makes into conformances.

extension LatentEncoder {
    /// `encode(_:)`, checked to return one point of dimension ``latentDimension`` per sample.
    func checkedEncode(_ samples: SampleBatch) throws -> LatentPoints {
        let codes = try encode(samples)
        guard codes.count == samples.count, codes.dimension == latentDimension else {
            throw ConformanceError(self, role: "LatentEncoder", requirement: "encode(_:)", problem:
                "returned \(codes.count) points of dimension \(codes.dimension) for \(samples.count) samples "
                + "(expected \(samples.count) of dimension \(latentDimension), its latentDimension)")
        }
        return codes
    }
}

extension Generator {
    /// `generate(_:)`, checked to return one sample of shape ``sampleShape`` per code.
    func checkedGenerate(_ codes: LatentPoints) throws -> SampleBatch {
        guard codes.dimension == latentDimension else {
            throw ConformanceError(self, role: "Generator", requirement: "latentDimension", problem:
                "is \(latentDimension), but the codes to generate from have dimension \(codes.dimension)")
        }
        let samples = try generate(codes)
        guard samples.count == codes.count, samples.sampleShape == sampleShape else {
            throw ConformanceError(self, role: "Generator", requirement: "generate(_:)", problem:
                "returned \(samples.count) samples of shape \(samples.sampleShape) for \(codes.count) codes "
                + "(expected \(codes.count) of shape \(sampleShape), its sampleShape)")
        }
        return samples
    }

    /// `pullback(at:cotangent:)`, checked to return one point of the codes' dimension per code.
    func checkedPullback(at codes: LatentPoints, cotangent: SampleBatch) throws -> LatentPoints {
        let gradient = try pullback(at: codes, cotangent: cotangent)
        guard gradient.count == codes.count, gradient.dimension == codes.dimension else {
            throw ConformanceError(self, role: "Generator", requirement: "pullback(at:cotangent:)", problem:
                "returned \(gradient.count) points of dimension \(gradient.dimension) for \(codes.count) codes "
                + "of dimension \(codes.dimension)")
        }
        return gradient
    }
}

extension TargetModel {
    /// `lossAndInputGradient(at:labels:)`, checked to return one loss per sample and a
    /// gradient of the samples' shape.
    func checkedLossAndInputGradient(
        at samples: SampleBatch, labels: [Label]
    ) throws -> (losses: [Float], inputGradient: SampleBatch) {
        let (losses, gradient) = try lossAndInputGradient(at: samples, labels: labels)
        guard losses.count == samples.count else {
            throw ConformanceError(self, role: "TargetModel", requirement: "lossAndInputGradient(at:labels:)", problem:
                "returned \(losses.count) losses for \(samples.count) samples")
        }
        guard gradient.count == samples.count, gradient.sampleShape == samples.sampleShape else {
            throw ConformanceError(self, role: "TargetModel", requirement: "lossAndInputGradient(at:labels:)", problem:
                "returned a gradient of \(gradient.count) samples of shape \(gradient.sampleShape) for "
                + "\(samples.count) samples of shape \(samples.sampleShape)")
        }
        return (losses, gradient)
    }
}

extension LabelingTool {
    /// `label(_:)`, checked to return exactly one outcome per sample.
    func checkedLabel(_ samples: [Sample]) async throws -> [LabelingOutcome<Label>] {
        let outcomes = try await label(samples)
        guard outcomes.count == samples.count else {
            throw ConformanceError(self, role: "LabelingTool", requirement: "label(_:)", problem:
                "returned \(outcomes.count) outcomes for \(samples.count) samples (one per sample is required)")
        }
        return outcomes
    }
}

/// Checks an increment a strategy returned before the trainer adds it to the training set.
func checkIncrement<Label>(
    _ increment: Increment<Label>, of strategy: Any, requirement: String,
    sampleShape: [Int], requested: Int
) throws {
    let added = increment.added
    guard added.samples.sampleShape == sampleShape else {
        throw ConformanceError(strategy, role: "SamplingStrategy", requirement: requirement, problem:
            "returned samples of shape \(added.samples.sampleShape) for a training set of shape \(sampleShape)")
    }
    guard added.count <= requested else {
        throw ConformanceError(strategy, role: "SamplingStrategy", requirement: requirement, problem:
            "returned \(added.count) samples where at most \(requested) were requested")
    }
}
