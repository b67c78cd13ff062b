import Randomness

/// Core-set sampling (Sener & Savarese, 2018), the k-center greedy variant: each
/// round, repeatedly take the candidate farthest (Euclidean, in the target model's
/// penultimate embedding h(x)) from every labeled sample and every sample taken so
/// far, J times. The greedy choice is a 2-approximation of the k-center problem: the
/// largest distance from any candidate to its nearest chosen or labeled point (the
/// cover radius) is at most twice the best possible.
///
/// Cost per round: one forward pass over the candidates and the training set, the
/// nearest-labeled distance of every candidate (in blocks of rows, never an N×N
/// matrix), then J passes of O(candidates × D).
public struct CoreSetSampling<Model: EmbeddingModel>: SamplingStrategy {
    /// The pool D with its labels.
    public let pool: LabeledPool<Model.Label>
    /// How many random unselected pool samples are scored per round (`nil`: all).
    public let candidateLimit: Int?

    /// "coreset".
    public var name: String { "coreset" }

    /// A core-set sampler.
    public init(pool: LabeledPool<Model.Label>, candidateLimit: Int? = nil) throws {
        try PoolCandidates.validate(limit: candidateLimit)
        self.pool = pool
        self.candidateLimit = candidateLimit
    }

    /// T(1): uniform.
    public func initialSet(size: Int, using randomness: inout some RandomNumberGenerator) throws -> Increment<Model.Label> {
        try RandomSampling<Model>.initialSet(of: pool, size: size, strategy: name, using: &randomness)
    }

    /// `size` candidates by k-center greedy around the training set.
    public func increment(
        size: Int, round: Int, trainingSet: LabeledSet<Model.Label>, model: Model,
        using randomness: inout some RandomNumberGenerator
    ) throws -> Increment<Model.Label> {
        let selected = trainingSet.poolIndices
        let candidates = try PoolCandidates.candidates(size: size, poolCount: pool.count, excluding: selected,
                                                       limit: candidateLimit, using: &randomness)
        let features = try model.embeddingsAndProbabilities(pool.samples.selecting(candidates)).embeddings
        let centers = try model.embeddingsAndProbabilities(trainingSet.samples).embeddings
        let chosen = features.kCenterGreedy(count: size, around: centers).rows.map { candidates[$0] }
        return pool.increment(at: chosen, round: round, strategy: name)
    }
}

/// BADGE, batch active learning by diverse gradient embeddings (Ash et al., 2020): each
/// candidate is embedded as the gradient of the cross-entropy at its predicted label
/// with respect to the last layer's weights, g = (p − e_ŷ) ⊗ h; J candidates are then
/// chosen by k-means++ seeding over these embeddings (the first is the one of largest
/// ‖g‖, each next one drawn with probability ∝ its squared distance to the nearest one
/// chosen). Large ‖g‖ means uncertain; the D² sampling spreads the batch out, so
/// duplicates of a chosen sample are never chosen again.
///
/// Cost per round: one forward pass over the candidates, then J passes of
/// O(candidates × (K + D)): distances use the factored form
/// ‖g − g'‖² = ‖a‖²‖h‖² + ‖a'‖²‖h'‖² − 2(a·a')(h·h'), never the K·D vectors.
public struct BADGESampling<Model: EmbeddingModel>: SamplingStrategy {
    /// The pool D with its labels.
    public let pool: LabeledPool<Model.Label>
    /// How many random unselected pool samples are scored per round (`nil`: all).
    public let candidateLimit: Int?

    /// "badge".
    public var name: String { "badge" }

    /// A BADGE sampler.
    public init(pool: LabeledPool<Model.Label>, candidateLimit: Int? = nil) throws {
        try PoolCandidates.validate(limit: candidateLimit)
        self.pool = pool
        self.candidateLimit = candidateLimit
    }

    /// k-means++ seeding over the embeddings gᵢ = aᵢ ⊗ hᵢ: `count` distinct rows, the
    /// first of largest ‖g‖ (ties: the smaller row), each next drawn with probability
    /// ∝ D², the squared distance to the nearest row chosen (uniformly among the rest
    /// when every D² is zero).
    public static func kMeansPlusPlus(logitGradients a: FeatureRows, embeddings h: FeatureRows, count: Int,
                                      using randomness: inout some RandomNumberGenerator) -> [Int] {
        precondition(a.count == h.count, "\(a.count) logit gradients for \(h.count) embeddings")
        let n = a.count
        guard n > 0, count > 0 else { return [] }
        let aNorms = a.squaredNorms, hNorms = h.squaredNorms
        let norms = (0..<n).map { Double(aNorms[$0]) * Double(hNorms[$0]) }
        func distances(to c: Int) -> [Double] {
            let ac = a.squaredDistances(to: c, of: a), hc = h.squaredDistances(to: c, of: h)
            return (0..<n).map { i in
                // a·a' = (‖a‖² + ‖a'‖² − ‖a − a'‖²) / 2, likewise for h.
                let ad = (Double(aNorms[i]) + Double(aNorms[c]) - Double(ac[i])) / 2
                let hd = (Double(hNorms[i]) + Double(hNorms[c]) - Double(hc[i])) / 2
                return max(0, norms[i] + norms[c] - 2 * ad * hd)
            }
        }
        var first = 0
        for i in 0..<n where norms[i] > norms[first] { first = i }
        var chosen = [first], taken = Set([first])
        var nearest = distances(to: first)
        while chosen.count < min(count, n) {
            for c in taken { nearest[c] = 0 }
            let total = nearest.reduce(0, +)
            var next: Int
            if total > 0 {
                var target = Double(randomness.nextUniform()) * total
                next = nearest.lastIndex { $0 > 0 }!
                for i in 0..<n where nearest[i] > 0 {
                    target -= nearest[i]
                    if target < 0 { next = i; break }
                }
            } else {
                let rest = (0..<n).filter { !taken.contains($0) }
                next = rest[Int(randomness.next() % UInt64(rest.count))]
            }
            chosen.append(next)
            taken.insert(next)
            let update = distances(to: next)
            for i in 0..<n where update[i] < nearest[i] { nearest[i] = update[i] }
        }
        return chosen
    }

    /// T(1): uniform.
    public func initialSet(size: Int, using randomness: inout some RandomNumberGenerator) throws -> Increment<Model.Label> {
        try RandomSampling<Model>.initialSet(of: pool, size: size, strategy: name, using: &randomness)
    }

    /// `size` candidates by k-means++ over gradient embeddings.
    public func increment(
        size: Int, round: Int, trainingSet: LabeledSet<Model.Label>, model: Model,
        using randomness: inout some RandomNumberGenerator
    ) throws -> Increment<Model.Label> {
        let selected = trainingSet.poolIndices
        let candidates = try PoolCandidates.candidates(size: size, poolCount: pool.count, excluding: selected,
                                                       limit: candidateLimit, using: &randomness)
        let factors = try model.gradientEmbeddingFactors(pool.samples.selecting(candidates))
        let chosen = Self.kMeansPlusPlus(logitGradients: factors.logitGradients, embeddings: factors.embeddings,
                                         count: size, using: &randomness).map { candidates[$0] }
        return pool.increment(at: chosen, round: round, strategy: name)
    }
}
