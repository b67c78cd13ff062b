// custom-generator: a generator that is not a neural network, driving SNN on Fashion-MNIST.
//
// The pattern for adding a generator of your own: conform to `Generator` (generate and the
// exact pullback J_G(z)ᵀ v) and, for SNN, to `LatentEncoder` (embedding the pool); check the pullback
// against finite differences; hand it to `NearestNeighborSampling`. Here the generator is a
// principal component analysis of the pool in logit space (LogitPCA.swift): fitted in closed
// form by one covariance and one LAPACK eigen-decomposition, no training loop.
//
//  1. Fashion-MNIST's training split is the unlabeled pool D, its test split the test set.
//  2. LogitPCA is fitted to the pool (kept in the results file), its pullback is checked
//     against central differences at random codes, and the pool is embedded, E(D).
//  3. Random sampling and SNN (the paper's Algorithm 1, moving codes along the pulled-back
//     loss gradient) grow LeNet's training set; Table 1 and an HDF5 results file.
//
// Run: swift run -c release custom-generator [--latent 3] [--seeds 3] [--out Output/custom-generator.h5]

import ArgumentParser
import Datasets
import EngineModels
import Foundation
import HDF5Store
import LatentSampling
import NeuralNetworks
import OptionChecks
import TensorEngine

@main
struct CustomGenerator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "custom-generator",
        abstract: "SNN on Fashion-MNIST with a generator that is not a network: PCA in logit space, with its exact pullback.",
        discussion: """
        The generator is G(z) = σ(μ + U Λ^(1/2) z) and the encoder E(x) = Λ^(−1/2) Uᵀ (logit(x) − μ), with μ, U and Λ \
        the mean, the top d eigenvectors and eigenvalues of the covariance of the pool's logits. Running the same \
        command again resumes an interrupted experiment from its last completed round.
        """
    )

    @Option(help: "Folder with Fashion-MNIST's IDX files (raw or gzip).")
    var dataDirectory = FashionMNIST.debianDirectory
    @Option(help: "Comma-separated strategies: random, snn.")
    var strategies = "random,snn"
    @Option(help: "Number of seeds (0, 1, ...).")
    var seeds = 3
    @Option(help: "|T(1)|, the initial random training set.")
    var initialSize = 100
    @Option(name: .customLong("increment"), help: "J, samples added per round.")
    var incrementSize = 100
    @Option(help: "n, the number of rounds.")
    var rounds = 10
    @Option(help: "E, LeNet training epochs per round (warm start).")
    var epochs = 10
    @Option(help: "α, the latent step size (in standard deviations of the pool's codes: the codes are whitened).")
    var alpha: Float = 0.5
    @Option(help: "Latent dimension d: the principal components kept.")
    var latent = 3
    @Option(help: "Target network F: lenet (the paper's, Table S7) or lenet5 (classic, lighter).")
    var network = TargetNetwork.lenet
    @Option(help: "Pool size (first images of the training split).")
    var poolSize = 60_000
    @Option(help: "Test-set size (first images of the test split).")
    var testSize = 10_000
    @Option(help: "LeNet mini-batch size.")
    var batchSize = 32
    @Option(help: "LeNet Adam learning rate.")
    var learningRate: Float = 1e-3
    @Option(help: "Threads of the tensor engine.")
    var threads = 2
    @Option(help: "Results file (HDF5). An existing one with the same settings is resumed.")
    var out = "Output/custom-generator.h5"
    @Flag(help: "Start afresh even if the results file exists.")
    var overwrite = false

    static let sampleShape = [1, 28, 28]

    var strategyNames: [String] { strategies.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }

    func validate() throws {
        try OptionCheck.count(seeds, "--seeds", in: 1...1_000)
        try OptionCheck.count(poolSize, "--pool-size", in: 2...60_000)
        try OptionCheck.count(testSize, "--test-size", in: 1...10_000)
        try OptionCheck.count(initialSize, "--initial-size", in: 1...poolSize)
        try OptionCheck.count(incrementSize, "--increment", in: 1...poolSize)
        try OptionCheck.count(rounds, "--rounds", in: 1...10_000)
        try OptionCheck.count(epochs, "--epochs", in: 1...10_000)
        try OptionCheck.count(latent, "--latent", in: 1...784)
        try OptionCheck.count(batchSize, "--batch-size", in: 1...60_000)
        try OptionCheck.count(threads, "--threads", in: 1...OptionCheck.maximumThreads)
        try OptionCheck.nonNegative(alpha, "--alpha", atMost: 1_000)
        try OptionCheck.positive(learningRate, "--learning-rate", atMost: 10)
        guard !strategyNames.isEmpty, Set(strategyNames).count == strategyNames.count else {
            throw ValidationError("--strategies must name each strategy once: '\(strategies)'")
        }
        for name in strategyNames where !["random", "snn"].contains(name) {
            throw ValidationError("unknown strategy '\(name)' in --strategies: use random and snn")
        }
        if initialSize + (rounds - 1) * incrementSize > poolSize {
            throw ValidationError("--initial-size + (--rounds − 1) × --increment = \(initialSize + (rounds - 1) * incrementSize) "
                + "exceeds --pool-size \(poolSize)")
        }
    }

    func run() async throws {
        BLASThreads.set(threads)
        let started = Date()
        say("Loading Fashion-MNIST from \(dataDirectory) (pool \(poolSize), test \(testSize))")
        let train = try FashionMNIST.load(.train, from: dataDirectory)
        let testImages = try FashionMNIST.load(.test, from: dataDirectory)
        guard poolSize <= train.count, testSize <= testImages.count else {
            throw ValidationError("--pool-size must be at most \(train.count) and --test-size at most \(testImages.count) for \(dataDirectory)")
        }
        let poolImages = try train.subset(0..<poolSize).scaledToUnitInterval()
        let heldOut = try testImages.subset(0..<testSize).scaledToUnitInterval()
        let pool = try LabeledPool(samples: SampleBatch(sampleShape: Self.sampleShape, values: poolImages.pixels), labels: poolImages.labels)
        let test = try TestSet(samples: SampleBatch(sampleShape: Self.sampleShape, values: heldOut.pixels), labels: heldOut.labels)

        let (file, resumed) = try openResultsFile(at: out, overwrite: overwrite)
        if resumed { say("Resuming \(out)") }
        try recordConfiguration([
            ("dataset", "fashion-mnist"), ("pool_size", "\(poolSize)"), ("test_size", "\(testSize)"),
            ("latent_dimension", "\(latent)"), ("alpha", "\(alpha)"), ("generator", "logit-pca (clip \(LogitPCA.clip))"),
            ("target", network.recordedName), ("batch_size", "\(batchSize)"), ("learning_rate", "\(learningRate)"),
        ], in: file)

        // The generator: fitted once, kept in the results file.
        let pca: LogitPCA
        if file.contains("pca") {
            pca = try LogitPCA(from: file.group("pca"))
            say("PCA loaded from \(out)")
        } else {
            say("Fitting PCA in logit space to \(poolSize) images (d = \(latent))")
            let fitStart = Date()
            pca = try LogitPCA(fittingTo: pool.samples, dimension: latent)
            try pca.save(to: file.createGroup("pca"))
            try file.checkpoint()
            say(String(format: "  fitted in %.2f s", Date().timeIntervalSince(fitStart)))
        }
        say("  eigenvalues λ: " + pca.eigenvalues.map { String(format: "%.1f", $0) }.joined(separator: ", ")
            + String(format: "; %.1f %% of the logits' variance", 100 * pca.explainedVariance))
        let reconstructed = try pca.generate(pca.encode(pool.samples))
        let error = zip(reconstructed.values, pool.samples.values).reduce(0.0) { $0 + Double(abs($1.0 - $1.1)) }
            / Double(pool.samples.values.count)
        say(String(format: "  mean absolute pixel error of G(E(x)) over the pool: %.4f", error))
        let check = try PullbackCheck.largestRelativeError(of: pca, points: 4, seed: 1)
        say(String(format: "  pullback check: J_G(z)ᵀv against central differences of ⟨v, G(z)⟩ at 4 random codes: "
                    + "largest relative error %.2e", check))
        guard check < 1e-2 else { throw PullbackCheck.Failure(relativeError: check) }

        var chosen: [any SamplingStrategy<SupervisedNetwork<Classification>>] = []
        for name in strategyNames {
            switch name {
            case "random": chosen.append(RandomSampling(pool: pool))
            default:
                say("Embedding the pool, E(D)")
                chosen.append(try NearestNeighborSampling<SupervisedNetwork<Classification>, LogitPCA>(
                    pool: pool, encoder: pca, generator: pca, alpha: alpha))
            }
        }
        let experiment = Experiment(
            schedule: TrainingSchedule(initialSize: initialSize, incrementSize: incrementSize,
                                       epochsPerRound: epochs, maximumRounds: rounds),
            seeds: (0..<seeds).map(UInt64.init), strategies: chosen, testSet: test,
            sampleShape: Self.sampleShape, latentDimension: latent
        ) { [network, batchSize, learningRate] in
            SupervisedNetwork(objective: Classification(classCount: 10), batchSize: batchSize, learningRate: learningRate) {
                network.make(seed: $0)
            }
        }
        say("Running \(strategyNames.joined(separator: ", ")) × \(seeds) seeds × \(rounds) rounds")
        let summary = try await experiment.run(in: file) { say($0) }
        print("")
        print(summary.table())
        print(String(format: "\nWrote %@ in %.1f min.", out, Date().timeIntervalSince(started) / 60))
    }
}

/// The target network F for Fashion-MNIST.
enum TargetNetwork: String, CaseIterable, ExpressibleByArgument {
    /// The paper's LeNet (Table S7: conv 20, conv 50, FC 800→500→10).
    case lenet
    /// The classic LeNet-5 (conv 6, conv 16, FC 400→120→84→10), lighter.
    case lenet5

    /// The name recorded in results files.
    var recordedName: String { self == .lenet ? "lenet-paper-table-s7" : "lenet5" }

    /// A fresh network drawn with `seed`.
    func make(seed: UInt64) -> Sequential {
        self == .lenet ? makeLeNet(classCount: 10, seed: seed) : makeLeNet5(classCount: 10, seed: seed)
    }
}

/// Checks a generator's pullback against central finite differences of ⟨v, G(z)⟩: the check
/// to run on any new generator before sampling with it.
enum PullbackCheck {
    /// The pullback disagreed with finite differences.
    struct Failure: Error, CustomStringConvertible {
        var relativeError: Double
        var description: String {
            String(format: "the generator's pullback disagrees with central finite differences (relative error %.2e)", relativeError)
        }
    }

    /// max over points i and axes k of |J_G(z_i)ᵀv_i − (⟨v_i, G(z_i + h e_k)⟩ − ⟨v_i, G(z_i − h e_k)⟩)/2h|,
    /// relative to the largest |J_G(z_i)ᵀv_i| component, at `points` codes z ~ N(0, I) and
    /// cotangents v ~ N(0, I) drawn from `seed`, with step `step`.
    static func largestRelativeError(of generator: some Generator, points: Int, seed: UInt64, step: Float = 1e-2) throws -> Double {
        var randomness = SeededGenerator(seed: seed)
        let d = generator.latentDimension, size = generator.sampleShape.reduce(1, *)
        let z = LatentPoints(dimension: d, values: (0..<points * d).map { _ in randomness.nextNormal() })
        let v = SampleBatch(sampleShape: generator.sampleShape, values: (0..<points * size).map { _ in randomness.nextNormal() })
        let analytic = try generator.pullback(at: z, cotangent: v)
        func inner(_ codes: [Float]) throws -> [Double] {
            let x = try generator.generate(LatentPoints(dimension: d, values: codes))
            return (0..<points).map { i in zip(x.sample(at: i), v.sample(at: i)).reduce(0) { $0 + Double($1.0) * Double($1.1) } }
        }
        var largestError = 0.0, scale = 0.0
        for k in 0..<d {
            var plus = z.values, minus = z.values
            for i in 0..<points { plus[i * d + k] += step; minus[i * d + k] -= step }
            let (up, down) = (try inner(plus), try inner(minus))
            for i in 0..<points {
                let difference = (up[i] - down[i]) / (2 * Double(step))
                largestError = max(largestError, abs(Double(analytic.values[i * d + k]) - difference))
                scale = max(scale, abs(Double(analytic.values[i * d + k])))
            }
        }
        return scale > 0 ? largestError / scale : largestError
    }
}

/// Prints a progress line at once.
func say(_ line: String) {
    print(line)
    fflush(nil)  // all output streams; `stdout` itself is not concurrency-safe in Swift 6
}
