import Foundation
import HDF5Store
import LatentSampling
import Testing

@Suite("Progressive trainer and resume")
struct TrainerTests {
    let generator = LinearGenerator()
    let pool = gridPool(count: 17 * 13)
    let testSet = try! TestSet(samples: SampleBatch(sampleShape: [2], values: [0, 0, 1, 1]), labels: [Int32(0), 1])

    func snn() throws -> NearestNeighborSampling<LinearLossModel, LinearGenerator> {
        try NearestNeighborSampling(pool: pool, encoder: generator, generator: generator, alpha: 0.6)
    }

    @Test("rounds grow T by J and stop at the label budget")
    func budgetStopsTheRun() async throws {
        let schedule = TrainingSchedule(initialSize: 10, incrementSize: 7, epochsPerRound: 2, maximumRounds: 50,
                                        labelBudget: 31)
        let model = LinearLossModel()
        var seen: [Int] = []
        let result = try await ProgressiveTrainer(schedule: schedule).run(
            try snn(), model: model, testSet: testSet, seed: 5) { seen.append($0.round) }
        // 10, 17, 24, 31 (the last increment is cut to the budget): four rounds.
        #expect(result.rounds.map(\.trainingSetSize) == [10, 17, 24, 31])
        #expect(model.trainingSizes == [10, 17, 24, 31])
        #expect(seen == [1, 2, 3, 4])
        #expect(result.trainingSet.count == 31 && result.trainingSet.poolIndices.count == 31)
        #expect(result.trainingSet.provenance.map(\.round) == Array(repeating: 1, count: 10)
            + Array(repeating: 2, count: 7) + Array(repeating: 3, count: 7) + Array(repeating: 4, count: 7))
    }

    @Test("a reached target metric or the round limit stops the run")
    func targetAndRoundLimit() async throws {
        // The toy metric grows with θ and the test-set size; a low target stops at once.
        var schedule = TrainingSchedule(initialSize: 5, incrementSize: 5, epochsPerRound: 1, maximumRounds: 3,
                                        targetMetric: -1e9)
        var result = try await ProgressiveTrainer(schedule: schedule).run(
            try snn(), model: LinearLossModel(), testSet: testSet, seed: 1)
        #expect(result.rounds.count == 1)
        schedule.targetMetric = nil
        result = try await ProgressiveTrainer(schedule: schedule).run(
            try snn(), model: LinearLossModel(), testSet: testSet, seed: 1)
        #expect(result.rounds.count == 3 && result.trainingSet.count == 15)
    }

    @Test("the same seed gives the same run; another seed another")
    func reproducible() async throws {
        let schedule = TrainingSchedule(initialSize: 8, incrementSize: 4, epochsPerRound: 1, maximumRounds: 4)
        let trainer = ProgressiveTrainer(schedule: schedule)
        let a = try await trainer.run(try snn(), model: LinearLossModel(), testSet: testSet, seed: 9)
        let b = try await trainer.run(try snn(), model: LinearLossModel(), testSet: testSet, seed: 9)
        let c = try await trainer.run(try snn(), model: LinearLossModel(), testSet: testSet, seed: 10)
        #expect(a.rounds.map(\.metric) == b.rounds.map(\.metric))
        #expect(a.trainingSet.provenance == b.trainingSet.provenance)
        #expect(a.trainingSet.provenance != c.trainingSet.provenance)
    }

    /// Runs to completion, either straight or crashing in training call `crashAt` and
    /// resuming (optionally after appending torn rows), and returns the result and file.
    func run(
        strategy: some SamplingStrategy<LinearLossModel>, crashAt: Int?, tearRows: Bool = false,
        warmStart: Bool = true, directory: ScratchDirectory
    ) async throws -> RunResult<Int32> {
        let schedule = TrainingSchedule(initialSize: 6, incrementSize: 5, epochsPerRound: 2, maximumRounds: 6,
                                        warmStart: warmStart)
        let trainer = ProgressiveTrainer(schedule: schedule)
        let path = directory.path("run-\(crashAt ?? 0)-\(tearRows).h5")
        func openLog(_ mode: HDF5File.Mode) throws -> RunLog {
            let file = try HDF5File(path: path, mode: mode)
            let group = file.contains("runs/x") ? try file.group("runs/x") : try file.createGroup("runs/x")
            return RunLog(group: group, strategy: strategy.name, sampleShape: [2], latentDimension: 2)
        }
        if let crashAt {
            let model = LinearLossModel()
            model.failInTrainingCall = crashAt
            await #expect(throws: LinearLossModel.SimulatedCrash.self) {
                _ = try await trainer.run(strategy, model: model, testSet: testSet, seed: 21, log: try openLog(.truncate))
            }
            if tearRows {
                // A crash in the middle of a later checkpoint: rows past the last
                // completed round, and a model group for the round after it.
                let log = try openLog(.readWrite)
                try log.group.dataset("selected/round").append([Int64(99)])
                if !log.group.contains("rounds/metric") {
                    try log.group.createDataset("rounds/metric", of: Double.self, shape: [0], extendible: true)
                }
                try log.group.dataset("rounds/metric").append([-5.0])
                try log.group.createGroup("model/round_\(crashAt)")
            }
            return try await trainer.run(strategy, model: LinearLossModel(), testSet: testSet, seed: 21,
                                         log: try openLog(.readWrite))
        }
        return try await trainer.run(strategy, model: LinearLossModel(), testSet: testSet, seed: 21,
                                     log: try openLog(.truncate))
    }

    @Test("a run resumed after a crash in any round equals an uninterrupted one", arguments: [1, 2, 4, 6])
    func resumeEqualsUninterrupted(crashAt: Int) async throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let straight = try await run(strategy: try snn(), crashAt: nil, directory: directory)
        let resumed = try await run(strategy: try snn(), crashAt: crashAt, tearRows: true, directory: directory)
        #expect(straight.rounds.count == 6)
        #expect(resumed.rounds.map(\.metric) == straight.rounds.map(\.metric))
        #expect(resumed.rounds.map(\.trainingSetSize) == straight.rounds.map(\.trainingSetSize))
        #expect(resumed.trainingSet.provenance == straight.trainingSet.provenance)
        #expect(resumed.trainingSet.samples == straight.trainingSet.samples)
        #expect(resumed.trainingSet.labels == straight.trainingSet.labels)

        // The file holds what the run returned.
        let file = try HDF5File(path: directory.path("run-\(crashAt)-true.h5"))
        let group = try file.group("runs/x")
        #expect(try group.intAttribute("completed_rounds") == 6 && group.intAttribute("finished") == 1)
        #expect(try group.dataset("rounds/metric").read(as: Double.self) == straight.rounds.map(\.metric))
        #expect(try group.dataset("selected/pool_index").read(as: Int64.self)
            == straight.trainingSet.provenance.map { Int64($0.poolIndex!) })
        #expect(try group.memberNames().contains("model") && group.group("model").memberNames() == ["round_6"])
    }

    @Test("a model without saved parameters resumes by replaying the completed rounds' training", arguments: [2, 5])
    func resumeWithoutSavedParameters(crashAt: Int) async throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let schedule = TrainingSchedule(initialSize: 6, incrementSize: 5, epochsPerRound: 2, maximumRounds: 6)
        let trainer = ProgressiveTrainer(schedule: schedule)
        let strategy = try NearestNeighborSampling<PlainLinearModel, LinearGenerator>(
            pool: pool, encoder: generator, generator: generator, alpha: 0.6)
        func log(_ name: String, _ mode: HDF5File.Mode) throws -> RunLog {
            let file = try HDF5File(path: directory.path(name), mode: mode)
            let group = file.contains("run") ? try file.group("run") : try file.createGroup("run")
            return RunLog(group: group, strategy: strategy.name, sampleShape: [2], latentDimension: 2)
        }
        let straight = try await trainer.run(strategy, model: PlainLinearModel(), testSet: testSet, seed: 21,
                                             log: try log("straight.h5", .truncate))
        let crashing = PlainLinearModel()
        crashing.inner.failInTrainingCall = crashAt
        await #expect(throws: LinearLossModel.SimulatedCrash.self) {
            _ = try await trainer.run(strategy, model: crashing, testSet: testSet, seed: 21,
                                      log: try log("resumed.h5", .truncate))
        }
        let model = PlainLinearModel()
        let resumed = try await trainer.run(strategy, model: model, testSet: testSet, seed: 21,
                                            log: try log("resumed.h5", .readWrite))
        // The metric depends on θ, which every earlier round's training changed: equal
        // metrics mean the replay rebuilt the model exactly.
        #expect(resumed.rounds.map(\.metric) == straight.rounds.map(\.metric))
        #expect(resumed.trainingSet.provenance == straight.trainingSet.provenance)
        // Replayed T(1)…T(crashAt − 1), then trained rounds crashAt…6.
        let sizes = [6, 11, 16, 21, 26, 31]
        #expect(model.inner.trainingSizes == Array(sizes.prefix(crashAt - 1)) + sizes.dropFirst(crashAt - 1))
        // No parameters were written: the model is not a ResumableTargetModel.
        #expect(try !log("resumed.h5", .readOnly).group.contains("model"))
    }

    @Test("SI runs resume too, with synthesized samples, labels and failures restored from the file")
    func resumeInterpolationRun() async throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let si = try InterpolationSampling<LinearLossModel, LinearGenerator, ThresholdTool>(
            generator: generator, tool: ThresholdTool(failAbove: 2), alpha: 0.4)
        let straight = try await run(strategy: si, crashAt: nil, warmStart: false, directory: directory)
        let resumed = try await run(strategy: si, crashAt: 3, tearRows: true, warmStart: false, directory: directory)
        #expect(resumed.trainingSet.samples == straight.trainingSet.samples)
        #expect(resumed.trainingSet.labels == straight.trainingSet.labels)
        #expect(resumed.trainingSet.provenance == straight.trainingSet.provenance)
        #expect(resumed.failures == straight.failures && !straight.failures.isEmpty)
        #expect(resumed.rounds.map(\.metric) == straight.rounds.map(\.metric))
    }

    @Test("invalid schedules are rejected with a message")
    func invalidSchedule() async throws {
        let schedule = TrainingSchedule(initialSize: 10, incrementSize: 0, epochsPerRound: 1, maximumRounds: 2)
        await #expect(throws: SamplingError.self) {
            _ = try await ProgressiveTrainer(schedule: schedule).run(
                try snn(), model: LinearLossModel(), testSet: testSet, seed: 0)
        }
    }
}
