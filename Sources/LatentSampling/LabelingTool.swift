/// The role of an annotator: something that turns samples into labels.
///
/// In the paper's sampling by interpolation (SI, Algorithm 2), synthesized samples
/// G(z') have no label yet; a labeling tool supplies one. A radiologist behind a
/// queue, a lookup in an existing labeled dataset, and a finite-element solver
/// (`VasFEM`'s stress labeler) all fit.
///
/// Labeling may be slow and may fail for some samples and not others. A
/// conformance therefore reports one ``LabelingOutcome`` per sample, in input
/// order, and throws only when the whole batch cannot be attempted (the tool is
/// unavailable, say). One sample's failure never loses the others' labels.
public protocol LabelingTool: Sendable {
    /// What the tool annotates (a mask, an image).
    associatedtype Sample: Sendable
    /// What the tool returns for one sample (a class, a stress map).
    associatedtype Label: Sendable

    /// Annotates a batch of samples.
    ///
    /// - Parameter samples: the samples to annotate.
    /// - Returns: one outcome per sample, in the order of `samples`.
    /// - Throws: only when no sample of the batch could be attempted.
    func label(_ samples: [Sample]) async throws -> [LabelingOutcome<Label>]
}

/// The result of labeling one sample, with what it cost.
public struct LabelingOutcome<Label: Sendable>: Sendable {
    /// The label, or the error that this sample alone raised.
    public var result: Result<Label, any Error>
    /// What labeling this sample cost.
    public var cost: LabelingCost

    /// Creates an outcome from a result and its cost.
    public init(_ result: Result<Label, any Error>, cost: LabelingCost) {
        self.result = result
        self.cost = cost
    }

    /// The label, or `nil` when labeling this sample failed.
    public var label: Label? { try? result.get() }
}

/// The cost of labeling one sample.
///
/// Wall-clock time is always recorded; `units` is the tool's own measure when it
/// has one (Newton iterations for a solver, minutes of an expert's time).
public struct LabelingCost: Sendable, Hashable {
    /// Wall-clock time spent on this sample, in seconds.
    public var seconds: Double
    /// The tool's own cost measure, or `nil`.
    public var units: Double?

    /// Creates a cost record.
    public init(seconds: Double, units: Double? = nil) {
        self.seconds = seconds
        self.units = units
    }
}
