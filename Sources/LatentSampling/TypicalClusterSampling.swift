import Randomness

/// Lloyd's k-means with k-means++ seeding, on feature rows.
public enum KMeans {
    /// Clusters `rows` into `k` clusters (fewer when there are fewer rows): k-means++
    /// seeding from `randomness`, then up to `iterations` Lloyd steps (stopping early
    /// once no assignment changes). An emptied cluster keeps its previous center.
    ///
    /// - Returns: each row's cluster (0..<k) and the centers.
    public static func cluster(_ rows: FeatureRows, k: Int, iterations: Int = 10,
                               using randomness: inout some RandomNumberGenerator) -> (assignments: [Int], centers: FeatureRows) {
        let n = rows.count, d = rows.columns
        let k = min(k, n)
        guard k > 0 else { return ([], FeatureRows(columns: d, values: [])) }
        // k-means++ seeding.
        var chosen = [Int(randomness.next() % UInt64(n))]
        var nearest = rows.squaredDistances(to: chosen[0], of: rows).map(Double.init)
        while chosen.count < k {
            let total = nearest.reduce(0, +)
            var next = -1
            if total > 0 {
                var target = Double(randomness.nextUniform()) * total
                for i in 0..<n where nearest[i] > 0 {
                    target -= nearest[i]
                    next = i
                    if target < 0 { break }
                }
            }
            if next < 0 {  // every row coincides with a chosen one
                let taken = Set(chosen)
                guard let free = (0..<n).first(where: { !taken.contains($0) }) else { break }
                next = free
            }
            chosen.append(next)
            let update = rows.squaredDistances(to: next, of: rows)
            for i in 0..<n { nearest[i] = min(nearest[i], Double(update[i])) }
        }
        var centers = rows.selecting(chosen)
        var assignments = rows.nearestCenters(centers).indices
        for _ in 0..<iterations {
            var sums = [Double](repeating: 0, count: centers.count * d)
            var counts = [Int](repeating: 0, count: centers.count)
            for i in 0..<n {
                let c = assignments[i]
                counts[c] += 1
                for (j, v) in rows.row(i).enumerated() { sums[c * d + j] += Double(v) }
            }
            var values = centers.values
            for c in 0..<centers.count where counts[c] > 0 {
                for j in 0..<d { values[c * d + j] = Float(sums[c * d + j] / Double(counts[c])) }
            }
            centers = FeatureRows(columns: d, values: values)
            let next = rows.nearestCenters(centers).indices
            if next == assignments { break }
            assignments = next
        }
        return (assignments, centers)
    }
}

/// TypiClust (Hacohen, Dekel & Weinshall, 2022): at low budgets, label typical samples
/// of distinct clusters. Each round the candidates and the training set are clustered
/// by k-means into |T(t)| + J clusters in a feature space; then J times, the cluster
/// with the fewest labeled members (ties: the largest) gives its most typical
/// unlabeled member, typicality being the inverse mean distance to its
/// `neighborCount` nearest neighbours within the cluster.
///
/// Feature spaces: the target model's penultimate embedding ("typiclust", a standard
/// baseline), or fixed codes of the pool such as the VAE's latent means E(D)
/// ("latent-typiclust", which plays the role of TypiClust's self-supervised features).
///
/// Cost per round: the features of candidates and training set, k-means (each Lloyd
/// step one blocked nearest-center search, candidates × clusters × D), and per chosen cluster
/// the pairwise distances of at most `clusterSampleLimit` of its members.
public struct TypicalClusterSampling<Model: TargetModel>: SamplingStrategy {
    /// The pool D with its labels.
    public let pool: LabeledPool<Model.Label>
    /// How many random unselected pool samples are clustered per round (`nil`: all).
    public let candidateLimit: Int?
    /// The number of neighbours that define typicality (the paper's 20).
    public let neighborCount: Int
    /// The most members of one cluster whose typicality is computed (a random subset
    /// of a larger cluster), bounding the pairwise distances per cluster.
    public let clusterSampleLimit: Int
    /// Lloyd iterations of k-means.
    public let iterations: Int
    /// The strategy's name.
    public let name: String
    private let features: ([Int], SampleBatch, Model) throws -> FeatureRows

    /// TypiClust in fixed per-pool-sample features (for example the VAE's codes E(D)).
    public init(pool: LabeledPool<Model.Label>, codes: LatentPoints, name: String = "latent-typiclust",
                candidateLimit: Int? = nil, neighborCount: Int = 20, clusterSampleLimit: Int = 300,
                iterations: Int = 10) throws {
        guard codes.count == pool.count else {
            throw SamplingError.invalidParameter("\(codes.count) codes for a pool of \(pool.count) samples")
        }
        let rows = FeatureRows(codes)
        try self.init(pool: pool, name: name, candidateLimit: candidateLimit, neighborCount: neighborCount,
                      clusterSampleLimit: clusterSampleLimit, iterations: iterations) { indices, _, _ in
            rows.selecting(indices)
        }
    }

    private init(pool: LabeledPool<Model.Label>, name: String, candidateLimit: Int?, neighborCount: Int,
                 clusterSampleLimit: Int, iterations: Int,
                 features: @escaping ([Int], SampleBatch, Model) throws -> FeatureRows) throws {
        try PoolCandidates.validate(limit: candidateLimit)
        guard neighborCount > 0, clusterSampleLimit > 1, iterations >= 0 else {
            throw SamplingError.invalidParameter("TypiClust needs neighborCount > 0, clusterSampleLimit > 1 and iterations ≥ 0")
        }
        self.pool = pool
        self.name = name
        self.candidateLimit = candidateLimit
        self.neighborCount = neighborCount
        self.clusterSampleLimit = clusterSampleLimit
        self.iterations = iterations
        self.features = features
    }

    /// T(1): uniform.
    public func initialSet(size: Int, using randomness: inout some RandomNumberGenerator) throws -> Increment<Model.Label> {
        try RandomSampling<Model>.initialSet(of: pool, size: size, strategy: name, using: &randomness)
    }

    /// Typicality of each row among `rows`: 1 / (mean distance to its `k` nearest others).
    public static func typicality(_ rows: FeatureRows, neighborCount k: Int) -> [Double] {
        let n = rows.count
        guard n > 1 else { return [Double](repeating: 1, count: n) }
        let k = min(k, n - 1)
        return (0..<n).map { i in
            let d = rows.squaredDistances(to: i, of: rows).enumerated().filter { $0.offset != i }.map { Double($0.element).squareRoot() }
            let mean = d.sorted().prefix(k).reduce(0, +) / Double(k)
            return mean > 0 ? 1 / mean : .infinity
        }
    }

    /// Chooses `count` of the `candidates` rows (the first `candidates.count` rows of the
    /// clustering), given the features of the labeled samples.
    public func choose(count: Int, candidates: FeatureRows, labeled: FeatureRows,
                       using randomness: inout some RandomNumberGenerator) -> [Int] {
        var all = candidates
        all.append(contentsOf: labeled)
        let (assignments, centers) = KMeans.cluster(all, k: labeled.count + count, iterations: iterations, using: &randomness)
        var labeledCount = [Int](repeating: 0, count: centers.count)
        var members = [[Int]](repeating: [], count: centers.count)
        for (row, cluster) in assignments.enumerated() {
            if row < candidates.count { members[cluster].append(row) } else { labeledCount[cluster] += 1 }
        }
        var chosen: [Int] = []
        while chosen.count < min(count, candidates.count) {
            // The cluster with the fewest labeled members, then the most unlabeled ones.
            guard let cluster = members.indices.filter({ !members[$0].isEmpty }).min(by: {
                labeledCount[$0] != labeledCount[$1] ? labeledCount[$0] < labeledCount[$1]
                    : members[$0].count != members[$1].count ? members[$0].count > members[$1].count : $0 < $1
            }) else { break }
            var group = members[cluster]
            if group.count > clusterSampleLimit {
                group = RandomChoice.partialShuffle(group, first: clusterSampleLimit, using: &randomness)
            }
            let scores = Self.typicality(candidates.selecting(group), neighborCount: neighborCount)
            let best = group[PoolCandidates.top(1, of: scores)[0]]
            chosen.append(best)
            members[cluster].removeAll { $0 == best }
            labeledCount[cluster] += 1
        }
        return chosen
    }

    /// `size` typical candidates of uncovered clusters.
    public func increment(
        size: Int, round: Int, trainingSet: LabeledSet<Model.Label>, model: Model,
        using randomness: inout some RandomNumberGenerator
    ) throws -> Increment<Model.Label> {
        let selected = trainingSet.poolIndices
        let candidates = try PoolCandidates.candidates(size: size, poolCount: pool.count, excluding: selected,
                                                       limit: candidateLimit, using: &randomness)
        let candidateFeatures = try features(candidates, pool.samples.selecting(candidates), model)
        let labeledIndices = trainingSet.provenance.compactMap(\.poolIndex)
        let labeledFeatures = try features(labeledIndices, pool.samples.selecting(labeledIndices), model)
        let chosen = choose(count: size, candidates: candidateFeatures, labeled: labeledFeatures, using: &randomness)
            .map { candidates[$0] }
        return pool.increment(at: chosen, round: round, strategy: name)
    }
}

extension TypicalClusterSampling where Model: EmbeddingModel {
    /// TypiClust in the target model's penultimate embedding ("typiclust").
    public init(pool: LabeledPool<Model.Label>, candidateLimit: Int? = nil, neighborCount: Int = 20,
                clusterSampleLimit: Int = 300, iterations: Int = 10) throws {
        try self.init(pool: pool, name: "typiclust", candidateLimit: candidateLimit, neighborCount: neighborCount,
                      clusterSampleLimit: clusterSampleLimit, iterations: iterations) { _, samples, model in
            try model.embeddingsAndProbabilities(samples).embeddings
        }
    }
}
