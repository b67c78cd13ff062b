import Randomness

/// The unselected pool samples a strategy scores in one round.
///
/// Scoring all 60,000 pool samples every round costs a forward pass over the pool;
/// like baal and DeepAL+, the strategies here may instead score a uniformly random
/// subset of the unselected pool each round (`limit` samples), drawn from the round's
/// own seeded generator so that a run stays reproducible.
enum PoolCandidates {
    /// Unselected pool indices: all of them in increasing order when `limit` is `nil` or
    /// not smaller than their number, else `limit` of them uniformly at random (sorted).
    static func draw(poolCount: Int, excluding selected: Set<Int>, limit: Int?,
                     using randomness: inout some RandomNumberGenerator) -> [Int] {
        let unselected = (0..<poolCount).filter { !selected.contains($0) }
        guard let limit, limit < unselected.count else { return unselected }
        return RandomChoice.partialShuffle(unselected, first: limit, using: &randomness).sorted()
    }

    /// The candidates of one round: checks that `size` new samples can be drawn from a pool
    /// of `poolCount` with `selected` taken (``checkAvailable(size:poolCount:selected:)``),
    /// then draws them (``draw(poolCount:excluding:limit:using:)``).
    static func candidates(size: Int, poolCount: Int, excluding selected: Set<Int>, limit: Int?,
                           using randomness: inout some RandomNumberGenerator) throws -> [Int] {
        try checkAvailable(size: size, poolCount: poolCount, selected: selected)
        return draw(poolCount: poolCount, excluding: selected, limit: limit, using: &randomness)
    }

    /// Checks that `size` new samples can be drawn from a pool of `poolCount` with
    /// `selected` taken.
    static func checkAvailable(size: Int, poolCount: Int, selected: Set<Int>) throws {
        let available = poolCount - selected.count
        guard size <= available else { throw SamplingError.poolExhausted(requested: size, available: available) }
    }

    /// The positions of the `count` largest scores, largest first; ties go to the
    /// smaller position.
    static func top(_ count: Int, of scores: [Double]) -> [Int] {
        Array(scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }.prefix(count))
    }

    /// Checks that a candidate limit, if any, is positive.
    static func validate(limit: Int?) throws {
        if let limit, limit <= 0 { throw SamplingError.invalidParameter("candidate limit \(limit) must be positive") }
    }
}

extension LabeledPool {
    /// The pool samples at `indices` as one increment of round `round` by `strategy`.
    func increment(at indices: [Int], round: Int, strategy: String) -> Increment<Label> {
        Increment(added: labeledSet(at: indices) { _, index in
            Provenance(round: round, strategy: strategy, poolIndex: index)
        })
    }
}
