import Randomness

/// SI, sampling by interpolation (the paper's Algorithm 2).
///
/// - Round 1: draw Z(1) i.i.d. from N(0, I), synthesize G(z) and have the labeling
///   tool annotate it.
/// - Round t ≥ 2: take a random subset S of the training set, move its codes
///   z' = z + α·d along the normalized loss gradient (``LatentMove``), synthesize
///   G(z') and label it.
///
/// The generated samples themselves are what the target model trains on; each
/// keeps its code z' in ``Provenance/movedPoint`` so a later round can move it again.
/// A sample whose labeling fails is recorded in ``Increment/failures`` and left
/// out; the others of the batch are kept.
///
/// The labeling tool receives one sample's values (row-major, in the generator's
/// sample shape) and returns the model's label type; wrap a tool whose types
/// differ (a mask type, say) in a small adapter.
public struct InterpolationSampling<Model: TargetModel, SampleGenerator: Generator, Tool: LabelingTool>: SamplingStrategy
where Tool.Sample == [Float], Tool.Label == Model.Label {
    /// The generator G that synthesizes the samples.
    public let generator: SampleGenerator
    /// The tool that labels them.
    public let tool: Tool
    /// The step size α, in latent units.
    public let alpha: Float

    /// "si".
    public var name: String { "si" }

    /// An SI sampler.
    ///
    /// - Throws: ``SamplingError/invalidParameter(_:)`` for a negative or non-finite α;
    ///   ``ConformanceError`` for a generator whose latent dimension or sample shape is not positive.
    public init(generator: SampleGenerator, tool: Tool, alpha: Float) throws {
        guard alpha.isFinite, alpha >= 0 else { throw SamplingError.invalidParameter("step size α = \(alpha) must be finite and ≥ 0") }
        guard generator.latentDimension > 0 else {
            throw ConformanceError(generator, role: "Generator", requirement: "latentDimension",
                                   problem: "is \(generator.latentDimension); it must be positive")
        }
        guard !generator.sampleShape.isEmpty, generator.sampleShape.allSatisfy({ $0 > 0 }) else {
            throw ConformanceError(generator, role: "Generator", requirement: "sampleShape",
                                   problem: "is \(generator.sampleShape); every extent must be positive")
        }
        self.generator = generator
        self.tool = tool
        self.alpha = alpha
    }

    /// T(1): `size` codes z ~ N(0, I), synthesized and labeled.
    public func initialSet(size: Int, using randomness: inout some RandomNumberGenerator) async throws -> Increment<Model.Label> {
        try await priorDraw(size: size, round: 1, using: &randomness)
    }

    /// `size` fresh codes z ~ N(0, I) for round `round`, synthesized and labeled.
    func priorDraw(size: Int, round: Int, using randomness: inout some RandomNumberGenerator) async throws -> Increment<Model.Label> {
        let d = generator.latentDimension
        let codes = LatentPoints(dimension: d, values: (0..<size * d).map { _ in randomness.nextNormal() })
        return try await synthesizeAndLabel(codes, startingFrom: nil, round: round)
    }

    /// G(z') for J moved codes, labeled by the tool.
    ///
    /// When the training set is still empty (every earlier labeling failed), there is no
    /// code to move from, and the round draws fresh codes from the prior instead.
    public func increment(
        size: Int, round: Int, trainingSet: LabeledSet<Model.Label>, model: Model,
        using randomness: inout some RandomNumberGenerator
    ) async throws -> Increment<Model.Label> {
        guard trainingSet.count > 0 else { return try await priorDraw(size: size, round: round, using: &randomness) }
        let positions = RandomChoice.subset(count: size, of: trainingSet.count, using: &randomness)
        var codes: [Float] = []
        for position in positions {
            guard let code = trainingSet.provenance[position].movedPoint else {
                throw SamplingError.missingLatentCode(sampleIndex: position)
            }
            guard code.count == generator.latentDimension else {
                throw SamplingError.invalidParameter("training sample \(position) has a latent code of dimension "
                    + "\(code.count), the generator \(generator.latentDimension)")
            }
            codes += code
        }
        let move = try LatentMove(from: LatentPoints(dimension: generator.latentDimension, values: codes),
                                  labels: positions.map { trainingSet.labels[$0] },
                                  alpha: alpha, generator: generator, model: model)
        return try await synthesizeAndLabel(move.moved, startingFrom: move.start, round: round)
    }

    private func synthesizeAndLabel(
        _ codes: LatentPoints, startingFrom seeds: LatentPoints?, round: Int
    ) async throws -> Increment<Model.Label> {
        let samples = try generator.checkedGenerate(codes)
        let outcomes = try await tool.checkedLabel((0..<samples.count).map { samples.sample(at: $0) })
        var added = LabeledSet<Model.Label>(sampleShape: samples.sampleShape)
        var failures: [FailedSample] = []
        for (i, outcome) in outcomes.enumerated() {
            let record = Provenance(round: round, strategy: name, seedPoint: seeds?.point(at: i),
                                    movedPoint: codes.point(at: i), labelingCost: outcome.cost)
            switch outcome.result {
            case let .success(label): added.append(sample: samples.sample(at: i), label: label, provenance: record)
            case let .failure(error): failures.append(FailedSample(provenance: record, reason: "\(error)"))
            }
        }
        return Increment(added: added, failures: failures)
    }
}

/// SI's random baseline: every round draws fresh codes z ~ N(0, I), synthesizes G(z)
/// and labels it, with no gradient. With the same seed its T(1) equals SI's.
public struct PriorSampling<Model: TargetModel, SampleGenerator: Generator, Tool: LabelingTool>: SamplingStrategy
where Tool.Sample == [Float], Tool.Label == Model.Label {
    private let synthesis: InterpolationSampling<Model, SampleGenerator, Tool>

    /// "random-prior".
    public var name: String { "random-prior" }

    /// A prior sampler through `generator`, labeled by `tool`.
    public init(generator: SampleGenerator, tool: Tool) throws {
        synthesis = try InterpolationSampling(generator: generator, tool: tool, alpha: 0)
    }

    /// T(1): as SI's.
    public func initialSet(size: Int, using randomness: inout some RandomNumberGenerator) async throws -> Increment<Model.Label> {
        try await relabeled(synthesis.priorDraw(size: size, round: 1, using: &randomness))
    }

    /// `size` fresh prior draws.
    public func increment(
        size: Int, round: Int, trainingSet: LabeledSet<Model.Label>, model: Model,
        using randomness: inout some RandomNumberGenerator
    ) async throws -> Increment<Model.Label> {
        try await relabeled(synthesis.priorDraw(size: size, round: round, using: &randomness))
    }

    /// Records this strategy's name in the provenance.
    private func relabeled(_ increment: Increment<Model.Label>) -> Increment<Model.Label> {
        var records = increment.added.provenance
        for i in records.indices { records[i].strategy = name }
        var failures = increment.failures
        for i in failures.indices { failures[i].provenance.strategy = name }
        return Increment(added: LabeledSet(checkedSamples: increment.added.samples, labels: increment.added.labels,
                                           provenance: records), failures: failures)
    }
}
