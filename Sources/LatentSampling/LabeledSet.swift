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
    ///
    /// - Throws: ``CountMismatchError`` when the three counts differ.
    public init(samples: SampleBatch, labels: [Label], provenance: [Provenance]) throws(CountMismatchError) {
        guard samples.count == labels.count && labels.count == provenance.count else {
            throw CountMismatchError(of: "labeled set", samples: samples.count, labels: labels.count,
                                     provenanceRecords: provenance.count)
        }
        self.init(checkedSamples: samples, labels: labels, provenance: provenance)
    }

    /// A set from samples, labels and provenance records the caller has already matched.
    init(checkedSamples samples: SampleBatch, labels: [Label], provenance: [Provenance]) {
        assert(samples.count == labels.count && labels.count == provenance.count)
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
    ///
    /// - Throws: ``CountMismatchError`` when there are not as many labels as samples.
    public init(samples: SampleBatch, labels: [Label]) throws(CountMismatchError) {
        guard samples.count == labels.count else {
            throw CountMismatchError(of: "pool", samples: samples.count, labels: labels.count)
        }
        self.samples = samples
        self.labels = labels
    }

    /// The pool samples at `indices` as a labeled set, each recorded with `provenance(index)`.
    func labeledSet(at indices: [Int], provenance: (Int, Int) -> Provenance) -> LabeledSet<Label> {
        LabeledSet(checkedSamples: samples.selecting(indices),
                   labels: indices.map { labels[$0] },
                   provenance: indices.enumerated().map { provenance($0.offset, $0.element) })
    }
}

/// Samples and labels (and provenance records) handed to the core whose counts differ:
/// every sample needs exactly one label.
public struct CountMismatchError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was being built: "test set", "pool", "labeled set".
    public var container: String
    /// The number of samples.
    public var samples: Int
    /// The number of labels.
    public var labels: Int
    /// The number of provenance records, where there are any.
    public var provenanceRecords: Int?

    /// An error for a `container` of `samples` samples, `labels` labels and, for a
    /// labeled set, `provenanceRecords` provenance records.
    public init(of container: String, samples: Int, labels: Int, provenanceRecords: Int? = nil) {
        self.container = container
        self.samples = samples
        self.labels = labels
        self.provenanceRecords = provenanceRecords
    }

    /// A one-line message naming the container and the counts.
    public var description: String {
        let records = provenanceRecords.map { " and \($0) provenance records" } ?? ""
        return "a \(container) needs one label per sample: got \(samples) samples, \(labels) labels\(records)"
    }
}
