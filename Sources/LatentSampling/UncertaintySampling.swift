import Foundation
import Randomness

/// How unsure a classifier is about one sample, from its class probabilities p
/// (K values summing to 1). Larger is more uncertain.
public enum UncertaintyMeasure: String, Sendable, CaseIterable {
    /// Least confidence: 1 − maxₖ pₖ.
    case leastConfidence = "least-confidence"
    /// Margin: −(p₍₁₎ − p₍₂₎), the negated gap between the two largest probabilities.
    case margin
    /// Entropy: −Σₖ pₖ log pₖ (nats).
    case entropy

    /// The uncertainty score of one row of probabilities.
    public func score(_ probabilities: ArraySlice<Float>) -> Double {
        switch self {
        case .leastConfidence:
            return 1 - Double(probabilities.max() ?? 0)
        case .margin:
            var first = -Double.infinity, second = -Double.infinity
            for p in probabilities.map(Double.init) {
                if p > first { second = first; first = p } else if p > second { second = p }
            }
            return second.isFinite ? -(first - second) : -first
        case .entropy:
            return shannonEntropy(of: probabilities.map(Double.init))
        }
    }
}

/// −Σ pₖ log pₖ in nats, with 0 log 0 = 0.
func shannonEntropy(of probabilities: [Double]) -> Double {
    probabilities.reduce(0) { $1 > 0 ? $0 - $1 * log($1) : $0 }
}

/// Uncertainty sampling: each round, the J candidates the current model is least sure
/// of, by least confidence, margin or entropy (Lewis & Gale, 1994; Scheffer et al., 2001;
/// Settles, 2009).
///
/// Cost per round: one forward pass over the candidates (all unselected pool samples,
/// or a random subset of `candidateLimit`), then a sort. T(1) is uniform, exactly as
/// ``RandomSampling`` draws it with the same seed.
public struct UncertaintySampling<Model: ClassProbabilityModel>: SamplingStrategy {
    /// The pool D with its labels.
    public let pool: LabeledPool<Model.Label>
    /// The uncertainty measure.
    public let measure: UncertaintyMeasure
    /// How many random unselected pool samples are scored per round (`nil`: all).
    public let candidateLimit: Int?

    /// The measure's name: "least-confidence", "margin" or "entropy".
    public var name: String { measure.rawValue }

    /// An uncertainty sampler.
    public init(pool: LabeledPool<Model.Label>, measure: UncertaintyMeasure, candidateLimit: Int? = nil) throws {
        try PoolCandidates.validate(limit: candidateLimit)
        self.pool = pool
        self.measure = measure
        self.candidateLimit = candidateLimit
    }

    /// T(1): uniform.
    public func initialSet(size: Int, using randomness: inout some RandomNumberGenerator) throws -> Increment<Model.Label> {
        try RandomSampling<Model>.initialSet(of: pool, size: size, strategy: name, using: &randomness)
    }

    /// The `size` most uncertain candidates.
    public func increment(
        size: Int, round: Int, trainingSet: LabeledSet<Model.Label>, model: Model,
        using randomness: inout some RandomNumberGenerator
    ) throws -> Increment<Model.Label> {
        let selected = trainingSet.poolIndices
        let candidates = try PoolCandidates.candidates(size: size, poolCount: pool.count, excluding: selected,
                                                       limit: candidateLimit, using: &randomness)
        let probabilities = try model.classProbabilities(pool.samples.selecting(candidates))
        let scores = (0..<candidates.count).map { measure.score(probabilities.row($0)) }
        let chosen = PoolCandidates.top(size, of: scores).map { candidates[$0] }
        return pool.increment(at: chosen, round: round, strategy: name)
    }
}

/// BALD, Bayesian active learning by disagreement (Houlsby et al., 2011), with
/// Monte-Carlo dropout (Gal, Islam & Ghahramani, 2017): the J candidates of largest
/// mutual information between the prediction and the weights,
/// I = H(p̄) − (1/T) Σₜ H(pₜ), where pₜ are the class probabilities of T dropout passes
/// and p̄ their mean.
///
/// Cost per round: T stochastic forward passes over the candidates (for
/// `EngineModels`' networks, one pass to the penultimate layer, then T passes of
/// dropout and the last layer).
public struct BALDSampling<Model: MonteCarloDropoutModel>: SamplingStrategy {
    /// The pool D with its labels.
    public let pool: LabeledPool<Model.Label>
    /// T, the number of dropout passes.
    public let passes: Int
    /// How many random unselected pool samples are scored per round (`nil`: all).
    public let candidateLimit: Int?

    /// "bald".
    public var name: String { "bald" }

    /// A BALD sampler with T = `passes` dropout passes.
    public init(pool: LabeledPool<Model.Label>, passes: Int = 20, candidateLimit: Int? = nil) throws {
        guard passes >= 2 else { throw SamplingError.invalidParameter("BALD needs at least 2 dropout passes, not \(passes)") }
        try PoolCandidates.validate(limit: candidateLimit)
        self.pool = pool
        self.passes = passes
        self.candidateLimit = candidateLimit
    }

    /// The mutual information I = H(p̄) − mean H(pₜ) of each sample, from T passes.
    public static func mutualInformation(_ passes: [FeatureRows]) -> [Double] {
        guard let first = passes.first else { return [] }
        let k = first.columns, t = Double(passes.count)
        return (0..<first.count).map { i in
            var mean = [Double](repeating: 0, count: k)
            var meanEntropy = 0.0
            for pass in passes {
                let row = pass.row(i).map(Double.init)
                for j in 0..<k { mean[j] += row[j] / t }
                meanEntropy += shannonEntropy(of: row) / t
            }
            return shannonEntropy(of: mean) - meanEntropy
        }
    }

    /// T(1): uniform.
    public func initialSet(size: Int, using randomness: inout some RandomNumberGenerator) throws -> Increment<Model.Label> {
        try RandomSampling<Model>.initialSet(of: pool, size: size, strategy: name, using: &randomness)
    }

    /// The `size` candidates of largest mutual information.
    public func increment(
        size: Int, round: Int, trainingSet: LabeledSet<Model.Label>, model: Model,
        using randomness: inout some RandomNumberGenerator
    ) throws -> Increment<Model.Label> {
        let selected = trainingSet.poolIndices
        let candidates = try PoolCandidates.candidates(size: size, poolCount: pool.count, excluding: selected,
                                                       limit: candidateLimit, using: &randomness)
        let samples = try model.dropoutProbabilities(pool.samples.selecting(candidates), passes: passes,
                                                     seed: randomness.next())
        let chosen = PoolCandidates.top(size, of: Self.mutualInformation(samples)).map { candidates[$0] }
        return pool.increment(at: chosen, round: round, strategy: name)
    }
}
