import Randomness

/// The role of a sampling strategy: chooses which samples to label next.
///
/// A strategy supplies the initial training set T(1) and, each later round t, an
/// increment of up to J samples that the progressive trainer adds to T(t).
public protocol SamplingStrategy<Model> {
    /// The target model F the strategy mines samples for.
    associatedtype Model: TargetModel

    /// A short name used in logs and results files ("random", "snn", "si").
    var name: String { get }

    /// Chooses and labels the initial training set T(1) of `size` samples.
    func initialSet(size: Int, using randomness: inout some RandomNumberGenerator) async throws -> Increment<Model.Label>

    /// Chooses and labels up to `size` new samples for round `round` (t ≥ 2), given
    /// the training set so far and the model trained on it.
    func increment(
        size: Int, round: Int, trainingSet: LabeledSet<Model.Label>, model: Model,
        using randomness: inout some RandomNumberGenerator
    ) async throws -> Increment<Model.Label>
}

/// Why a strategy could not choose samples.
public enum SamplingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// More samples were requested than the pool has left unselected.
    case poolExhausted(requested: Int, available: Int)
    /// The training set is empty, so there is no sample to move from.
    case emptyTrainingSet
    /// A sample of the training set has no latent code to move from (SI needs one).
    case missingLatentCode(sampleIndex: Int)
    /// A parameter is out of its range.
    case invalidParameter(String)

    /// A one-line message naming what was wrong.
    public var description: String {
        switch self {
        case let .poolExhausted(requested, available):
            return "requested \(requested) new pool samples but only \(available) remain unselected"
        case .emptyTrainingSet:
            return "the training set is empty; there is no sample to move from"
        case let .missingLatentCode(index):
            return "training sample \(index) has no latent code (provenance.movedPoint) to move from"
        case let .invalidParameter(message):
            return message
        }
    }
}

/// Uniform random choices shared by the strategies.
enum RandomChoice {
    /// `count` distinct integers of `0..<upperBound` that are not in `excluded`,
    /// uniformly at random, in the order drawn.
    static func indices(
        count: Int, below upperBound: Int, excluding excluded: Set<Int>,
        using randomness: inout some RandomNumberGenerator
    ) throws -> [Int] {
        let candidates = (0..<upperBound).filter { !excluded.contains($0) }
        guard count <= candidates.count else {
            throw SamplingError.poolExhausted(requested: count, available: candidates.count)
        }
        return partialShuffle(candidates, first: count, using: &randomness)
    }

    /// The first `count` elements of a uniformly random permutation of `items`
    /// (a partial Fisher–Yates shuffle).
    static func partialShuffle<T>(_ items: [T], first count: Int, using randomness: inout some RandomNumberGenerator) -> [T] {
        var items = items
        for i in 0..<min(count, items.count) {
            let j = i + Int(randomness.next() % UInt64(items.count - i))
            items.swapAt(i, j)
        }
        return Array(items.prefix(count))
    }

    /// The seed subset S: `count` positions of a set of `setSize` samples, without
    /// repetition while possible. When `count` exceeds the set, every sample is used
    /// once per full pass and the last pass is a random subset.
    static func subset(count: Int, of setSize: Int, using randomness: inout some RandomNumberGenerator) -> [Int] {
        var chosen: [Int] = []
        chosen.reserveCapacity(count)
        while chosen.count < count {
            chosen += partialShuffle(Array(0..<setSize), first: min(setSize, count - chosen.count), using: &randomness)
        }
        return chosen
    }
}
