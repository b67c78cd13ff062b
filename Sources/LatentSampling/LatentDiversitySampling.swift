import Randomness

/// Margin sampling made diverse in the generative model's latent space
/// ("margin-latent"): each round, the `shortlistFactor`·J candidates of smallest
/// margin p₍₁₎ − p₍₂₎ form a shortlist; J of them are then chosen by k-center greedy on
/// their latent codes E(x) (Euclidean), around the codes of the training set. The
/// shortlist keeps what uncertainty finds; the latent spread stops a batch from
/// piling up on one confusable pair of classes, which the target's own features do
/// not see once it is confidently wrong.
///
/// Cost per round: one forward pass over the candidates, a sort, and k-center greedy
/// over shortlist × d (microseconds for d ≤ 32).
public struct MarginLatentDiverseSampling<Model: ClassProbabilityModel>: SamplingStrategy {
    /// The pool D with its labels.
    public let pool: LabeledPool<Model.Label>
    /// The embedded pool E(D), one code per pool sample.
    public let poolCodes: FeatureRows
    /// The shortlist holds `shortlistFactor` × J candidates (≥ 1).
    public let shortlistFactor: Int
    /// How many random unselected pool samples are scored per round (`nil`: all).
    public let candidateLimit: Int?

    /// "margin-latent".
    public var name: String { "margin-latent" }

    /// A sampler over a pool whose codes E(D) are already computed.
    public init(pool: LabeledPool<Model.Label>, poolCodes: LatentPoints, shortlistFactor: Int = 5,
                candidateLimit: Int? = nil) throws {
        guard poolCodes.count == pool.count else {
            throw SamplingError.invalidParameter("\(poolCodes.count) pool codes for a pool of \(pool.count) samples")
        }
        guard shortlistFactor >= 1 else { throw SamplingError.invalidParameter("shortlist factor \(shortlistFactor) must be ≥ 1") }
        try PoolCandidates.validate(limit: candidateLimit)
        self.pool = pool
        self.poolCodes = FeatureRows(poolCodes)
        self.shortlistFactor = shortlistFactor
        self.candidateLimit = candidateLimit
    }

    /// T(1): uniform.
    public func initialSet(size: Int, using randomness: inout some RandomNumberGenerator) throws -> Increment<Model.Label> {
        try RandomSampling<Model>.initialSet(of: pool, size: size, strategy: name, using: &randomness)
    }

    /// J latent-diverse samples of the margin shortlist.
    public func increment(
        size: Int, round: Int, trainingSet: LabeledSet<Model.Label>, model: Model,
        using randomness: inout some RandomNumberGenerator
    ) throws -> Increment<Model.Label> {
        let selected = trainingSet.poolIndices
        let candidates = try PoolCandidates.candidates(size: size, poolCount: pool.count, excluding: selected,
                                                       limit: candidateLimit, using: &randomness)
        let probabilities = try model.classProbabilities(pool.samples.selecting(candidates))
        let scores = (0..<candidates.count).map { UncertaintyMeasure.margin.score(probabilities.row($0)) }
        let shortlist = PoolCandidates.top(size * shortlistFactor, of: scores).map { candidates[$0] }
        let centers = poolCodes.selecting(trainingSet.provenance.compactMap(\.poolIndex))
        let chosen = poolCodes.selecting(shortlist).kCenterGreedy(count: size, around: centers).rows.map { shortlist[$0] }
        return pool.increment(at: chosen, round: round, strategy: name)
    }
}

/// SNN with a diverse batch ("snn-diverse"): the paper's move p' = p + α·d from
/// `oversampling`·J seeds of the training set, each p' taking its nearest unselected
/// pool sample (distinct, as in ``NearestNeighborSampling``); J of these neighbours are
/// then chosen by k-center greedy on their codes E(x), around the training set's codes.
/// The move supplies hard samples, the greedy spread keeps them from crowding where
/// the gradients all point.
///
/// Cost per round: the latent move of `oversampling`·J points (one pass through G and
/// F and back), `oversampling`·J k-d tree queries, and k-center greedy over
/// `oversampling`·J × d.
public struct DiverseNearestNeighborSampling<Model: TargetModel, SampleGenerator: Generator>: SamplingStrategy {
    /// The paper's SNN, whose move and neighbour search this strategy reuses.
    public let snn: NearestNeighborSampling<Model, SampleGenerator>
    /// Seeds moved per chosen sample (≥ 1).
    public let oversampling: Int

    /// "snn-diverse".
    public var name: String { "snn-diverse" }

    /// A diverse SNN sampler.
    public init(snn: NearestNeighborSampling<Model, SampleGenerator>, oversampling: Int = 4) throws {
        guard oversampling >= 1 else { throw SamplingError.invalidParameter("oversampling \(oversampling) must be ≥ 1") }
        self.snn = snn
        self.oversampling = oversampling
    }

    /// T(1): uniform.
    public func initialSet(size: Int, using randomness: inout some RandomNumberGenerator) throws -> Increment<Model.Label> {
        try RandomSampling<Model>.initialSet(of: snn.pool, size: size, strategy: name, using: &randomness)
    }

    /// J latent-diverse nearest neighbours of `oversampling`·J moved points.
    public func increment(
        size: Int, round: Int, trainingSet: LabeledSet<Model.Label>, model: Model,
        using randomness: inout some RandomNumberGenerator
    ) throws -> Increment<Model.Label> {
        let wide = min(size * oversampling, snn.pool.count - trainingSet.poolIndices.count)
        let moved = try snn.increment(size: wide, round: round, trainingSet: trainingSet, model: model, using: &randomness)
        let codes = FeatureRows(snn.poolCodes)
        let neighbours = moved.added.provenance.compactMap(\.poolIndex)
        let centers = codes.selecting(trainingSet.provenance.compactMap(\.poolIndex))
        let rows = codes.selecting(neighbours).kCenterGreedy(count: size, around: centers).rows
        var added = LabeledSet<Model.Label>(sampleShape: snn.pool.samples.sampleShape)
        for row in rows {
            var record = moved.added.provenance[row]
            record.strategy = name
            added.append(sample: moved.added.samples.sample(at: row), label: moved.added.labels[row], provenance: record)
        }
        return Increment(added: added)
    }
}

/// A hybrid increment ("<first>+<second>"): `share` of J (rounded) chosen by the first
/// strategy, the rest by the second among the samples the first did not take. A
/// representative first strategy (TypiClust) with a mining second one (margin, SNN)
/// covers the pool and its hard regions in one batch.
///
/// Cost: the two strategies' costs.
public struct HybridSampling<First: SamplingStrategy, Second: SamplingStrategy>: SamplingStrategy
where Second.Model == First.Model {
    /// The target model F.
    public typealias Model = First.Model
    /// Chooses ⌊share·J + ½⌋ samples.
    public let first: First
    /// Chooses the rest.
    public let second: Second
    /// The first strategy's share of each increment, in [0, 1].
    public let share: Double
    /// The strategy's name.
    public let name: String

    /// A hybrid of two strategies (named "<first>+<second>" unless `name` is given).
    public init(first: First, second: Second, share: Double, name: String? = nil) throws {
        guard share >= 0, share <= 1 else { throw SamplingError.invalidParameter("hybrid share \(share) must be in [0, 1]") }
        self.first = first
        self.second = second
        self.share = share
        self.name = name ?? "\(first.name)+\(second.name)"
    }

    /// T(1): the first strategy's (uniform for every pool-based strategy here).
    public func initialSet(size: Int, using randomness: inout some RandomNumberGenerator) async throws -> Increment<Model.Label> {
        var initial = try await first.initialSet(size: size, using: &randomness)
        initial.added = initial.added.renamed(name)
        return initial
    }

    /// The first strategy's share, then the second's rest.
    public func increment(
        size: Int, round: Int, trainingSet: LabeledSet<Model.Label>, model: Model,
        using randomness: inout some RandomNumberGenerator
    ) async throws -> Increment<Model.Label> {
        let firstSize = Int((share * Double(size)).rounded())
        var result = Increment(added: LabeledSet<Model.Label>(sampleShape: trainingSet.samples.sampleShape))
        var grown = trainingSet
        if firstSize > 0 {
            let part = try await first.increment(size: firstSize, round: round, trainingSet: trainingSet, model: model,
                                                 using: &randomness)
            result.added.append(contentsOf: part.added)
            result.failures += part.failures
            grown.append(contentsOf: part.added)
        }
        if size - firstSize > 0 {
            let part = try await second.increment(size: size - firstSize, round: round, trainingSet: grown, model: model,
                                                  using: &randomness)
            result.added.append(contentsOf: part.added)
            result.failures += part.failures
        }
        result.added = result.added.renamed(name)
        return result
    }
}

extension LabeledSet {
    /// The same samples with every provenance record's strategy set to `strategy`.
    func renamed(_ strategy: String) -> LabeledSet {
        LabeledSet(checkedSamples: samples, labels: labels, provenance: provenance.map { record in
            var record = record
            record.strategy = strategy
            return record
        })
    }
}

/// A budget switch ("<first>-then-<second>"): the first strategy chooses while the
/// training set holds fewer than `switchSize` labeled samples, the second from then on.
/// At low budgets representative samples (TypiClust) help most, later uncertain ones
/// (margin); Hacohen et al. (2022) report this cross-over.
///
/// Cost: that of the strategy in charge.
public struct BudgetSwitchSampling<First: SamplingStrategy, Second: SamplingStrategy>: SamplingStrategy
where Second.Model == First.Model {
    /// The target model F.
    public typealias Model = First.Model
    /// Chooses while |T(t)| < ``switchSize``.
    public let first: First
    /// Chooses once |T(t)| ≥ ``switchSize``.
    public let second: Second
    /// The training-set size (labels) from which the second strategy chooses.
    public let switchSize: Int
    /// The strategy's name.
    public let name: String

    /// A budget switch (named "<first>-then-<second>" unless `name` is given).
    public init(first: First, second: Second, switchSize: Int, name: String? = nil) throws {
        guard switchSize >= 0 else { throw SamplingError.invalidParameter("switch size \(switchSize) must be ≥ 0") }
        self.first = first
        self.second = second
        self.switchSize = switchSize
        self.name = name ?? "\(first.name)-then-\(second.name)"
    }

    /// T(1): the first strategy's (uniform for every pool-based strategy here).
    public func initialSet(size: Int, using randomness: inout some RandomNumberGenerator) async throws -> Increment<Model.Label> {
        var initial = try await first.initialSet(size: size, using: &randomness)
        initial.added = initial.added.renamed(name)
        return initial
    }

    /// The first strategy's increment below the switch size, the second's from it on.
    public func increment(
        size: Int, round: Int, trainingSet: LabeledSet<Model.Label>, model: Model,
        using randomness: inout some RandomNumberGenerator
    ) async throws -> Increment<Model.Label> {
        var result = trainingSet.count < switchSize
            ? try await first.increment(size: size, round: round, trainingSet: trainingSet, model: model, using: &randomness)
            : try await second.increment(size: size, round: round, trainingSet: trainingSet, model: model, using: &randomness)
        result.added = result.added.renamed(name)
        return result
    }
}
