import Foundation
import HDF5Store
import Randomness

/// When and how the progressive trainer trains and grows the training set.
public struct TrainingSchedule: Sendable, Hashable {
    /// |T(1)|, the size of the initial training set.
    public var initialSize: Int
    /// J, the number of samples added per round.
    public var incrementSize: Int
    /// E, the training epochs per round.
    public var epochsPerRound: Int
    /// n, the largest number of rounds.
    public var maximumRounds: Int
    /// Stop once the training set holds this many labeled samples (the label budget), or `nil`.
    public var labelBudget: Int?
    /// Stop once the test metric reaches this value, or `nil`.
    public var targetMetric: Double?
    /// Train each round from the previous round's parameters (`true`, the default) or
    /// from a fresh initialization (`false`).
    public var warmStart: Bool

    /// Creates a schedule.
    public init(initialSize: Int, incrementSize: Int, epochsPerRound: Int, maximumRounds: Int,
                labelBudget: Int? = nil, targetMetric: Double? = nil, warmStart: Bool = true) {
        self.initialSize = initialSize
        self.incrementSize = incrementSize
        self.epochsPerRound = epochsPerRound
        self.maximumRounds = maximumRounds
        self.labelBudget = labelBudget
        self.targetMetric = targetMetric
        self.warmStart = warmStart
    }

    func validate() throws {
        guard initialSize > 0, incrementSize > 0, epochsPerRound > 0, maximumRounds > 0 else {
            throw SamplingError.invalidParameter(
                "initial size, increment size J, epochs E and maximum rounds n must be positive")
        }
        if let labelBudget, labelBudget < initialSize {
            throw SamplingError.invalidParameter("label budget \(labelBudget) is smaller than the initial set \(initialSize)")
        }
    }
}

/// What one round t produced.
public struct RoundRecord: Sendable, Hashable {
    /// The round t (1-based).
    public var round: Int
    /// |T(t)|, the labeled samples F was trained on.
    public var trainingSetSize: Int
    /// F's metric on the held-out test set after training on T(t).
    public var metric: Double
    /// Samples chosen for the next round whose labeling failed.
    public var failures: Int
    /// Seconds spent training F this round.
    public var trainingSeconds: Double
    /// Seconds spent choosing and labeling the next increment.
    public var samplingSeconds: Double
}

/// A labeled test set: the fixed held-out data every round is evaluated on.
public struct TestSet<Label: Sendable>: Sendable {
    /// The test samples.
    public var samples: SampleBatch
    /// Their labels.
    public var labels: [Label]

    /// Creates a test set.
    ///
    /// - Throws: ``CountMismatchError`` when there are not as many labels as samples.
    public init(samples: SampleBatch, labels: [Label]) throws(CountMismatchError) {
        guard samples.count == labels.count else {
            throw CountMismatchError(of: "test set", samples: samples.count, labels: labels.count)
        }
        self.samples = samples
        self.labels = labels
    }
}

/// The outcome of one progressive run (one strategy, one seed).
public struct RunResult<Label: Sendable>: Sendable {
    /// One record per completed round.
    public var rounds: [RoundRecord]
    /// The final training set, with provenance.
    public var trainingSet: LabeledSet<Label>
    /// Every chosen sample whose labeling failed.
    public var failures: [FailedSample]
}

/// Trains a target model progressively: rounds t = 1…n, each training F for E
/// epochs on T(t), evaluating it on the test set, then growing T by J samples the
/// strategy chooses.
///
/// Every random choice is drawn from a generator seeded by (seed, round, purpose),
/// so a run is reproducible from its seed, and a run resumed from its results file
/// ends exactly as an uninterrupted one (given a deterministic target model).
///
/// Resuming a warm-started run needs the model of the last completed round: a
/// ``ResumableTargetModel`` loads the parameters saved with that round; any other
/// ``TargetModel`` is reset from the seed and trained again on T(1), …, T(t) with the
/// rounds' own seeds, which rebuilds the same model at the cost of that training time.
public struct ProgressiveTrainer: Sendable {
    /// The schedule.
    public var schedule: TrainingSchedule

    /// Creates a trainer.
    public init(schedule: TrainingSchedule) {
        self.schedule = schedule
    }

    /// Runs (or resumes) one strategy with one seed.
    ///
    /// - Parameters:
    ///   - strategy: chooses T(1) and the increments.
    ///   - model: the target model F; its parameters are reset from `seed` at the start.
    ///   - testSet: the fixed held-out set evaluated after every round.
    ///   - seed: the run's seed.
    ///   - log: where every round is checkpointed; when it already holds completed
    ///     rounds, the run continues after the last one.
    ///   - progress: called after every round.
    public func run<Strategy: SamplingStrategy>(
        _ strategy: Strategy, model: Strategy.Model, testSet: TestSet<Strategy.Model.Label>,
        seed: UInt64, log: RunLog? = nil, progress: (RoundRecord) -> Void = { _ in }
    ) async throws -> RunResult<Strategy.Model.Label> {
        try schedule.validate()
        var rounds: [RoundRecord] = []
        var failures: [FailedSample] = []
        var trainingSet: LabeledSet<Strategy.Model.Label>
        var firstRound = 1

        if let log, let saved = try log.restore(labelType: Strategy.Model.Label.self) {
            rounds = saved.rounds
            failures = saved.failures
            trainingSet = saved.trainingSet
            if saved.finished || rounds.count >= schedule.maximumRounds {
                return RunResult(rounds: rounds, trainingSet: trainingSet, failures: failures)
            }
            model.resetParameters(seed: Self.seed(seed, round: 0, .model))
            if schedule.warmStart, !rounds.isEmpty {
                if let resumable = model as? any ResumableTargetModel {
                    try log.loadModel(into: resumable, round: rounds.count)
                } else {
                    try replayTraining(of: model, on: trainingSet, rounds: rounds, seed: seed)
                }
            }
            firstRound = rounds.count + 1
        } else {
            var randomness = SeededGenerator(seed: Self.seed(seed, round: 1, .sampling))
            let initial = try await strategy.initialSet(size: schedule.initialSize, using: &randomness)
            try checkIncrement(initial, of: strategy, requirement: "initialSet(size:using:)",
                               sampleShape: log?.sampleShape ?? initial.added.samples.sampleShape,
                               requested: schedule.initialSize)
            trainingSet = initial.added
            failures = initial.failures
            model.resetParameters(seed: Self.seed(seed, round: 0, .model))
            try log?.checkpoint(round: 0, record: nil, increment: initial, model: nil)
        }

        for t in firstRound...schedule.maximumRounds {
            if !schedule.warmStart { model.resetParameters(seed: Self.seed(seed, round: t, .model)) }
            let trainingStart = Date()
            try model.train(on: trainingSet.samples, labels: trainingSet.labels,
                            epochs: schedule.epochsPerRound, seed: Self.seed(seed, round: t, .training))
            let metric = try model.evaluate(on: testSet.samples, labels: testSet.labels)
            let trainingSeconds = Date().timeIntervalSince(trainingStart)

            let budgetLeft = schedule.labelBudget.map { $0 - trainingSet.count } ?? Int.max
            let reachedTarget = schedule.targetMetric.map { model.metricIncreases ? metric >= $0 : metric <= $0 } ?? false
            let finished = t == schedule.maximumRounds || budgetLeft <= 0 || reachedTarget

            var increment: Increment<Strategy.Model.Label>?
            let samplingStart = Date()
            if !finished {
                var randomness = SeededGenerator(seed: Self.seed(seed, round: t + 1, .sampling))
                let size = min(schedule.incrementSize, budgetLeft)
                let chosen = try await strategy.increment(
                    size: size, round: t + 1, trainingSet: trainingSet, model: model, using: &randomness)
                try checkIncrement(chosen, of: strategy, requirement: "increment(size:round:trainingSet:model:using:)",
                                   sampleShape: trainingSet.samples.sampleShape, requested: size)
                increment = chosen
            }
            let record = RoundRecord(round: t, trainingSetSize: trainingSet.count, metric: metric,
                                     failures: increment?.failures.count ?? 0, trainingSeconds: trainingSeconds,
                                     samplingSeconds: Date().timeIntervalSince(samplingStart))
            rounds.append(record)
            if let increment {
                trainingSet.append(contentsOf: increment.added)
                failures += increment.failures
            }
            try log?.checkpoint(round: t, record: record, increment: increment, model: model, finished: finished)
            progress(record)
            if finished { break }
        }
        return RunResult(rounds: rounds, trainingSet: trainingSet, failures: failures)
    }

    /// Rebuilds a warm-started model that cannot load saved parameters: trains it again,
    /// round by round, exactly as the completed rounds did (T(r) is the first |T(r)|
    /// samples of the training set, with round r's training seed).
    private func replayTraining<Model: TargetModel>(
        of model: Model, on trainingSet: LabeledSet<Model.Label>, rounds: [RoundRecord], seed: UInt64
    ) throws {
        for record in rounds {
            let size = record.trainingSetSize
            guard size >= 0, size <= trainingSet.count else {
                throw SamplingError.invalidParameter(
                    "cannot resume: round \(record.round) trained on \(size) samples but the results file holds \(trainingSet.count)")
            }
            let prefix = Array(0..<size)
            try model.train(on: trainingSet.samples.selecting(prefix), labels: Array(trainingSet.labels.prefix(size)),
                            epochs: schedule.epochsPerRound, seed: Self.seed(seed, round: record.round, .training))
        }
    }

    /// What a derived seed is for.
    enum Purpose: UInt64 { case sampling = 1, training = 2, model = 3 }

    /// A seed for (run seed, round, purpose), mixed so that nearby inputs give unrelated streams.
    static func seed(_ seed: UInt64, round: Int, _ purpose: Purpose) -> UInt64 {
        var mixer = SeededGenerator(seed: seed ^ (UInt64(round) &* 0x9E37_79B9_7F4A_7C15) ^ (purpose.rawValue << 56))
        return mixer.next()
    }
}
