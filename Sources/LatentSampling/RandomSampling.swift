import Randomness

/// The baseline: each round, J pool samples drawn uniformly among those not yet selected.
public struct RandomSampling<Model: TargetModel>: SamplingStrategy {
    /// The pool D with its labels.
    public let pool: LabeledPool<Model.Label>

    /// "random".
    public var name: String { "random" }

    /// A random sampler over `pool`.
    public init(pool: LabeledPool<Model.Label>) {
        self.pool = pool
    }

    /// T(1): `size` pool samples drawn uniformly. Every pool-based strategy draws T(1)
    /// this way, so the same seed gives every strategy the same initial set.
    public func initialSet(size: Int, using randomness: inout some RandomNumberGenerator) throws -> Increment<Model.Label> {
        try Self.initialSet(of: pool, size: size, strategy: name, using: &randomness)
    }

    /// `size` pool samples drawn uniformly among those not in the training set.
    public func increment(
        size: Int, round: Int, trainingSet: LabeledSet<Model.Label>, model: Model,
        using randomness: inout some RandomNumberGenerator
    ) throws -> Increment<Model.Label> {
        let indices = try RandomChoice.indices(count: size, below: pool.count,
                                               excluding: trainingSet.poolIndices, using: &randomness)
        return Increment(added: pool.labeledSet(at: indices) { _, index in
            Provenance(round: round, strategy: name, poolIndex: index)
        })
    }

    /// The shared initial draw of pool-based strategies.
    static func initialSet(
        of pool: LabeledPool<Model.Label>, size: Int, strategy: String, using randomness: inout some RandomNumberGenerator
    ) throws -> Increment<Model.Label> {
        let indices = try RandomChoice.indices(count: size, below: pool.count, excluding: [], using: &randomness)
        return Increment(added: pool.labeledSet(at: indices) { _, index in
            Provenance(round: 1, strategy: strategy, poolIndex: index)
        })
    }
}
