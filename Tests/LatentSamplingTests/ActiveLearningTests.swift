import Foundation
import HDF5Store
import Testing
import Randomness
@testable import LatentSampling

/// A classifier whose samples are their own class probabilities (and embeddings): the
/// strategies' choices can then be worked out by hand. Monte-Carlo pass t returns the
/// sample for even t and the sample with its classes rotated by one for odd t.
final class ProbabilityTableModel: EmbeddingModel, MonteCarloDropoutModel {
    typealias Label = Int32
    var metricName: String { "accuracy" }
    var metricIncreases: Bool { true }
    func train(on samples: SampleBatch, labels: [Int32], epochs: Int, seed: UInt64) {}
    func resetParameters(seed: UInt64) {}
    func evaluate(on samples: SampleBatch, labels: [Int32]) -> Double { 0 }
    func lossAndInputGradient(at samples: SampleBatch, labels: [Int32]) -> (losses: [Float], inputGradient: SampleBatch) {
        ([Float](repeating: 0, count: samples.count), samples)
    }
    func classProbabilities(_ samples: SampleBatch) -> FeatureRows {
        FeatureRows(columns: samples.scalarsPerSample, values: samples.values)
    }
    func embeddingsAndProbabilities(_ samples: SampleBatch) -> (embeddings: FeatureRows, probabilities: FeatureRows) {
        (classProbabilities(samples), classProbabilities(samples))
    }
    func dropoutProbabilities(_ samples: SampleBatch, passes: Int, seed: UInt64) -> [FeatureRows] {
        let k = samples.scalarsPerSample
        return (0..<passes).map { t in
            guard t % 2 == 1 else { return classProbabilities(samples) }
            var v = samples.values
            for i in 0..<samples.count { for j in 0..<k { v[i * k + j] = samples.values[i * k + (j + 1) % k] } }
            return FeatureRows(columns: k, values: v)
        }
    }
}

/// A pool of probability rows with labels 0.
func probabilityPool(_ rows: [[Float]]) -> LabeledPool<Int32> {
    try! LabeledPool(samples: SampleBatch(sampleShape: [rows[0].count], values: rows.flatMap { $0 }),
                labels: [Int32](repeating: 0, count: rows.count))
}

/// A training set holding pool sample `index`.
func trainingSet(of pool: LabeledPool<Int32>, indices: [Int]) -> LabeledSet<Int32> {
    pool.labeledSet(at: indices) { _, index in Provenance(round: 1, strategy: "test", poolIndex: index) }
}

@Suite("Active-learning baselines")
struct ActiveLearningTests {
    typealias Model = ProbabilityTableModel

    @Test("uncertainty scores have their textbook values")
    func uncertaintyScores() {
        let p: [Float] = [0.5, 0.3, 0.2]
        #expect(abs(UncertaintyMeasure.leastConfidence.score(p[...]) - 0.5) < 1e-7)
        #expect(abs(UncertaintyMeasure.margin.score(p[...]) - -0.2) < 1e-7)
        let h = -(0.5 * log(0.5) + 0.3 * log(0.3) + 0.2 * log(0.2))
        #expect(abs(UncertaintyMeasure.entropy.score(p[...]) - h) < 1e-7)
        #expect(UncertaintyMeasure.entropy.score([1, 0, 0][...]) == 0)
    }

    @Test("least confidence, margin and entropy each pick the sample they are least sure of")
    func uncertaintyPicks() throws {
        // 0: confident; 1: a tie between two classes (smallest margin);
        // 2: spread over three classes (largest entropy, lowest top probability); 3: already labeled.
        let pool = probabilityPool([[0.9, 0.05, 0.05], [0.5, 0.5, 0], [0.4, 0.3, 0.3], [0.34, 0.33, 0.33]])
        let labeled = trainingSet(of: pool, indices: [3])
        var g = SeededGenerator(seed: 1)
        func pick(_ measure: UncertaintyMeasure) throws -> [Int?] {
            try UncertaintySampling<Model>(pool: pool, measure: measure)
                .increment(size: 1, round: 2, trainingSet: labeled, model: Model(), using: &g).added.provenance.map(\.poolIndex)
        }
        #expect(try pick(.margin) == [1])
        #expect(try pick(.entropy) == [2])
        #expect(try pick(.leastConfidence) == [2])
        let two = try UncertaintySampling<Model>(pool: pool, measure: .entropy)
            .increment(size: 3, round: 2, trainingSet: labeled, model: Model(), using: &g)
        #expect(two.added.provenance.map(\.poolIndex) == [2, 1, 0])
        #expect(two.added.provenance.allSatisfy { $0.strategy == "entropy" && $0.round == 2 })
    }

    @Test("BALD's mutual information: ln 2 for two confident passes that disagree, 0 when they agree")
    func baldMutualInformation() throws {
        let disagree = [FeatureRows(columns: 2, values: [1, 0, 0.5, 0.5]), FeatureRows(columns: 2, values: [0, 1, 0.5, 0.5])]
        let mi = BALDSampling<Model>.mutualInformation(disagree)
        #expect(abs(mi[0] - log(2)) < 1e-9)
        #expect(abs(mi[1]) < 1e-9)  // uncertain but consistent: no disagreement
        // Through the strategy: sample 1 flips between classes under the toy model's
        // passes; sample 0 is uniform (maximal entropy, zero disagreement).
        let pool = probabilityPool([[0.5, 0.5], [0.9, 0.1], [0.6, 0.4]])
        var g = SeededGenerator(seed: 2)
        let picked = try BALDSampling<Model>(pool: pool, passes: 4)
            .increment(size: 1, round: 2, trainingSet: LabeledSet(sampleShape: [2]), model: Model(), using: &g)
        #expect(picked.added.provenance.map(\.poolIndex) == [1])
        #expect(throws: SamplingError.self) { try BALDSampling<Model>(pool: pool, passes: 1) }
    }

    @Test("blocked minimum distances equal brute force, with blocks smaller than the rows")
    func blockedDistances() {
        var g = SeededGenerator(seed: 3)
        let rows = FeatureRows(columns: 5, values: (0..<37 * 5).map { _ in g.nextNormal() })
        let centers = FeatureRows(columns: 5, values: (0..<6 * 5).map { _ in g.nextNormal() })
        let blocked = rows.nearestCenters(centers, blockSize: 8)
        for i in 0..<rows.count {
            let brute = (0..<centers.count).map { c in zip(rows.row(i), centers.row(c)).reduce(Float(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }
            let best = brute.indices.min { brute[$0] < brute[$1] }!
            #expect(blocked.indices[i] == best)
            #expect(abs(blocked.distances[i] - brute[best]) < 1e-4)
        }
        #expect(rows.minimumSquaredDistances(to: FeatureRows(columns: 5, values: [])).allSatisfy { $0 == .infinity })
    }

    @Test("core-set's greedy radius matches brute force and is within twice the optimum")
    func coreSetRadius() throws {
        var g = SeededGenerator(seed: 4)
        let points = (0..<12 * 2).map { _ in g.nextUniform() * 10 }
        let rows = FeatureRows(columns: 2, values: points)
        let centers = FeatureRows(columns: 2, values: [0, 0, 10, 10])
        let (chosen, radius) = rows.kCenterGreedy(count: 3, around: centers)
        func distance(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Float {
            zip(a, b).reduce(Float(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
        }
        func coverRadius(_ set: [Int]) -> Float {
            (0..<rows.count).map { i in
                min((0..<centers.count).map { distance(rows.row(i), centers.row($0)) }.min()!,
                    set.map { distance(rows.row(i), rows.row($0)) }.min() ?? .infinity)
            }.max()!
        }
        // The greedy choice by brute force: each time the row farthest from everything chosen.
        var brute: [Int] = []
        for _ in 0..<3 {
            let far = (0..<rows.count).map { i in
                min((0..<centers.count).map { distance(rows.row(i), centers.row($0)) }.min()!,
                    brute.map { distance(rows.row(i), rows.row($0)) }.min() ?? .infinity)
            }
            brute.append(far.indices.max { far[$0] < far[$1] }!)
        }
        #expect(chosen == brute)
        #expect(abs(radius - coverRadius(brute)) < 1e-4)
        var optimum = Float.infinity
        for a in 0..<12 { for b in (a + 1)..<12 { for c in (b + 1)..<12 { optimum = min(optimum, coverRadius([a, b, c])) } } }
        #expect(radius <= 2 * optimum + 1e-4)
        #expect(radius >= optimum - 1e-4)
    }

    @Test("core-set never re-selects a labeled sample and picks the far point first")
    func coreSetStrategy() throws {
        let pool = probabilityPool([[1, 0], [0.99, 0.01], [0, 1], [0.5, 0.5], [0.98, 0.02]])
        var g = SeededGenerator(seed: 5)
        let picked = try CoreSetSampling<Model>(pool: pool)
            .increment(size: 2, round: 2, trainingSet: trainingSet(of: pool, indices: [0]), model: Model(), using: &g)
        #expect(picked.added.provenance.map(\.poolIndex) == [2, 3])
    }

    @Test("BADGE's picks differ from top-k by gradient norm when points are duplicated")
    func badgeAvoidsDuplicates() {
        // Rows 0–2 are one point three times, with the largest gradient norm; rows 3–5 differ.
        let a = FeatureRows(columns: 2, values: [0.9, -0.9, 0.9, -0.9, 0.9, -0.9, 0.5, -0.5, -0.5, 0.5, 0.4, -0.4])
        let h = FeatureRows(columns: 2, values: [2, 0, 2, 0, 2, 0, 0, 2, 1, 1, -2, 1])
        let norms = (0..<6).map { Double(a.squaredNorms[$0] * h.squaredNorms[$0]) }
        let topK = PoolCandidates.top(3, of: norms)
        #expect(Set(topK) == [0, 1, 2])
        for seed in 0..<20 as Range<UInt64> {
            var g = SeededGenerator(seed: seed)
            let badge = BADGESampling<Model>.kMeansPlusPlus(logitGradients: a, embeddings: h, count: 3, using: &g)
            #expect(badge.first == 0)
            #expect(badge.filter { $0 < 3 }.count == 1, "seed \(seed): \(badge)")
            #expect(Set(badge).count == 3)
        }
    }

    @Test("BADGE's factored distances equal those of the explicit outer products")
    func badgeFactoredDistances() {
        var g = SeededGenerator(seed: 6)
        let a = FeatureRows(columns: 3, values: (0..<4 * 3).map { _ in g.nextNormal() })
        let h = FeatureRows(columns: 4, values: (0..<4 * 4).map { _ in g.nextNormal() })
        func outer(_ i: Int) -> [Float] { a.row(i).flatMap { x in h.row(i).map { x * $0 } } }
        let explicit = FeatureRows(columns: 12, values: (0..<4).flatMap(outer))
        // With count 4 every row is chosen; the order from row 0 depends only on the distances.
        let norms = explicit.squaredNorms
        var g1 = SeededGenerator(seed: 7), g2 = SeededGenerator(seed: 7)
        let factored = BADGESampling<Model>.kMeansPlusPlus(logitGradients: a, embeddings: h, count: 4, using: &g1)
        let plain = BADGESampling<Model>.kMeansPlusPlus(logitGradients: explicit, embeddings: FeatureRows(columns: 1, values: [1, 1, 1, 1]),
                                                        count: 4, using: &g2)
        #expect(factored == plain)
        #expect(factored.first == norms.indices.max { norms[$0] < norms[$1] })
    }

    @Test("k-means separates three blobs")
    func kMeansBlobs() {
        var g = SeededGenerator(seed: 8)
        let centres: [(Float, Float)] = [(0, 0), (10, 0), (0, 10)]
        var values: [Float] = []
        for i in 0..<60 { let c = centres[i % 3]; values += [c.0 + g.nextNormal() * 0.3, c.1 + g.nextNormal() * 0.3] }
        let (assignments, centers) = KMeans.cluster(FeatureRows(columns: 2, values: values), k: 3, using: &g)
        #expect(centers.count == 3)
        for i in 0..<60 { #expect(assignments[i] == assignments[i % 3]) }
        #expect(Set(assignments).count == 3)
    }

    @Test("TypiClust takes the typical point of each uncovered cluster, never a covered one")
    func typiClust() throws {
        // Three blobs on a line, each a centre point and 8 points on a ring of radius 3 around
        // it; one point of blob A is labeled, so k-means makes |T| + J = 3 clusters, the blobs.
        var values: [Float] = []
        for centre: Float in [0, 100, 200] {
            values += [centre, 0]
            for k in 0..<8 { let angle = Float(k) * .pi / 4; values += [centre + 3 * cos(angle), 3 * sin(angle)] }
        }
        let pool = try LabeledPool(samples: SampleBatch(sampleShape: [2], values: values), labels: [Int32](repeating: 0, count: 27))
        let codes = LatentPoints(dimension: 2, values: values)
        let strategy = try TypicalClusterSampling<Model>(pool: pool, codes: codes, neighborCount: 8)
        var g = SeededGenerator(seed: 9)
        let picked = try strategy.increment(size: 2, round: 2, trainingSet: trainingSet(of: pool, indices: [1]),
                                            model: Model(), using: &g)
        #expect(Set(picked.added.provenance.compactMap(\.poolIndex)) == [9, 18])
        #expect(picked.added.provenance.allSatisfy { $0.strategy == "latent-typiclust" })
        let typical = TypicalClusterSampling<Model>.typicality(FeatureRows(columns: 2, values: Array(values[0..<18])), neighborCount: 8)
        #expect(typical[0] > typical[1...8].max()!)
    }

    @Test("margin-latent keeps a margin shortlist and spreads it in the latent space")
    func marginLatent() throws {
        // Samples 0–2: near-ties (the shortlist); 0 and 1 share a latent code, 2 lies far away.
        let pool = probabilityPool([[0.5, 0.5], [0.51, 0.49], [0.52, 0.48], [0.9, 0.1], [0.99, 0.01]])
        let codes = LatentPoints(dimension: 1, values: [0, 0.01, 5, 9, 10])
        var g = SeededGenerator(seed: 10)
        let strategy = try MarginLatentDiverseSampling<Model>(pool: pool, poolCodes: codes, shortlistFactor: 2)
        let picked = try strategy.increment(size: 1, round: 2, trainingSet: trainingSet(of: pool, indices: [4]),
                                            model: Model(), using: &g)
        #expect(picked.added.provenance.map(\.poolIndex) == [0])  // shortlist {0, 1}: 0 is farther from the labeled code 10
        let wider = try MarginLatentDiverseSampling<Model>(pool: pool, poolCodes: codes, shortlistFactor: 3)
            .increment(size: 2, round: 2, trainingSet: trainingSet(of: pool, indices: [4]), model: Model(), using: &g)
        #expect(wider.added.provenance.map(\.poolIndex) == [0, 2])  // not the duplicate code of 0
    }

    @Test("a hybrid takes its share from the first strategy and the rest from the second, without repeats")
    func hybrid() async throws {
        let pool = probabilityPool([[0.5, 0.5], [0.9, 0.1], [0.6, 0.4], [0.55, 0.45], [0.99, 0.01], [0.7, 0.3]])
        let hybrid = try HybridSampling(first: RandomSampling<Model>(pool: pool),
                                        second: try UncertaintySampling<Model>(pool: pool, measure: .margin), share: 0.5)
        #expect(hybrid.name == "random+margin")
        var g = SeededGenerator(seed: 11)
        let picked = try await hybrid.increment(size: 4, round: 2, trainingSet: trainingSet(of: pool, indices: [0]),
                                                model: Model(), using: &g)
        let indices = picked.added.provenance.compactMap(\.poolIndex)
        #expect(indices.count == 4 && Set(indices).count == 4 && !indices.contains(0))
        // The margin half takes the two most uncertain samples the random half left.
        let rest = [3, 2, 5, 1, 4].filter { !indices.prefix(2).contains($0) }
        #expect(Array(indices.suffix(2)) == Array(rest.prefix(2)))
        #expect(picked.added.provenance.allSatisfy { $0.strategy == "random+margin" })
        #expect(throws: SamplingError.self) { try HybridSampling(first: RandomSampling<Model>(pool: pool), second: RandomSampling<Model>(pool: pool), share: 2) }
    }

    @Test("a budget switch hands over to the second strategy once the training set reaches the switch size")
    func budgetSwitch() async throws {
        let pool = probabilityPool([[0.5, 0.5], [0.9, 0.1], [0.6, 0.4], [0.55, 0.45], [0.99, 0.01], [0.7, 0.3]])
        let margin = try UncertaintySampling<Model>(pool: pool, measure: .margin)
        let switching = try BudgetSwitchSampling(first: margin, second: RandomSampling<Model>(pool: pool), switchSize: 2)
        #expect(switching.name == "margin-then-random")
        var g = SeededGenerator(seed: 14)
        let early = try await switching.increment(size: 1, round: 2, trainingSet: trainingSet(of: pool, indices: [0]),
                                                  model: Model(), using: &g)
        #expect(early.added.provenance.map(\.poolIndex) == [3])  // margin's choice
        #expect(early.added.provenance[0].strategy == "margin-then-random")
        var h = SeededGenerator(seed: 15), r = SeededGenerator(seed: 15)
        let labeled = trainingSet(of: pool, indices: [0, 3])
        let late = try await switching.increment(size: 2, round: 3, trainingSet: labeled, model: Model(), using: &h)
        let random = try RandomSampling<Model>(pool: pool).increment(size: 2, round: 3, trainingSet: labeled, model: Model(), using: &r)
        #expect(late.added.provenance.map(\.poolIndex) == random.added.provenance.map(\.poolIndex))
    }

    @Test("every baseline draws the same T(1) as random, and grows a run without repeats or labeled samples")
    func progressiveRuns() async throws {
        var g = SeededGenerator(seed: 12)
        let rows = (0..<80).map { _ -> [Float] in
            let raw = (0..<3).map { _ in g.nextUniform() + 0.01 }
            let sum = raw.reduce(0, +)
            return raw.map { $0 / sum }
        }
        let pool = probabilityPool(rows)
        let codes = LatentPoints(dimension: 3, values: rows.flatMap { $0 })
        let strategies: [any SamplingStrategy<Model>] = [
            RandomSampling<Model>(pool: pool),
            try UncertaintySampling<Model>(pool: pool, measure: .leastConfidence, candidateLimit: 30),
            try BALDSampling<Model>(pool: pool, passes: 3),
            try CoreSetSampling<Model>(pool: pool, candidateLimit: 40),
            try BADGESampling<Model>(pool: pool),
            try TypicalClusterSampling<Model>(pool: pool),
            try TypicalClusterSampling<Model>(pool: pool, codes: codes),
            try MarginLatentDiverseSampling<Model>(pool: pool, poolCodes: codes),
        ]
        let trainer = ProgressiveTrainer(schedule: TrainingSchedule(initialSize: 5, incrementSize: 7, epochsPerRound: 1, maximumRounds: 4))
        let test = try TestSet(samples: pool.samples, labels: pool.labels)
        var initial: [Int?]?
        for strategy in strategies {
            let run = try await trainer.run(strategy, model: Model(), testSet: test, seed: 3)
            let indices = run.trainingSet.provenance.compactMap(\.poolIndex)
            #expect(indices.count == 5 + 3 * 7, "\(strategy.name)")
            #expect(Set(indices).count == indices.count, "\(strategy.name) repeated a sample")
            let first = Array(run.trainingSet.provenance.prefix(5).map(\.poolIndex))
            if let initial { #expect(first == initial, "\(strategy.name)") } else { initial = first }
        }
    }
}

@Suite("Benchmark")
struct BenchmarkTests {
    @Test("a benchmark resumes from its results file with the same curves, and records its timings")
    func resumes() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        var g = SeededGenerator(seed: 13)
        let rows = (0..<60).map { _ -> [Float] in let a = g.nextUniform(); return [a, 1 - a] }
        let pool = probabilityPool(rows)
        let benchmark = Benchmark<ProbabilityTableModel>(
            schedule: TrainingSchedule(initialSize: 4, incrementSize: 3, epochsPerRound: 1, maximumRounds: 3),
            seeds: [0, 1], strategies: [RandomSampling(pool: pool), try UncertaintySampling(pool: pool, measure: .entropy)],
            testSet: try TestSet(samples: pool.samples, labels: pool.labels), sampleShape: [2], latentDimension: 1
        ) { ProbabilityTableModel() }
        let path = scratch.path("benchmark.h5")
        let first = try await benchmark.run(in: try HDF5File(path: path, mode: .truncate))
        let again = try await benchmark.run(in: try HDF5File(path: path, mode: .readWrite))
        #expect(first.curves == again.curves && first.trainingSetSizes == again.trainingSetSizes)
        #expect(first.trainingSetSizes["entropy"] == [[4, 7, 10], [4, 7, 10]])
        let file = try HDF5File(path: path, mode: .readOnly)
        #expect(try file.dataset("entropy/selection_seconds").read(as: Double.self).count == 6)
        #expect(file.contains("random/seed_1/rounds"))
    }
}

@Suite("Paired statistics")
struct PairedStatisticsTests {
    // Reference values from SciPy 1.17.1 (scipy.stats.ttest_1samp, .wilcoxon, .t.ppf, scipy.special.betainc).

    @Test("the incomplete beta function and Student's t match SciPy")
    func distributions() {
        #expect(abs(PairedStatistics.regularizedIncompleteBeta(0.3, 2.5, 1.5) - 0.08894372317066562) < 1e-10)
        #expect(abs(PairedStatistics.regularizedIncompleteBeta(0.9, 0.5, 0.5) - 0.7951672353008665) < 1e-10)
        #expect(abs(PairedStatistics.studentQuantile(0.975, degreesOfFreedom: 9) - 2.262157162798205) < 1e-8)
        #expect(abs(PairedStatistics.studentQuantile(0.975, degreesOfFreedom: 2) - 4.302652729749462) < 1e-8)
        #expect(abs(PairedStatistics.studentQuantile(0.995, degreesOfFreedom: 30) - 2.7499956535672254) < 1e-8)
        #expect(abs(PairedStatistics.studentTwoSidedTail(2.3, degreesOfFreedom: 5) - 0.06977246933203732) < 1e-10)
    }

    @Test("the paired t-test and its 95% interval match SciPy")
    func pairedT() throws {
        let d = [0.012, -0.004, 0.021, 0.008, 0.015, -0.002, 0.011, 0.019, 0.003, 0.007]
        let t = try #require(PairedStatistics.pairedT(d))
        #expect(abs(t.statistic - 3.4179953639073757) < 1e-9)
        #expect(abs(t.pValue - 0.007652164629273118) < 1e-9)
        #expect(abs(t.lower - 0.0030434634054303054) < 1e-9)
        #expect(abs(t.upper - 0.014956536594569697) < 1e-9)
        let d2 = [1.5, -0.5, 2.0, -2.5, 3.0, 0.7, -0.1, 1.2]
        let t2 = try #require(PairedStatistics.pairedT(d2))
        #expect(abs(t2.pValue - 0.3062324891161671) < 1e-9)
        #expect(abs(t2.lower - -0.7569341700116962) < 1e-9 && abs(t2.upper - 2.0819341700116962) < 1e-9)
        #expect(PairedStatistics.pairedT([1]) == nil)
    }

    @Test("Wilcoxon's exact signed-rank test matches SciPy")
    func wilcoxon() throws {
        let w = try #require(PairedStatistics.wilcoxonSignedRank([0.012, -0.004, 0.021, 0.008, 0.015, -0.002, 0.011, 0.019, 0.003, 0.007]))
        #expect(w.statistic == 4)
        #expect(abs(w.pValue - 0.013671875) < 1e-12)
        let w2 = try #require(PairedStatistics.wilcoxonSignedRank([1.5, -0.5, 2.0, -2.5, 3.0, 0.7, -0.1, 1.2]))
        #expect(w2.statistic == 10)
        #expect(abs(w2.pValue - 0.3125) < 1e-12)
        #expect(PairedStatistics.wilcoxonSignedRank([0, 0]) == nil)
        // All positive: p = 2 / 2ⁿ.
        #expect(abs(PairedStatistics.wilcoxonSignedRank([1, 2, 3, 4, 5])!.pValue - 2.0 / 32) < 1e-12)
    }

    @Test("the benchmark's verdict follows the interval: better only when it excludes zero")
    func verdicts() {
        var result = BenchmarkResult(metricName: "accuracy", metricIncreases: true, strategies: ["random", "up", "flat", "down"])
        let base: [Double] = [0.70, 0.72, 0.69, 0.71, 0.73]
        let shifts: [String: [Double]] = ["random": [0, 0, 0, 0, 0], "up": [0.02, 0.03, 0.025, 0.02, 0.03],
                                          "flat": [0.02, -0.02, 0.01, -0.01, 0.0], "down": [-0.02, -0.03, -0.02, -0.025, -0.02]]
        for strategy in result.strategies {
            for (seed, b) in base.enumerated() {
                let v = b + shifts[strategy]![seed]
                result.record(strategy: strategy, rounds: [
                    RoundRecord(round: 1, trainingSetSize: 10, metric: b, failures: 0, trainingSeconds: 1, samplingSeconds: 0.5),
                    RoundRecord(round: 2, trainingSetSize: 20, metric: v, failures: 0, trainingSeconds: 1, samplingSeconds: 0)])
            }
        }
        let rows = result.comparisons(against: "random") { result.areasUnderLearningCurves(strategy: $0) }
        #expect(rows.map(\.verdict) == ["better", "no difference", "worse"])
        #expect(abs(rows[0].t.meanDifference - 0.0125) < 1e-12)  // half the final gain, as a trapezoid
        let report = result.report()
        #expect(report.contains("better") && report.contains("Wall time"))
        let svg = LearningCurveFigure(result: result, title: "test").svg()
        #expect(svg.hasPrefix("<svg") && svg.contains("polyline") && svg.contains("polygon"))
    }
}
