import Foundation
import HDF5Store

/// Repeated progressive runs: every strategy × every seed, with the same initial
/// set for every pool-based strategy of one seed, recorded in one HDF5 results file.
///
/// Results file layout:
/// - attributes: `metric`, `metric_increases`, `seeds`, `strategies`, and the schedule
///   (`initial_size`, `increment_size`, `epochs_per_round`, `maximum_rounds`, ...);
/// - `/<strategy>/metric`: float64 seeds × rounds (NaN where a run stopped earlier);
/// - `/<strategy>/training_set_size`: int64 seeds × rounds;
/// - `/<strategy>/seed_<s>/…`: the run's ``RunLog`` (selected indices or latent points,
///   provenance, labels, the last model).
///
/// An interrupted experiment resumes when run again with the same file: completed
/// runs are read back, an interrupted one continues after its last completed round.
public struct Experiment<Model: TargetModel> {
    /// The schedule every run follows.
    public var schedule: TrainingSchedule
    /// The seeds; each seed gives one run per strategy.
    public var seeds: [UInt64]
    /// The strategies to compare.
    public var strategies: [any SamplingStrategy<Model>]
    /// Makes a fresh target model for each run.
    public var makeModel: () -> Model
    /// The fixed held-out test set.
    public var testSet: TestSet<Model.Label>
    /// The shape of one sample.
    public var sampleShape: [Int]
    /// The latent dimension d (for provenance records).
    public var latentDimension: Int

    /// Creates an experiment.
    public init(schedule: TrainingSchedule, seeds: [UInt64], strategies: [any SamplingStrategy<Model>],
                testSet: TestSet<Model.Label>, sampleShape: [Int], latentDimension: Int,
                makeModel: @escaping () -> Model) {
        self.schedule = schedule
        self.seeds = seeds
        self.strategies = strategies
        self.testSet = testSet
        self.sampleShape = sampleShape
        self.latentDimension = latentDimension
        self.makeModel = makeModel
    }

    /// Runs (or resumes) every run, writing into `file`, and returns the summary.
    ///
    /// - Parameters:
    ///   - file: the results file; runs it already holds are read back or resumed.
    ///   - progress: receives one line per round and per finished run.
    public func run(in file: HDF5File, progress: (String) -> Void = { _ in }) async throws -> ExperimentSummary {
        try recordConfiguration(in: file)
        let trainer = ProgressiveTrainer(schedule: schedule)
        var curves: [String: [[Double]]] = [:]
        var sizes: [String: [[Int]]] = [:]
        for seed in seeds {
            for strategy in strategies {
                let path = "\(strategy.name)/seed_\(seed)"
                let group = file.contains(path) ? try file.group(path) : try file.createGroup(path)
                let log = RunLog(group: group, strategy: strategy.name, sampleShape: sampleShape,
                                 latentDimension: latentDimension)
                let model = makeModel()
                let start = Date()
                let result = try await trainer.run(strategy, model: model, testSet: testSet, seed: seed, log: log) { record in
                    progress(String(format: "  %@ seed %llu round %d: %d labels, %@ %.4f (train %.1f s, sample %.1f s)",
                                    strategy.name, seed, record.round, record.trainingSetSize, model.metricName,
                                    record.metric, record.trainingSeconds, record.samplingSeconds))
                }
                progress(String(format: "%@ seed %llu: %d rounds, final %@ %.4f, %.1f s",
                                strategy.name, seed, result.rounds.count, model.metricName,
                                result.rounds.last?.metric ?? .nan, Date().timeIntervalSince(start)))
                curves[strategy.name, default: []].append(result.rounds.map(\.metric))
                sizes[strategy.name, default: []].append(result.rounds.map(\.trainingSetSize))
            }
        }
        let probe = makeModel()
        let summary = ExperimentSummary(metricName: probe.metricName, metricIncreases: probe.metricIncreases,
                                        strategies: strategies.map(\.name), curves: curves, trainingSetSizes: sizes)
        try summary.write(to: file, rounds: schedule.maximumRounds)
        try file.checkpoint()
        return summary
    }

    /// Writes the configuration, or checks it against the one a resumed file holds.
    private func recordConfiguration(in file: HDF5File) throws {
        try LatentSampling.recordConfiguration([
            ("strategies", strategies.map(\.name).joined(separator: ",")),
            ("seeds", seeds.map(String.init).joined(separator: ",")),
            ("initial_size", "\(schedule.initialSize)"), ("increment_size", "\(schedule.incrementSize)"),
            ("epochs_per_round", "\(schedule.epochsPerRound)"), ("maximum_rounds", "\(schedule.maximumRounds)"),
            ("label_budget", schedule.labelBudget.map(String.init) ?? "none"),
            ("target_metric", schedule.targetMetric.map { "\($0)" } ?? "none"),
            ("warm_start", "\(schedule.warmStart)"), ("sample_shape", "\(sampleShape)"),
        ], in: file)
    }
}

/// Opens a results file for an experiment: an existing file is opened for resuming
/// unless `overwrite` is set; otherwise the file (and its folder) is created.
///
/// The file is crash-safe (`HDF5File.init(checkpointedAt:mode:)`): the experiment
/// writes to a private working copy, and every `HDF5Object.checkpoint()` (after the
/// VAE is trained, after every round, at the end) atomically replaces the file at
/// `path` with a consistent snapshot. A process killed at any instant leaves the last
/// checkpoint, from which a rerun resumes. A new file is published (empty) at once.
///
/// - Returns: the file, and whether it is resumed.
public func openResultsFile(at path: String, overwrite: Bool) throws -> (file: HDF5File, resumed: Bool) {
    let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let resumed = FileManager.default.fileExists(atPath: path) && !overwrite
    let file = try HDF5File(checkpointedAt: path, mode: resumed ? .readWrite : .truncate)
    if !resumed { try file.checkpoint() }
    return (file, resumed)
}

/// Records settings as string attributes of a results file, or, when the file already
/// holds them (a resumed experiment), checks that they are the same.
///
/// - Throws: ``ExperimentError/configurationMismatch(file:attribute:stored:requested:)``
///   naming the first setting that differs.
public func recordConfiguration(_ settings: [(name: String, value: String)], in file: HDF5File) throws {
    for (name, value) in settings {
        if file.hasAttribute(name) {
            let stored = try file.stringAttribute(name)
            guard stored == value else {
                throw ExperimentError.configurationMismatch(file: file.filePath, attribute: name, stored: stored, requested: value)
            }
        } else {
            try file.setAttribute(name, value)
        }
    }
}

/// Why an experiment could not run.
public enum ExperimentError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The results file holds an experiment with another configuration.
    case configurationMismatch(file: String, attribute: String, stored: String, requested: String)

    /// A one-line message.
    public var description: String {
        switch self {
        case let .configurationMismatch(file, attribute, stored, requested):
            return "\(file) holds an experiment with \(attribute) = \(stored), not \(requested); "
                + "resume with the same settings, or write to another file"
        }
    }
}

/// The learning curves of an experiment, and the paper's Table 1 built from them.
public struct ExperimentSummary: Sendable {
    /// The metric's name.
    public var metricName: String
    /// Whether a larger metric is better.
    public var metricIncreases: Bool
    /// The strategies, in order.
    public var strategies: [String]
    /// Per strategy: the metric per seed (rows) and round (columns).
    public var curves: [String: [[Double]]]
    /// Per strategy: |T(t)| per seed and round.
    public var trainingSetSizes: [String: [[Int]]]

    /// A summary of learning curves (one row per seed, one column per round).
    public init(metricName: String, metricIncreases: Bool, strategies: [String],
                curves: [String: [[Double]]], trainingSetSizes: [String: [[Int]]]) {
        self.metricName = metricName
        self.metricIncreases = metricIncreases
        self.strategies = strategies
        self.curves = curves
        self.trainingSetSizes = trainingSetSizes
    }

    /// Mean and sample standard deviation over seeds of round `round` (0-based).
    public func statistics(strategy: String, round: Int) -> (mean: Double, deviation: Double)? {
        let values = (curves[strategy] ?? []).compactMap { $0.indices.contains(round) ? $0[round] : nil }
        return Self.meanAndDeviation(values)
    }

    /// The area under the learning curve of each seed (trapezoids over the number of
    /// labels, divided by the label range, so it is a mean metric), as mean ± std.
    public func areaUnderLearningCurve(strategy: String) -> (mean: Double, deviation: Double)? {
        let curves = curves[strategy] ?? [], sizes = trainingSetSizes[strategy] ?? []
        let areas = zip(curves, sizes).map { metric, size -> Double in
            guard metric.count > 1, let first = size.first, let last = size.last, last > first else { return metric.first ?? .nan }
            var area = 0.0
            for i in 1..<metric.count { area += (metric[i] + metric[i - 1]) / 2 * Double(size[i] - size[i - 1]) }
            return area / Double(last - first)
        }
        return Self.meanAndDeviation(areas)
    }

    /// Table 1 of the paper: one row per round (with its number of labels), one column
    /// per strategy, mean ± std over seeds; then the area under the learning curve.
    ///
    /// When strategies reach a round with different numbers of labels (SI's failed
    /// labelings, say), each cell also gives its strategy's mean |T(t)| in brackets.
    public func table() -> String {
        let rounds = curves.values.flatMap { $0 }.map(\.count).max() ?? 0
        let width = 26
        func pad(_ s: String) -> String { s.count >= width ? " " + s : String(repeating: " ", count: width - s.count) + s }
        func meanSize(_ strategy: String, _ round: Int) -> Double? {
            let sizes = (trainingSetSizes[strategy] ?? []).compactMap { $0.indices.contains(round) ? Double($0[round]) : nil }
            return sizes.isEmpty ? nil : sizes.reduce(0, +) / Double(sizes.count)
        }
        var lines = ["round  labels" + strategies.map { pad($0) }.joined()]
        for round in 0..<rounds {
            let sizes = strategies.compactMap { meanSize($0, round) }
            let shared = Set(sizes).count == 1
            let cells = strategies.map { strategy -> String in
                guard let s = statistics(strategy: strategy, round: round) else { return pad("–") }
                let cell = String(format: "%.4f ± %.4f", s.mean, s.deviation)
                return pad(shared ? cell : cell + String(format: " [%.0f]", meanSize(strategy, round) ?? 0))
            }
            let labels = shared ? String(format: "%6.0f", sizes[0]) : "     –"
            lines.append(String(format: "%5d  ", round + 1) + labels + cells.joined())
        }
        let areas = strategies.map { strategy -> String in
            guard let s = areaUnderLearningCurve(strategy: strategy) else { return pad("–") }
            return pad(String(format: "%.4f ± %.4f", s.mean, s.deviation))
        }
        lines.append("AULC         " + areas.joined())
        lines.append("(\(metricName), mean ± std over \(curves.values.first?.count ?? 0) seeds; "
            + "AULC: area under the learning curve over the label range, \(metricIncreases ? "higher" : "lower") is better)")
        return lines.joined(separator: "\n")
    }

    /// Writes the seeds × rounds matrices of every strategy.
    func write(to file: HDF5File, rounds: Int) throws {
        try file.setAttribute("metric", metricName)
        try file.setAttribute("metric_increases", Int64(metricIncreases ? 1 : 0))
        for strategy in strategies {
            let curves = curves[strategy] ?? [], sizes = trainingSetSizes[strategy] ?? []
            let metric = curves.flatMap { row in (0..<rounds).map { row.indices.contains($0) ? row[$0] : .nan } }
            let size = sizes.flatMap { row in (0..<rounds).map { row.indices.contains($0) ? Int64(row[$0]) : -1 } }
            for name in ["metric", "training_set_size"] where file.contains("\(strategy)/\(name)") {
                try file.remove("\(strategy)/\(name)")
            }
            try file.createDataset("\(strategy)/metric", values: metric, shape: [curves.count, rounds])
            try file.createDataset("\(strategy)/training_set_size", values: size, shape: [sizes.count, rounds])
        }
    }

    static func meanAndDeviation(_ values: [Double]) -> (mean: Double, deviation: Double)? {
        guard !values.isEmpty else { return nil }
        let mean = values.reduce(0, +) / Double(values.count)
        guard values.count > 1 else { return (mean, 0) }
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
        return (mean, variance.squareRoot())
    }
}
