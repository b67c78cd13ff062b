import Randomness

/// SNN, sampling by nearest neighbour (the paper's Algorithm 1).
///
/// Each round t ≥ 2:
/// 1. take a random subset S of the training set T(t), |S| = J, and look up its
///    codes p = E(x) in the embedded pool E(D);
/// 2. move them toward harder samples, p' = p + α·d with d = (∂L/∂p)/‖∂L/∂p‖,
///    the gradient taken through the generator G and the target model F (``LatentMove``);
/// 3. for each p', take the real pool sample whose code is nearest p' (Euclidean);
///    its label comes from the dataset.
///
/// **Duplicates.** The paper is silent on them; here the increment never holds a
/// sample twice and never re-selects one already in T(t): each p' takes the nearest
/// pool sample that is neither in T(t) nor taken by an earlier p' of the same round
/// (queries are answered in the order of S). The increment therefore always has J
/// new samples while the pool lasts.
///
/// When J exceeds |T(t)|, S uses every training sample once per pass, then a random
/// subset of it.
public struct NearestNeighborSampling<Model: TargetModel, SampleGenerator: Generator>: SamplingStrategy {
    /// The pool D with its labels.
    public let pool: LabeledPool<Model.Label>
    /// The embedded pool E(D), one code per pool sample.
    public let poolCodes: LatentPoints
    /// The generator G the loss gradient is pulled back through.
    public let generator: SampleGenerator
    /// The step size α, in latent units.
    public let alpha: Float
    /// The exact nearest-neighbour index over ``poolCodes``.
    public let index: KDTree

    /// "snn".
    public var name: String { "snn" }

    /// An SNN sampler over a pool whose codes E(D) are already computed.
    public init(pool: LabeledPool<Model.Label>, poolCodes: LatentPoints, generator: SampleGenerator, alpha: Float) throws {
        guard poolCodes.count == pool.count else {
            throw SamplingError.invalidParameter("\(poolCodes.count) pool codes for a pool of \(pool.count) samples")
        }
        guard poolCodes.dimension == generator.latentDimension else {
            throw SamplingError.invalidParameter(
                "pool codes of dimension \(poolCodes.dimension) for a generator of latent dimension \(generator.latentDimension)")
        }
        guard alpha.isFinite, alpha >= 0 else { throw SamplingError.invalidParameter("step size α = \(alpha) must be finite and ≥ 0") }
        self.pool = pool
        self.poolCodes = poolCodes
        self.generator = generator
        self.alpha = alpha
        self.index = try KDTree(points: poolCodes.values, dimension: poolCodes.dimension)
    }

    /// An SNN sampler that embeds the pool with `encoder`, `batchSize` samples at a time.
    ///
    /// - Throws: ``ConformanceError`` when the encoder returns the wrong number or
    ///   dimension of codes; ``SamplingError/invalidParameter(_:)`` for a bad α or batch size.
    public init(pool: LabeledPool<Model.Label>, encoder: some LatentEncoder, generator: SampleGenerator,
                alpha: Float, batchSize: Int = 1024) throws {
        guard batchSize > 0 else { throw SamplingError.invalidParameter("embedding batch size \(batchSize) must be positive") }
        guard encoder.latentDimension > 0 else {
            throw ConformanceError(encoder, role: "LatentEncoder", requirement: "latentDimension",
                                   problem: "is \(encoder.latentDimension); it must be positive")
        }
        var codes = LatentPoints(dimension: encoder.latentDimension, values: [])
        for start in stride(from: 0, to: pool.count, by: batchSize) {
            let batch = pool.samples.selecting(Array(start..<min(start + batchSize, pool.count)))
            codes.append(contentsOf: try encoder.checkedEncode(batch))
        }
        try self.init(pool: pool, poolCodes: codes, generator: generator, alpha: alpha)
    }

    /// T(1): uniform, exactly as ``RandomSampling`` draws it with the same seed.
    public func initialSet(size: Int, using randomness: inout some RandomNumberGenerator) throws -> Increment<Model.Label> {
        try RandomSampling<Model>.initialSet(of: pool, size: size, strategy: name, using: &randomness)
    }

    /// The J nearest unselected pool samples to the moved points p'.
    public func increment(
        size: Int, round: Int, trainingSet: LabeledSet<Model.Label>, model: Model,
        using randomness: inout some RandomNumberGenerator
    ) throws -> Increment<Model.Label> {
        guard trainingSet.count > 0 else { throw SamplingError.emptyTrainingSet }
        let selected = trainingSet.poolIndices
        guard pool.count - selected.count >= size else {
            throw SamplingError.poolExhausted(requested: size, available: pool.count - selected.count)
        }
        let positions = RandomChoice.subset(count: size, of: trainingSet.count, using: &randomness)
        let seedIndices = try positions.map { position in
            guard let index = trainingSet.provenance[position].poolIndex else {
                throw SamplingError.missingLatentCode(sampleIndex: position)
            }
            return index
        }
        let move = try LatentMove(from: poolCodes.selecting(seedIndices),
                                  labels: positions.map { trainingSet.labels[$0] },
                                  alpha: alpha, generator: generator, model: model)
        let neighbors = try index.nearest(toEach: move.moved.values, excluding: selected, distinct: true)
        return Increment(added: pool.labeledSet(at: neighbors.map(\.index)) { row, index in
            Provenance(round: round, strategy: name, poolIndex: index,
                       seedPoint: move.start.point(at: row), movedPoint: move.moved.point(at: row),
                       neighborDistance: neighbors[row].distance)
        })
    }
}
