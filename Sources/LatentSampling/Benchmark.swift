import Foundation
import HDF5Store

/// A benchmark of sampling strategies: every strategy × every seed, each run growing
/// the same initial set T(1) of its seed (every pool-based strategy draws T(1) as
/// ``RandomSampling`` does), recorded in one HDF5 results file with the layout of
/// ``Experiment`` plus per-strategy timings (`/<strategy>/training_seconds` and
/// `/<strategy>/selection_seconds`, float64 seeds × rounds).
///
/// Runs are resumable exactly as an experiment's: completed runs are read back, an
/// interrupted one continues after its last completed round.
public struct Benchmark<Model: TargetModel> {
    /// The schedule every run follows.
    public var schedule: TrainingSchedule
    /// The seeds; each gives one run per strategy.
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

    /// Creates a benchmark.
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

    /// Runs (or resumes) every run into `file`, seed by seed (so an early stop leaves
    /// whole seeds for every strategy), and returns the results.
    public func run(in file: HDF5File, progress: (String) -> Void = { _ in }) async throws -> BenchmarkResult {
        try recordConfiguration([
            ("strategies", strategies.map(\.name).joined(separator: ",")),
            ("seeds", seeds.map(String.init).joined(separator: ",")),
            ("initial_size", "\(schedule.initialSize)"), ("increment_size", "\(schedule.incrementSize)"),
            ("epochs_per_round", "\(schedule.epochsPerRound)"), ("maximum_rounds", "\(schedule.maximumRounds)"),
            ("warm_start", "\(schedule.warmStart)"), ("sample_shape", "\(sampleShape)"),
        ], in: file)
        let trainer = ProgressiveTrainer(schedule: schedule)
        var result = BenchmarkResult(metricName: "", metricIncreases: true, strategies: strategies.map(\.name))
        for seed in seeds {
            for strategy in strategies {
                let path = "\(strategy.name)/seed_\(seed)"
                let group = file.contains(path) ? try file.group(path) : try file.createGroup(path)
                let log = RunLog(group: group, strategy: strategy.name, sampleShape: sampleShape,
                                 latentDimension: latentDimension)
                let model = makeModel()
                result.metricName = model.metricName
                result.metricIncreases = model.metricIncreases
                let run = try await trainer.run(strategy, model: model, testSet: testSet, seed: seed, log: log) { record in
                    progress(String(format: "  %@ seed %llu round %d: %d labels, %@ %.4f (train %.1f s, select %.2f s)",
                                    strategy.name, seed, record.round, record.trainingSetSize, model.metricName,
                                    record.metric, record.trainingSeconds, record.samplingSeconds))
                }
                result.record(strategy: strategy.name, rounds: run.rounds)
                progress(String(format: "%@ seed %llu: final %@ %.4f, train %.1f s, select %.1f s",
                                strategy.name, seed, model.metricName, run.rounds.last?.metric ?? .nan,
                                run.rounds.reduce(0) { $0 + $1.trainingSeconds },
                                run.rounds.reduce(0) { $0 + $1.samplingSeconds }))
            }
        }
        try result.write(to: file, rounds: schedule.maximumRounds)
        try file.checkpoint()  // publishes the summary (rounds were published by RunLog)
        return result
    }
}

/// What a benchmark measured: per strategy, per seed (rows) and round (columns), the
/// metric, |T(t)|, and the seconds spent training and selecting.
public struct BenchmarkResult: Sendable {
    /// The metric's name.
    public var metricName: String
    /// Whether a larger metric is better.
    public var metricIncreases: Bool
    /// The strategies, in order.
    public var strategies: [String]
    /// The metric per strategy, seed and round.
    public var curves: [String: [[Double]]] = [:]
    /// |T(t)| per strategy, seed and round.
    public var trainingSetSizes: [String: [[Int]]] = [:]
    /// Seconds training F (and evaluating it) per strategy, seed and round.
    public var trainingSeconds: [String: [[Double]]] = [:]
    /// Seconds choosing and labeling the next increment per strategy, seed and round.
    public var selectionSeconds: [String: [[Double]]] = [:]

    /// An empty result.
    public init(metricName: String, metricIncreases: Bool, strategies: [String]) {
        self.metricName = metricName
        self.metricIncreases = metricIncreases
        self.strategies = strategies
    }

    /// Adds one run (one seed) of `strategy`.
    public mutating func record(strategy: String, rounds: [RoundRecord]) {
        curves[strategy, default: []].append(rounds.map(\.metric))
        trainingSetSizes[strategy, default: []].append(rounds.map(\.trainingSetSize))
        trainingSeconds[strategy, default: []].append(rounds.map(\.trainingSeconds))
        selectionSeconds[strategy, default: []].append(rounds.map(\.samplingSeconds))
    }

    /// The curves as an ``ExperimentSummary`` (for the paper's Table 1).
    public var summary: ExperimentSummary {
        ExperimentSummary(metricName: metricName, metricIncreases: metricIncreases, strategies: strategies,
                          curves: curves, trainingSetSizes: trainingSetSizes)
    }

    /// The area under each seed's learning curve (trapezoids over the number of labels,
    /// divided by the label range: a mean metric), as in ``ExperimentSummary``.
    public func areasUnderLearningCurves(strategy: String) -> [Double] {
        zip(curves[strategy] ?? [], trainingSetSizes[strategy] ?? []).map { metric, size in
            guard metric.count > 1, let first = size.first, let last = size.last, last > first else { return metric.first ?? .nan }
            var area = 0.0
            for i in 1..<metric.count { area += (metric[i] + metric[i - 1]) / 2 * Double(size[i] - size[i - 1]) }
            return area / Double(last - first)
        }
    }

    /// Table 1 of the paper turned on its side (one row per strategy, one column per
    /// round, headed by the mean number of labels), mean ± std over seeds to three
    /// decimals, then the AULC: readable with a dozen strategies.
    public func strategyTable() -> String {
        let summary = summary
        let rounds = curves.values.flatMap { $0 }.map(\.count).max() ?? 0
        let width = max(24, (strategies.map(\.count).max() ?? 0) + 1)
        let sizes = (0..<rounds).map { r -> String in
            let all = strategies.flatMap { (trainingSetSizes[$0] ?? []).compactMap { $0.indices.contains(r) ? $0[r] : nil } }
            return all.isEmpty ? "–" : Set(all).count == 1 ? "\(all[0])" : String(format: "~%.0f", Double(all.reduce(0, +)) / Double(all.count))
        }
        var lines = [left("labels", width) + sizes.map { right($0, 14) }.joined() + right("AULC", 16)]
        for strategy in strategies {
            let cells = (0..<rounds).map { r -> String in
                guard let s = summary.statistics(strategy: strategy, round: r) else { return right("–", 14) }
                return right(String(format: "%.3f±%.3f", s.mean, s.deviation), 14)
            }
            let area = summary.areaUnderLearningCurve(strategy: strategy).map { String(format: "%.4f±%.4f", $0.mean, $0.deviation) } ?? "–"
            lines.append(left(strategy, width) + cells.joined() + right(area, 16))
        }
        lines.append("(test \(metricName), mean ± std over \(curves.values.first?.count ?? 0) seeds, per round; "
            + "AULC: area under the learning curve over the label range, \(metricIncreases ? "higher" : "lower") is better)")
        return lines.joined(separator: "\n")
    }

    /// One strategy against a reference over the same seeds.
    public struct Comparison: Sendable {
        /// The strategy.
        public var strategy: String
        /// The paired t analysis of (strategy − reference) per seed; its interval is the 95% CI.
        public var t: PairedStatistics.TTest
        /// Wilcoxon's signed-rank p-value (nil when every difference is zero).
        public var wilcoxonP: Double?
        /// "better", "worse" or "no difference": better or worse only when the 95%
        /// interval excludes zero (in the metric's good direction).
        public var verdict: String
    }

    /// Each strategy's paired difference from `reference` in a per-seed value
    /// (`values(strategy)`, for example the AULC or the final metric), over the seeds
    /// both have.
    public func comparisons(against reference: String, confidence: Double = 0.95,
                            values: (String) -> [Double]) -> [Comparison] {
        let base = values(reference)
        return strategies.filter { $0 != reference }.compactMap { strategy in
            let mine = values(strategy)
            let n = min(base.count, mine.count)
            let differences = (0..<n).map { mine[$0] - base[$0] }
            guard let t = PairedStatistics.pairedT(differences, confidence: confidence) else { return nil }
            let good = metricIncreases ? t.lower > 0 : t.upper < 0
            let bad = metricIncreases ? t.upper < 0 : t.lower > 0
            return Comparison(strategy: strategy, t: t,
                              wilcoxonP: PairedStatistics.wilcoxonSignedRank(differences)?.pValue,
                              verdict: good ? "better" : bad ? "worse" : "no difference")
        }
    }

    /// The text report: Table 1, the paired differences from each of `references` in
    /// AULC and in the last round's metric, and the wall time per strategy.
    public func report(references: [String] = ["random"]) -> String {
        var lines = [strategyTable(), ""]
        let nameWidth = max(24, (strategies.map(\.count).max() ?? 0) + 1)
        for reference in references where strategies.contains(reference) {
            for (title, values) in [("AULC", { (s: String) in areasUnderLearningCurves(strategy: s) }),
                                    ("final \(metricName)", { (s: String) in (curves[s] ?? []).compactMap(\.last) })] {
                let rows = comparisons(against: reference, values: values)
                let seeds = rows.first?.t.count ?? 0
                lines.append("Paired difference from \(reference) in \(title) over \(seeds) seeds (same T(1) per seed):")
                lines.append(left("strategy", nameWidth) + right("mean", 11) + right("95% CI", 24) + right("t-test p", 10)
                    + right("Wilcoxon p", 11) + "  verdict")
                for row in rows {
                    lines.append(left(row.strategy, nameWidth) + String(format: " %+10.4f  [%+9.4f, %+9.4f] %9.4f", row.t.meanDifference,
                                                                  row.t.lower, row.t.upper, row.t.pValue)
                        + right(row.wilcoxonP.map { String(format: "%.4f", $0) } ?? "–", 11) + "  " + row.verdict)
                }
                lines.append("")
            }
        }
        lines.append("Wall time per run (mean over seeds, seconds):")
        lines.append(left("strategy", nameWidth) + right("training", 11) + right("selection", 11) + right("per round", 13))
        for strategy in strategies {
            let train = (trainingSeconds[strategy] ?? []).map { $0.reduce(0, +) }
            let select = (selectionSeconds[strategy] ?? []).map { $0.reduce(0, +) }
            let rounds = (selectionSeconds[strategy] ?? []).map { max(1, $0.count - 1) }
            let mean = { (v: [Double]) in v.isEmpty ? Double.nan : v.reduce(0, +) / Double(v.count) }
            let perRound = mean(zip(select, rounds).map { $0 / Double($1) })
            lines.append(left(strategy, nameWidth) + String(format: " %10.1f %10.2f %12.3f", mean(train), mean(select), perRound))
        }
        lines.append("(training: training F and evaluating it on the test set; selection: choosing the next increment;"
            + " per round: selection seconds per sampling round)")
        return lines.joined(separator: "\n")
    }

    /// Writes the seeds × rounds matrices (metric, training-set size, timings).
    func write(to file: HDF5File, rounds: Int) throws {
        try summary.write(to: file, rounds: rounds)
        for strategy in strategies {
            for (name, table) in [("training_seconds", trainingSeconds[strategy] ?? []),
                                  ("selection_seconds", selectionSeconds[strategy] ?? [])] {
                let values = table.flatMap { row in (0..<rounds).map { row.indices.contains($0) ? row[$0] : .nan } }
                if file.contains("\(strategy)/\(name)") { try file.remove("\(strategy)/\(name)") }
                try file.createDataset("\(strategy)/\(name)", values: values, shape: [table.count, rounds])
            }
        }
    }
}

/// `text` padded with spaces on the right to `width` characters.
func left(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}

/// `text` padded with spaces on the left to `width` characters.
func right(_ text: String, _ width: Int) -> String {
    text.count >= width ? " " + text : String(repeating: " ", count: width - text.count) + text
}
