import Foundation
import HDF5Store
import LatentSampling

/// Why a report could not be made.
public enum ReportError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file holds nothing a report can show (no runs, no stress maps).
    case nothingToReport(file: String)
    /// Two records of the file disagree.
    case inconsistent(file: String, what: String)

    /// A one-line message.
    public var description: String {
        switch self {
        case .nothingToReport(let file):
            "\(file) holds no learning curves, runs or stress maps (is it a results file of experiment, benchmark, ivus-si or vasfem label?)"
        case let .inconsistent(file, what): "\(file): \(what)"
        }
    }
}

/// Reads what an `experiment`, `benchmark` or `ivus-si` results file records (the layout of
/// ``Experiment`` and ``RunLog``), including runs that were interrupted before the
/// summary matrices were written.
public enum ResultsFile {
    /// One run's group.
    public struct Run {
        /// Strategy and seed.
        public var strategy: String, seed: UInt64
        /// The group `<strategy>/seed_<s>`.
        public var group: HDF5Group
    }

    /// Every `<strategy>/seed_<s>` group of the file, strategies in the order of the
    /// file's `strategies` attribute (then alphabetical), seeds ascending.
    public static func runGroups(in file: HDF5File) throws -> [Run] {
        var runs: [Run] = []
        for strategy in try strategies(in: file) {
            let group = try file.group(strategy)
            let seeds = try group.memberNames().compactMap { name -> UInt64? in
                name.hasPrefix("seed_") ? UInt64(name.dropFirst(5)) : nil
            }.sorted()
            for seed in seeds { runs.append(Run(strategy: strategy, seed: seed, group: try group.group("seed_\(seed)"))) }
        }
        return runs
    }

    /// The strategies: top-level groups holding `metric` or `seed_<s>` groups.
    public static func strategies(in file: HDF5File) throws -> [String] {
        var found: [String] = []
        for name in try file.memberNames() where try file.objectKind(at: name) == .group {
            let group = try file.group(name)
            let members = try group.memberNames()
            if members.contains("metric") || members.contains(where: { $0.hasPrefix("seed_") && UInt64($0.dropFirst(5)) != nil }) {
                found.append(name)
            }
        }
        let declared = (try? file.stringAttribute("strategies"))?.split(separator: ",").map(String.init) ?? []
        return declared.filter(found.contains) + found.filter { !declared.contains($0) }
    }

    /// The learning curves: from the summary matrices when present, otherwise from every
    /// run's completed rounds (an interrupted experiment); `nil` when there are none.
    public static func summary(of file: HDF5File) throws -> ExperimentSummary? {
        let strategies = try strategies(in: file)
        var curves: [String: [[Double]]] = [:], sizes: [String: [[Int]]] = [:]
        for strategy in strategies {
            if file.contains("\(strategy)/metric") && file.contains("\(strategy)/training_set_size") {
                let metric = try file.dataset("\(strategy)/metric").readWithShape(as: Double.self)
                let size = try file.dataset("\(strategy)/training_set_size").read(as: Int64.self)
                guard metric.shape.count == 2, size.count == metric.values.count else {
                    throw ReportError.inconsistent(file: file.filePath, what: "\(strategy)/metric and training_set_size differ in shape")
                }
                let columns = metric.shape[1]
                for s in 0..<metric.shape[0] {
                    let row = Array(metric.values[(s * columns)..<((s + 1) * columns)])
                    let rounds = row.lastIndex { !$0.isNaN }.map { $0 + 1 } ?? 0
                    curves[strategy, default: []].append(Array(row.prefix(rounds)))
                    sizes[strategy, default: []].append(size[(s * columns)..<(s * columns + rounds)].map(Int.init))
                }
            } else {
                for run in try runGroups(in: file) where run.strategy == strategy && run.group.contains("rounds/metric") {
                    let completed = run.group.hasAttribute("completed_rounds") ? try run.group.intAttribute("completed_rounds") : Int.max
                    let metric = try run.group.dataset("rounds/metric").read(as: Double.self)
                    let size = try run.group.dataset("rounds/training_set_size").read(as: Int64.self)
                    let n = min(metric.count, size.count, completed)
                    curves[strategy, default: []].append(Array(metric.prefix(n)))
                    sizes[strategy, default: []].append(size.prefix(n).map(Int.init))
                }
            }
        }
        let present = strategies.filter { !(curves[$0] ?? []).isEmpty }
        guard !present.isEmpty else { return nil }
        let metricName = (try? file.stringAttribute("metric")) ?? "metric"
        let increases = (try? file.intAttribute("metric_increases")).map { $0 == 1 } ?? true
        return ExperimentSummary(metricName: metricName, metricIncreases: increases, strategies: present,
                                 curves: curves, trainingSetSizes: sizes)
    }

    /// A benchmark's results (the curves with the seconds spent training and selecting), or
    /// `nil` when the file has no timing matrices (an experiment, or an interrupted benchmark).
    public static func benchmarkResult(of file: HDF5File) throws -> BenchmarkResult? {
        guard let summary = try summary(of: file) else { return nil }
        var result = BenchmarkResult(metricName: summary.metricName, metricIncreases: summary.metricIncreases,
                                     strategies: summary.strategies)
        result.curves = summary.curves
        result.trainingSetSizes = summary.trainingSetSizes
        for strategy in summary.strategies {
            for name in ["training_seconds", "selection_seconds"] {
                guard file.contains("\(strategy)/\(name)") else { return nil }
                let matrix = try file.dataset("\(strategy)/\(name)").readWithShape(as: Double.self)
                guard matrix.shape.count == 2 else { return nil }
                let rows = (0..<matrix.shape[0]).map { s in
                    Array(matrix.values[(s * matrix.shape[1])..<((s + 1) * matrix.shape[1])].filter { !$0.isNaN })
                }
                if name == "training_seconds" { result.trainingSeconds[strategy] = rows } else { result.selectionSeconds[strategy] = rows }
            }
        }
        return result
    }

    /// The file's attributes (its configuration) as text, in name order.
    public static func configuration(of object: HDF5Object) throws -> [(name: String, value: String)] {
        try object.attributeNames().sorted().map { name in
            if let s = try? object.stringAttribute(name) { return (name, s) }
            if let s = try? object.stringArrayAttribute(name) { return (name, s.joined(separator: ", ")) }
            if let v = try? object.intArrayAttribute(name) { return (name, v.count == 1 ? "\(v[0])" : "\(v)") }
            if let v = try? object.doubleArrayAttribute(name) { return (name, v.count == 1 ? "\(v[0])" : "\(v)") }
            return (name, "(unreadable type)")
        }
    }

    /// What one run recorded: rounds, selections, failures and their reasons, labeling cost.
    public struct Provenance: Sendable {
        /// Strategy and seed.
        public var strategy: String, seed: UInt64
        /// Completed rounds and whether the run finished.
        public var completedRounds: Int, finished: Bool
        /// Selected (labeled) samples, and how many of them were synthesized (pool index −1).
        public var selected: Int, synthesized: Int
        /// Chosen samples whose labeling failed, counted by reason (numbers in reasons replaced
        /// by `#`, so "touches the border at pixel (0, 35)" and "… (37, 63)" count together).
        public var failures: [(reason: String, count: Int)]
        /// Labeling seconds summed over selected and failed samples (NaN costs skipped).
        public var labelingSeconds: Double
        /// Seconds training and sampling, summed over rounds.
        public var trainingSeconds: Double, samplingSeconds: Double
    }

    /// The provenance summary of every run.
    public static func provenance(of file: HDF5File) throws -> [Provenance] {
        try runGroups(in: file).map { run in
            let g = run.group
            func sum(_ path: String) throws -> Double {
                g.contains(path) ? try g.dataset(path).read(as: Double.self).filter(\.isFinite).reduce(0, +) : 0
            }
            let pool = g.contains("selected/pool_index") ? try g.dataset("selected/pool_index").read(as: Int64.self) : []
            var reasons: [String: Int] = [:]
            if g.contains("failed"), try g.group("failed").hasAttribute("reasons") {
                for reason in try g.group("failed").stringArrayAttribute("reasons") { reasons[Self.pattern(of: reason), default: 0] += 1 }
            }
            return Provenance(
                strategy: run.strategy, seed: run.seed,
                completedRounds: g.hasAttribute("completed_rounds") ? try g.intAttribute("completed_rounds") : 0,
                finished: g.hasAttribute("finished") ? try g.intAttribute("finished") == 1 : false,
                selected: pool.count, synthesized: pool.filter { $0 < 0 }.count,
                failures: reasons.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { ($0.key, $0.value) },
                labelingSeconds: try sum("selected/cost_seconds") + sum("failed/cost_seconds"),
                trainingSeconds: try sum("rounds/training_seconds"), samplingSeconds: try sum("rounds/sampling_seconds"))
        }
    }

    /// A failure reason with every number replaced by `#`.
    static func pattern(of reason: String) -> String {
        var out = "", inNumber = false
        for c in reason {
            if c.isNumber || (inNumber && c == ".") {
                if !inNumber { out.append("#") }
                inNumber = true
            } else {
                inNumber = false
                out.append(c)
            }
        }
        return out
    }
}
