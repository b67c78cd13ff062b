import Foundation
import HDF5Store
import LatentSampling
import Testing

@Suite("Experiments and Table 1")
struct ExperimentTests {
    let generator = LinearGenerator()
    let pool = gridPool(count: 17 * 13)
    let testSet = try! TestSet(samples: SampleBatch(sampleShape: [2], values: [0, 0]), labels: [Int32(0)])

    func experiment(crashInCall: Int? = nil, seeds: [UInt64] = [1, 2]) throws -> Experiment<LinearLossModel> {
        let strategies: [any SamplingStrategy<LinearLossModel>] = [
            RandomSampling(pool: pool),
            try NearestNeighborSampling<LinearLossModel, LinearGenerator>(
                pool: pool, encoder: generator, generator: generator, alpha: 0.7),
        ]
        var calls = 0
        return Experiment(
            schedule: TrainingSchedule(initialSize: 8, incrementSize: 4, epochsPerRound: 1, maximumRounds: 5),
            seeds: seeds, strategies: strategies, testSet: testSet, sampleShape: [2], latentDimension: 2
        ) {
            calls += 1
            let model = LinearLossModel()
            if calls == crashInCall { model.failInTrainingCall = 3 }
            return model
        }
    }

    @Test("every strategy of a seed starts from the same T(1); the file holds seeds × rounds")
    func sameInitialSetAndResultsFile() async throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let path = directory.path("results.h5")
        let summary = try await experiment().run(in: try HDF5File(path: path, mode: .truncate))
        let file = try HDF5File(path: path)
        for seed in [1, 2] {
            let rounds = try file.dataset("random/seed_\(seed)/selected/round").read(as: Int64.self)
            let initialCount = rounds.filter { $0 == 1 }.count
            let random = try file.dataset("random/seed_\(seed)/selected/pool_index").read(as: Int64.self, rows: 0..<initialCount)
            let snn = try file.dataset("snn/seed_\(seed)/selected/pool_index").read(as: Int64.self, rows: 0..<initialCount)
            #expect(initialCount == 8 && random == snn)
        }
        #expect(try file.dataset("snn/metric").shape == [2, 5])
        #expect(try file.dataset("snn/metric").read(as: Double.self) == summary.curves["snn"]!.flatMap { $0 })
        #expect(try file.dataset("random/training_set_size").read(as: Int64.self) == [8, 12, 16, 20, 24, 8, 12, 16, 20, 24])
        #expect(try file.stringAttribute("strategies") == "random,snn")

        // Table 1: mean ± std per round, then the AULC.
        let table = summary.table()
        let lines = table.split(separator: "\n")
        #expect(lines.count == 1 + 5 + 2)
        #expect(lines[0].contains("random") && lines[0].contains("snn"))
        let first = try #require(summary.statistics(strategy: "snn", round: 0))
        #expect(lines[1].contains(String(format: "%.4f ± %.4f", first.mean, first.deviation)))
        #expect(lines[6].hasPrefix("AULC"))
    }

    @Test("the area under the learning curve is the trapezoid mean over the label range")
    func areaUnderLearningCurve() {
        let summary = ExperimentSummary(metricName: "accuracy", metricIncreases: true, strategies: ["a"],
                                        curves: ["a": [[0.5, 0.7, 0.9], [0.5, 0.5, 0.5]]],
                                        trainingSetSizes: ["a": [[10, 20, 40], [10, 20, 40]]])
        // Seed 1: ((0.5+0.7)/2·10 + (0.7+0.9)/2·20) / 30 = (6 + 16) / 30; seed 2: 0.5.
        let area = summary.areaUnderLearningCurve(strategy: "a")!
        let seed1: Double = 22.0 / 30, seed2: Double = 0.5
        let expectedMean: Double = (seed1 + seed2) / 2
        let expectedDeviation: Double = abs(seed1 - seed2) / 2.0.squareRoot()
        #expect(abs(area.mean - expectedMean) < 1e-12)
        #expect(abs(area.deviation - expectedDeviation) < 1e-12)
        #expect(summary.statistics(strategy: "a", round: 2)!.mean == 0.7)
    }

    @Test("an interrupted experiment resumes to the same summary; another configuration is refused")
    func resumeAndMismatch() async throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let straight = try await experiment().run(in: try HDF5File(path: directory.path("a.h5"), mode: .truncate))
        // The third run (seed 2, random) crashes in its third round.
        await #expect(throws: LinearLossModel.SimulatedCrash.self) {
            _ = try await experiment(crashInCall: 3).run(in: try HDF5File(path: directory.path("b.h5"), mode: .truncate))
        }
        let resumed = try await experiment().run(in: try HDF5File(path: directory.path("b.h5"), mode: .readWrite))
        #expect(resumed.curves == straight.curves && resumed.trainingSetSizes == straight.trainingSetSizes)

        await #expect(throws: ExperimentError.self) {
            _ = try await experiment(seeds: [1, 3]).run(in: try HDF5File(path: directory.path("b.h5"), mode: .readWrite))
        }
    }
}

@Suite("Table 1 with unequal label counts")
struct UnequalTableTests {
    @Test("rounds where strategies hold different numbers of labels show each one's mean size")
    func unequalSizes() {
        let summary = ExperimentSummary(metricName: "mse", metricIncreases: false, strategies: ["prior", "si"],
                                        curves: ["prior": [[0.5, 0.3]], "si": [[0.5, 0.2]]],
                                        trainingSetSizes: ["prior": [[10, 18]], "si": [[10, 20]]])
        let lines = summary.table().split(separator: "\n").map(String.init)
        #expect(lines[1].hasPrefix("    1      10") && !lines[1].contains("["))
        #expect(lines[2].hasPrefix("    2       –") && lines[2].contains("0.3000 ± 0.0000 [18]") && lines[2].contains("0.2000 ± 0.0000 [20]"))
        #expect(lines.last!.contains("lower is better"))
    }
}
