// A user's own package driving the sampling core with its own conformances (UserModels):
// PCA as encoder E and generator G, logistic regression as target F, a closed-form
// labeling tool. Each step checks something that could fail; the program exits 1 if any does.
import Foundation
import HDF5Store
import LatentSampling
import UserModels

/// Counts and prints the checks.
struct Checks {
    var failed = 0
    mutating func expect(_ condition: Bool, _ message: String) {
        print((condition ? "ok    " : "FAIL  ") + message)
        if !condition { failed += 1 }
    }
}
var checks = Checks()
let start = Date()

do {
    // MARK: Data: a pool D and a test set, labeled by the tool (unmeasurable samples left out).

    let tool = BalanceLabeler(height: 4, width: 4, threshold: 3.4)
    func labeled(_ batch: SampleBatch) async throws -> (SampleBatch, [Int32]) {
        let outcomes = try await tool.label((0..<batch.count).map { batch.sample(at: $0) })
        var kept = SampleBatch(sampleShape: batch.sampleShape), labels: [Int32] = []
        for (i, outcome) in outcomes.enumerated() {
            if let label = outcome.label { kept.append(sample: batch.sample(at: i)); labels.append(label) }
        }
        return (kept, labels)
    }
    let (poolSamples, poolLabels) = try await labeled(SyntheticImages.draw(count: 2000, seed: 1))
    let (testSamples, testLabels) = try await labeled(SyntheticImages.draw(count: 500, seed: 2))
    let pool = try LabeledPool(samples: poolSamples, labels: poolLabels)
    let testSet = try TestSet(samples: testSamples, labels: testLabels)
    let majority = Double(max(testLabels.filter { $0 == 1 }.count, testLabels.filter { $0 == 0 }.count)) / Double(testLabels.count)
    print(String(format: "pool %d, test %d samples (majority class %.3f of the test set)", pool.count, testLabels.count, majority))
    checks.expect(pool.count >= 1900 && pool.count < 2000, "the tool labels the pool, leaving out the few unmeasurable samples (\(2000 - pool.count))")

    // MARK: The generator: PCA of the pool, with its exact pullback.

    let pca = try PCAGenerator(fittedTo: pool.samples, latentDimension: 2)
    checks.expect(pca.explainedVariance > 0.95, String(format: "two principal directions explain %.4f of the variance", pca.explainedVariance))
    let reconstructed = try pca.generate(try pca.encode(pool.samples))
    let rms = (zip(reconstructed.values, pool.samples.values).map { Double(($0 - $1) * ($0 - $1)) }.reduce(0, +)
        / Double(pool.samples.values.count)).squareRoot()
    checks.expect(rms < 0.06, String(format: "G(E(x)) reconstructs the pool to RMS %.4f (noise 0.05)", rms))

    // Pullback against central differences of ⟨v, G(z)⟩.
    let z = LatentPoints(dimension: 2, values: [0.3, -1.1])
    let v = SyntheticImages.draw(count: 1, seed: 9)
    let pulled = try pca.pullback(at: z, cotangent: v).values
    var pullbackError: Float = 0
    for k in 0..<2 {
        let h: Float = 1e-2
        var plus = z.values, minus = z.values
        plus[k] += h; minus[k] -= h
        let gPlus = try pca.generate(LatentPoints(dimension: 2, values: plus)).values
        let gMinus = try pca.generate(LatentPoints(dimension: 2, values: minus)).values
        let difference = zip(v.values, zip(gPlus, gMinus)).map { $0 * ($1.0 - $1.1) }.reduce(0, +) / (2 * h)
        pullbackError = max(pullbackError, abs(difference - pulled[k]) / max(abs(pulled[k]), 1))
    }
    checks.expect(pullbackError < 1e-3, "pullback J_G(z)ᵀv matches central differences (relative error \(pullbackError))")

    // MARK: The target model: logistic regression, its input gradient against differences.

    let probe = LogisticRegression(inputCount: 16)
    probe.resetParameters(seed: 3)
    try probe.train(on: pool.samples, labels: pool.labels, epochs: 2, seed: 3)
    let x = pool.samples.selecting([0, 1]), y = [pool.labels[0], pool.labels[1]]
    let (_, gradient) = try probe.lossAndInputGradient(at: x, labels: y)
    var gradientError: Float = 0
    for j in [0, 5, 15] {
        let h: Float = 1e-2
        var plus = x.values, minus = x.values
        plus[j] += h; minus[j] -= h
        let lPlus = try probe.lossAndInputGradient(at: SampleBatch(sampleShape: x.sampleShape, values: plus), labels: y).losses
        let lMinus = try probe.lossAndInputGradient(at: SampleBatch(sampleShape: x.sampleShape, values: minus), labels: y).losses
        let difference = (lPlus[0] - lMinus[0]) / (2 * h)
        gradientError = max(gradientError, abs(difference - gradient.values[j]) / max(abs(gradient.values[j]), 1e-2))
    }
    checks.expect(gradientError < 2e-2, "∂ℓ/∂x matches central differences (relative error \(gradientError))")

    // MARK: SNN against random through the core's Experiment, with a results file.

    let schedule = TrainingSchedule(initialSize: 10, incrementSize: 10, epochsPerRound: 5, maximumRounds: 6)
    let seeds: [UInt64] = [1, 2, 3, 4]
    let experiment = Experiment<LogisticRegression>(
        schedule: schedule, seeds: seeds,
        strategies: [RandomSampling(pool: pool),
                     try NearestNeighborSampling(pool: pool, encoder: pca, generator: pca, alpha: 0.5)],
        testSet: testSet, sampleShape: SyntheticImages.sampleShape, latentDimension: 2
    ) { LogisticRegression(inputCount: 16) }
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("user-package-\(getpid())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("results.h5").path
    let summary = try await experiment.run(in: try HDF5File(path: path, mode: .truncate))
    print(summary.table())
    for strategy in ["random", "snn"] {
        guard let last = summary.statistics(strategy: strategy, round: schedule.maximumRounds - 1) else {
            checks.expect(false, "\(strategy) completed \(schedule.maximumRounds) rounds")
            continue
        }
        checks.expect(last.mean > majority + 0.15 && last.mean > 0.9,
                      String(format: "%@ reaches accuracy %.3f ± %.3f with %d labels", strategy, last.mean, last.deviation,
                             schedule.initialSize + (schedule.maximumRounds - 1) * schedule.incrementSize))
    }
    // The results file holds the curves; the model wrote no parameters (it has no HDF5 code).
    do {
        let file = try HDF5File(path: path)   // closed at the end of this block
        let stored = try file.dataset("snn/metric").read(as: Double.self)
        checks.expect(stored == summary.curves["snn"]!.flatMap { $0 }, "the results file holds SNN's learning curves")
        checks.expect(!(try file.group("snn/seed_1").contains("model")), "no parameters were stored for a plain TargetModel")
    }
    let again = try await experiment.run(in: try HDF5File(path: path, mode: .readWrite))
    checks.expect(again.curves == summary.curves, "running again on the file reads the completed runs back")

    // MARK: SI: synthesized samples labeled by the tool, against fresh prior draws.

    let trainer = ProgressiveTrainer(schedule: TrainingSchedule(initialSize: 10, incrementSize: 10, epochsPerRound: 5,
                                                                maximumRounds: 6))
    let si = try InterpolationSampling<LogisticRegression, PCAGenerator, BalanceLabeler>(generator: pca, tool: tool, alpha: 0.7)
    let prior = try PriorSampling<LogisticRegression, PCAGenerator, BalanceLabeler>(generator: pca, tool: tool)
    var finals: [String: [Double]] = [:]
    for seed in seeds {
        for strategy in [any SamplingStrategy<LogisticRegression>](arrayLiteral: si, prior) {
            let run = try await trainer.run(strategy, model: LogisticRegression(inputCount: 16), testSet: testSet, seed: seed)
            finals[strategy.name, default: []].append(run.rounds.last!.metric)
            // Every synthesized sample is G(z') for its recorded z', labeled as the tool labels it.
            let set = run.trainingSet
            var consistent = set.provenance.allSatisfy { $0.poolIndex == nil && $0.movedPoint != nil }
            for i in 0..<set.count where consistent {
                let code = LatentPoints(dimension: 2, values: set.provenance[i].movedPoint!)
                let sample = try pca.generate(code).values
                consistent = zip(sample, set.samples.sample(at: i)).allSatisfy { abs($0 - $1) <= 1e-5 }
                    && (tool.balance(sample) > tool.threshold) == (set.labels[i] == 1)
            }
            checks.expect(consistent, "\(strategy.name), seed \(seed): \(set.count) synthesized samples match G(z') and the tool's labels")
            checks.expect(run.failures.allSatisfy { $0.reason.contains("outside the range") },
                          "\(strategy.name), seed \(seed): \(run.failures.count) unmeasurable samples recorded with the tool's reason")
        }
    }
    for (name, accuracies) in finals.sorted(by: { $0.key < $1.key }) {
        let mean = accuracies.reduce(0, +) / Double(accuracies.count)
        checks.expect(mean > majority + 0.1, String(format: "%@ reaches mean accuracy %.3f on real test images", name, mean))
    }
} catch {
    // A thrown error (a bad file, a broken conformance) is a failed check, not a crash.
    checks.expect(false, "the run stopped: \(error)")
}

print(String(format: "%d checks failed; %.1f s", checks.failed, Date().timeIntervalSince(start)))
exit(checks.failed == 0 ? 0 : 1)
