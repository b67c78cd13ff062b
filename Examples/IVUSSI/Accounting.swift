import EngineModels
import Foundation
import HDF5Store
import LatentSampling
import VasFEM

/// The masks SI and its baseline have labeled: cut from G(z) and, unless turned off,
/// repaired (``RepairedWallMaskGenerator``: stray wall pieces cleared, speckle holes filled)
/// before VasFEM sees them.
struct MaskSource: Generator {
    let binarized: BinarizedGenerator<VAECodec>
    let repaired: Bool

    init(_ binarized: BinarizedGenerator<VAECodec>, repaired: Bool) {
        self.binarized = binarized
        self.repaired = repaired
    }

    var latentDimension: Int { binarized.latentDimension }
    var sampleShape: [Int] { binarized.sampleShape }

    func generate(_ codes: LatentPoints) throws -> SampleBatch {
        repaired ? try RepairedWallMaskGenerator(binarized).generate(codes) : try binarized.generate(codes)
    }

    func pullback(at codes: LatentPoints, cotangent: SampleBatch) throws -> LatentPoints {
        try binarized.pullback(at: codes, cotangent: cotangent)
    }
}

/// Predictors that learn nothing about the mechanics, scored on the test set itself (so each
/// is the best of its kind: an optimistic bar for the target F to clear).
struct TrivialPredictors {
    let test: TestSet<[Float]>

    /// (name, test MSE) of: zero everywhere; the per-pixel mean of the test maps; the wall
    /// mask times the mean stress over the test set's wall pixels.
    var scores: [(name: String, mse: Double)] {
        let maps = test.labels, count = maps.count
        guard count > 0, let size = maps.first?.count, size > 0 else { return [] }
        let masks = (0..<count).map { test.samples.sample(at: $0) }
        var meanMap = [Double](repeating: 0, count: size)
        var wallSum = 0.0, wallPixels = 0.0
        for (map, mask) in zip(maps, masks) {
            for k in 0..<size {
                meanMap[k] += Double(map[k]) / Double(count)
                if mask[k] >= 0.5 { wallSum += Double(map[k]); wallPixels += 1 }
            }
        }
        let wallMean = wallPixels > 0 ? wallSum / wallPixels : 0
        func mse(_ predict: (Int, Int) -> Double) -> Double {
            var total = 0.0
            for (i, map) in maps.enumerated() {
                for k in 0..<size { let d = Double(map[k]) - predict(i, k); total += d * d }
            }
            return total / Double(count * size)
        }
        return [
            ("zero everywhere", mse { _, _ in 0 }),
            ("per-pixel mean map", mse { _, k in meanMap[k] }),
            ("wall mask × mean wall stress", mse { i, k in masks[i][k] >= 0.5 ? wallMean : 0 }),
        ]
    }

    /// One line per predictor.
    func report() -> String {
        (["Trivial predictors on the same test set (fitted to it; mse):"]
            + scores.map { "  " + $0.name.padding(toLength: 30, withPad: " ", startingAt: 0) + String(format: " %.4f", $0.mse) })
            .joined(separator: "\n")
    }
}

/// Labels and solver time per strategy and round, read from the results file: how many
/// samples VasFEM labeled, how many it rejected, and the solver seconds spent on both, so
/// that strategies can be compared at equal labels and at equal solver cost.
struct LabelingAccount {
    struct Row {
        var round: Int
        var labeled: Double, rejected: Double, solverSeconds: Double, mse: Double
    }
    /// Per strategy, rows averaged over seeds.
    var rows: [(strategy: String, rows: [Row])] = []

    init(file: HDF5File, strategies: [String], seeds: [UInt64], rounds: Int) throws {
        for strategy in strategies {
            var sums = (1...rounds).map { Row(round: $0, labeled: 0, rejected: 0, solverSeconds: 0, mse: 0) }
            var counted = [Int](repeating: 0, count: rounds)
            for seed in seeds {
                let run = "\(strategy)/seed_\(seed)"
                guard file.contains("\(run)/rounds/metric") else { continue }
                let metric = try file.dataset("\(run)/rounds/metric").read(as: Double.self)
                func column(_ group: String, _ name: String) throws -> [Double] {
                    guard file.contains("\(run)/\(group)/\(name)") else { return [] }
                    if name == "round" { return try file.dataset("\(run)/\(group)/\(name)").read(as: Int64.self).map(Double.init) }
                    return try file.dataset("\(run)/\(group)/\(name)").read(as: Double.self)
                }
                let selectedRound = try column("selected", "round"), selectedCost = try column("selected", "cost_seconds")
                let failedRound = try column("failed", "round"), failedCost = try column("failed", "cost_seconds")
                for t in 0..<min(rounds, metric.count) {
                    let joined = { (r: Double) in r <= Double(t + 1) }
                    let labeled = selectedRound.filter(joined).count
                    let rejected = failedRound.filter(joined).count
                    func cost(_ rounds: [Double], _ seconds: [Double]) -> Double {
                        var total = 0.0
                        for (r, c) in zip(rounds, seconds) where joined(r) && c.isFinite { total += c }
                        return total
                    }
                    let seconds = cost(selectedRound, selectedCost) + cost(failedRound, failedCost)
                    sums[t].labeled += Double(labeled)
                    sums[t].rejected += Double(rejected)
                    sums[t].solverSeconds += seconds
                    sums[t].mse += metric[t]
                    counted[t] += 1
                }
            }
            let averaged = sums.enumerated().compactMap { t, row -> Row? in
                guard counted[t] > 0 else { return nil }
                let n = Double(counted[t])
                return Row(round: row.round, labeled: row.labeled / n, rejected: row.rejected / n,
                           solverSeconds: row.solverSeconds / n, mse: row.mse / n)
            }
            rows.append((strategy, averaged))
        }
    }

    /// A table: per strategy and round, labeled and rejected masks, solver seconds (rejected
    /// masks included) and the test MSE, each a mean over seeds; then the rejection rate.
    func report() -> String {
        func padded(_ name: String) -> String { name.padding(toLength: Swift.max(14, name.count), withPad: " ", startingAt: 0) }
        var lines = ["Labels and solver cost (means over seeds; solver time includes rejected masks):",
                     "strategy        round  labeled  rejected  solver s      mse"]
        for (strategy, rows) in rows {
            for row in rows {
                lines.append(padded(strategy) + String(format: " %6d %8.1f %9.1f %9.1f   %.4f", row.round,
                                                       row.labeled, row.rejected, row.solverSeconds, row.mse))
            }
            if let last = rows.last, last.labeled + last.rejected > 0 {
                lines.append(padded(strategy) + String(format: " rejection rate %.0f %% (%.1f of %.1f masks)",
                                                       100 * last.rejected / (last.labeled + last.rejected), last.rejected,
                                                       last.labeled + last.rejected))
            }
        }
        return lines.joined(separator: "\n")
    }
}
