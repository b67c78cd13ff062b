import Foundation
import HDF5Store
import LatentSampling
import Randomness
import Testing

@Suite("Latent move, samplers and oracle")
struct SamplerTests {
    let generator = LinearGenerator()

    @Test("the move follows the normalized pulled-back gradient by exactly α")
    func latentMove() throws {
        // ∂L/∂x = w = (1, 0); ∂L/∂z = Aᵀw = (2, 1); d = (2, 1)/√5.
        let model = LinearLossModel(w: [1, 0])
        let start = LatentPoints(dimension: 2, values: [0, 0, 1, -1, -2, 3])
        let move = try LatentMove(from: start, labels: [0, 1, 0], alpha: 0.5, generator: generator, model: model)
        let d: [Float] = [2 / 5.0.squareRoot(), 1 / 5.0.squareRoot()].map(Float.init)
        for i in 0..<3 {
            let p = start.point(at: i), moved = move.moved.point(at: i)
            #expect(abs(move.direction.point(at: i)[0] - d[0]) < 1e-6 && abs(move.direction.point(at: i)[1] - d[1]) < 1e-6)
            #expect(abs(moved[0] - (p[0] + 0.5 * d[0])) < 1e-6 && abs(moved[1] - (p[1] + 0.5 * d[1])) < 1e-6)
            #expect(abs(move.gradientNorms[i] - Float(5.0.squareRoot())) < 1e-5)
        }
        // The losses are F's at G(p): w·G(p) + y.
        #expect(abs(move.losses[1] - (generator.generate(start).sample(at: 1)[0] + 1)) < 1e-6)
    }

    @Test("a vanishing gradient leaves the point where it is")
    func zeroGradient() throws {
        let move = try LatentMove(from: LatentPoints(dimension: 2, values: [1, 2]), labels: [Int32(0)], alpha: 3,
                                  generator: generator, model: LinearLossModel(w: [0, 0]))
        #expect(move.moved == move.start && move.direction.values == [0, 0])
    }

    @Test("SNN picks the exact nearest unselected pool sample to p', with complete provenance")
    func snnPicksExactNearestNeighbour() throws {
        let pool = gridPool(count: 17 * 13)
        let model = LinearLossModel(w: [0.3, -1])
        let snn = try NearestNeighborSampling<LinearLossModel, LinearGenerator>(
            pool: pool, encoder: generator, generator: generator, alpha: 0.8, batchSize: 50)
        var randomness = SeededGenerator(seed: 7)
        let initial = try snn.initialSet(size: 12, using: &randomness)
        let training = initial.added
        let increment = try snn.increment(size: 20, round: 2, trainingSet: training, model: model, using: &randomness)
        let codes = generator.encode(pool.samples)

        #expect(increment.added.count == 20 && increment.failures.isEmpty)
        var taken = training.poolIndices
        for (row, record) in increment.added.provenance.enumerated() {
            let index = try #require(record.poolIndex)
            let seed = try #require(record.seedPoint), moved = try #require(record.movedPoint)
            #expect(record.round == 2 && record.strategy == "snn")
            // The seed point is the code of a training sample, and moved = seed + α·d.
            #expect(training.provenance.contains { codes.point(at: $0.poolIndex!) == seed })
            let step = zip(moved, seed).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
            #expect(abs(step - 0.8) < 1e-5)
            // Brute force: the nearest pool code to p' among samples not yet taken.
            var best = (index: -1, distance: Float.infinity)
            for j in 0..<pool.count where !taken.contains(j) {
                let c = codes.point(at: j)
                let dist = zip(c, moved).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
                if dist < best.distance { best = (j, dist) }
            }
            #expect(index == best.index, "row \(row)")
            #expect(abs(record.neighborDistance! - best.distance) < 1e-5)
            #expect(increment.added.samples.sample(at: row) == pool.samples.sample(at: index))
            #expect(increment.added.labels[row] == pool.labels[index])
            taken.insert(index)
        }
        #expect(Set(increment.added.provenance.map(\.poolIndex!)).count == 20)
    }

    @Test("random and SNN draw the same initial set from the same seed; random never repeats")
    func randomSampling() throws {
        let pool = gridPool(count: 100)
        let random = RandomSampling<LinearLossModel>(pool: pool)
        let snn = try NearestNeighborSampling<LinearLossModel, LinearGenerator>(
            pool: pool, encoder: generator, generator: generator, alpha: 1)
        var r1 = SeededGenerator(seed: 3), r2 = SeededGenerator(seed: 3)
        let a = try random.initialSet(size: 10, using: &r1), b = try snn.initialSet(size: 10, using: &r2)
        #expect(a.added.provenance.map(\.poolIndex) == b.added.provenance.map(\.poolIndex))
        var training = a.added
        for round in 2...10 {
            let next = try random.increment(size: 9, round: round, trainingSet: training, model: LinearLossModel(),
                                            using: &r1)
            #expect(training.poolIndices.isDisjoint(with: next.added.poolIndices))
            training.append(contentsOf: next.added)
        }
        #expect(training.poolIndices.count == 91)
        #expect(throws: SamplingError.poolExhausted(requested: 10, available: 9)) {
            try random.increment(size: 10, round: 11, trainingSet: training, model: LinearLossModel(), using: &r1)
        }
    }

    @Test("SI moves codes along the normalized gradient by α, labels G(z'), keeps the others when one fails")
    func interpolationSampling() async throws {
        let model = LinearLossModel(w: [1, 0])
        let si = try InterpolationSampling<LinearLossModel, LinearGenerator, ThresholdTool>(
            generator: generator, tool: ThresholdTool(failAbove: 2.5), alpha: 0.25)
        var randomness = SeededGenerator(seed: 11)
        let initial = try await si.initialSet(size: 40, using: &randomness)
        #expect(initial.added.count + initial.failures.count == 40)
        #expect(!initial.failures.isEmpty, "some G(z) with x0 > 2.5 should have been refused")
        for (i, record) in initial.added.provenance.enumerated() {
            let z = try #require(record.movedPoint)
            #expect(record.seedPoint == nil && record.poolIndex == nil && record.labelingCost?.units == 1)
            let x = generator.generate(LatentPoints(dimension: 2, values: z)).sample(at: 0)
            #expect(initial.added.samples.sample(at: i) == x)
            #expect(initial.added.labels[i] == (x[0] > 0 ? 1 : 0))
        }
        for failure in initial.failures { #expect(failure.reason.contains("refused")) }

        let next = try await si.increment(size: 15, round: 2, trainingSet: initial.added, model: model, using: &randomness)
        let d: [Float] = [2 / 5.0.squareRoot(), 1 / 5.0.squareRoot()].map(Float.init)
        for record in next.added.provenance + next.failures.map(\.provenance) {
            let z = try #require(record.seedPoint), moved = try #require(record.movedPoint)
            #expect(abs(moved[0] - (z[0] + 0.25 * d[0])) < 1e-6 && abs(moved[1] - (z[1] + 0.25 * d[1])) < 1e-6)
            #expect(initial.added.provenance.contains { $0.movedPoint == z })
        }
        #expect(next.added.count + next.failures.count == 15)

        // With nothing labeled yet there is no code to move: SI draws from the prior.
        let empty = LabeledSet<Int32>(sampleShape: [2])
        let fresh = try await si.increment(size: 5, round: 2, trainingSet: empty, model: model, using: &randomness)
        #expect(fresh.added.count + fresh.failures.count == 5)
        #expect((fresh.added.provenance + fresh.failures.map(\.provenance)).allSatisfy { $0.seedPoint == nil && $0.round == 2 })
    }

    @Test("the dataset oracle labels by index and fails only the bad index")
    func datasetOracle() async throws {
        let oracle = DatasetOracle(labels: [Int32(4), 5, 6])
        let outcomes = oracle.label([2, 7, 0])
        #expect(outcomes.map(\.label) == [6, nil, 4])
        #expect("\(try #require(outcomes[1].result.failure))".contains("index 7"))
    }
}

extension Result {
    var failure: Failure? {
        if case let .failure(error) = self { return error }
        return nil
    }
}

@Suite("SI's random baseline")
struct PriorSamplingTests {
    @Test("prior sampling starts from SI's T(1) and then draws fresh codes, never moved ones")
    func priorSampling() async throws {
        let generator = LinearGenerator()
        let tool = ThresholdTool()
        let si = try InterpolationSampling<LinearLossModel, LinearGenerator, ThresholdTool>(generator: generator, tool: tool, alpha: 1)
        let prior = try PriorSampling<LinearLossModel, LinearGenerator, ThresholdTool>(generator: generator, tool: tool)
        var r1 = SeededGenerator(seed: 4), r2 = SeededGenerator(seed: 4)
        let a = try await si.initialSet(size: 10, using: &r1), b = try await prior.initialSet(size: 10, using: &r2)
        #expect(a.added.samples == b.added.samples)
        #expect(b.added.provenance.allSatisfy { $0.strategy == "random-prior" })
        let next = try await prior.increment(size: 6, round: 2, trainingSet: b.added, model: LinearLossModel(), using: &r2)
        #expect(next.added.count == 6)
        #expect(next.added.provenance.allSatisfy { $0.seedPoint == nil && $0.round == 2 && $0.movedPoint != nil })
        let earlier = Set(b.added.provenance.compactMap(\.movedPoint))
        #expect(next.added.provenance.allSatisfy { !earlier.contains($0.movedPoint!) })
    }
}

@Suite("Binarized generator")
struct BinarizedGeneratorTests {
    @Test("samples are cut at the threshold and the pullback is the base generator's")
    func binarized() throws {
        let base = LinearGenerator()
        let binary = BinarizedGenerator(base, threshold: 0.6)
        let z = LatentPoints(dimension: 2, values: [0, 0, 0.05, 2, -1, 1])
        let smooth = base.generate(z), cut = try binary.generate(z)
        #expect(cut.values == smooth.values.map { $0 >= 0.6 ? 1 : 0 })
        #expect(cut.values.contains(1) && cut.values.contains(0))
        let v = SampleBatch(sampleShape: [2], values: [1, 2, 3, 4, 5, 6])
        #expect(try binary.pullback(at: z, cotangent: v) == base.pullback(at: z, cotangent: v))
    }
}
