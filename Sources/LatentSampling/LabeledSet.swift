/// Where a labeled sample came from: the record the paper's experiments need to
/// explain which samples each strategy mined, and at what cost.
public struct Provenance: Sendable, Hashable {
    /// The round t in which the sample joined the training set (1 = the initial set T(1)).
    public var round: Int
    /// The strategy that chose it ("random", "snn", "si").
    public var strategy: String
    /// Its index in the pool D, or `nil` for a synthesized sample (SI).
    public var poolIndex: Int?
    /// The latent point the move started from (p for SNN, z for SI), or `nil`.
    public var seedPoint: [Float]?
    /// The moved point (p' for SNN; for SI, z' — the code of the synthesized sample,
    /// or the drawn z in round 1), or `nil`.
    public var movedPoint: [Float]?
    /// SNN: the Euclidean distance in latent space from p' to the chosen neighbour.
    public var neighborDistance: Float?
    /// What labeling the sample cost, when a labeling tool was asked.
    public var labelingCost: LabelingCost?

    /// Creates a provenance record.
    public init(round: Int, strategy: String, poolIndex: Int? = nil, seedPoint: [Float]? = nil,
                movedPoint: [Float]? = nil, neighborDistance: Float? = nil, labelingCost: LabelingCost? = nil) {
        self.round = round
        self.strategy = strategy
        self.poolIndex = poolIndex
        self.seedPoint = seedPoint
        self.movedPoint = movedPoint
        self.neighborDistance = neighborDistance
        self.labelingCost = labelingCost
    }
}

/// Labeled samples with their provenance: the training set T(t), or one round's increment.
public struct LabeledSet<Label: Sendable>: Sendable {
    /// The samples.
    public private(set) var samples: SampleBatch
    /// One label per sample.
    public private(set) var labels: [Label]
    /// One provenance record per sample.
    public private(set) var provenance: [Provenance]

    /// The number of labeled samples.
    public var count: Int { labels.count }

    /// An empty set of samples of the given shape.
    public init(sampleShape: [Int]) {
        samples = SampleBatch(sampleShape: sampleShape)
        labels = []
        provenance = []
    }

    /// A set from matching samples, labels and provenance records.
    public init(samples: SampleBatch, labels: [Label], provenance: [Provenance]) {
        precondition(samples.count == labels.count && labels.count == provenance.count,
                     "\(samples.count) samples, \(labels.count) labels and \(provenance.count) provenance records")
        self.samples = samples
        self.labels = labels
        self.provenance = provenance
    }

    /// The pool indices of the samples that came from the pool.
    public var poolIndices: Set<Int> { Set(provenance.compactMap(\.poolIndex)) }

    /// Appends one labeled sample.
    public mutating func append(sample: [Float], label: Label, provenance record: Provenance) {
        samples.append(sample: sample)
        labels.append(label)
        provenance.append(record)
    }

    /// Appends every sample of `other`.
    public mutating func append(contentsOf other: LabeledSet<Label>) {
        samples.append(contentsOf: other.samples)
        labels.append(contentsOf: other.labels)
        provenance.append(contentsOf: other.provenance)
    }
}

/// A sample a strategy chose but could not add, because labeling it failed.
public struct FailedSample: Sendable, Hashable {
    /// Where it came from.
    public var provenance: Provenance
    /// What went wrong, as the labeling tool reported it.
    public var reason: String

    /// Creates a failure record.
    public init(provenance: Provenance, reason: String) {
        self.provenance = provenance
        self.reason = reason
    }
}

/// What one round of sampling adds: the newly labeled samples, and those whose
/// labeling failed (kept as a record; they do not enter the training set).
public struct Increment<Label: Sendable>: Sendable {
    /// The newly labeled samples.
    public var added: LabeledSet<Label>
    /// Chosen samples whose labeling failed.
    public var failures: [FailedSample]

    /// Creates an increment.
    public init(added: LabeledSet<Label>, failures: [FailedSample] = []) {
        self.added = added
        self.failures = failures
    }
}

/// The pool D: real samples whose labels can be looked up (SNN, random sampling).
public struct LabeledPool<Label: Sendable>: Sendable {
    /// All pool samples.
    public let samples: SampleBatch
    /// One label per pool sample.
    public let labels: [Label]

    /// The number of pool samples.
    public var count: Int { labels.count }

    /// Creates a pool from matching samples and labels.
    public init(samples: SampleBatch, labels: [Label]) {
        precondition(samples.count == labels.count, "\(samples.count) pool samples but \(labels.count) labels")
        self.samples = samples
        self.labels = labels
    }

    /// The pool samples at `indices` as a labeled set, each recorded with `provenance(index)`.
    func labeledSet(at indices: [Int], provenance: (Int, Int) -> Provenance) -> LabeledSet<Label> {
        LabeledSet(samples: samples.selecting(indices),
                   labels: indices.map { labels[$0] },
                   provenance: indices.enumerated().map { provenance($0.offset, $0.element) })
    }
}
