import ArgumentParser
import Datasets
import EngineModels
import Foundation
import HDF5Store
import LatentSampling
import NeuralNetworks
import OptionChecks
import Reports
import TensorEngine

/// `latent-sampling experiment`: strategies × seeds × rounds on Fashion-MNIST.
struct ExperimentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Compare sampling strategies on Fashion-MNIST (VAE latent space, LeNet target) and write an HDF5 results file.",
        discussion: """
        A VAE is trained once on the unlabeled pool (and kept in the results file). Then, for each seed, \
        every strategy grows a labeled set from the same random T(1) by J samples per round, training LeNet \
        for E epochs per round and evaluating it on the test set. The networks are the paper's by default: \
        the VAE 784→400→400→d (Tables S9–S12) and LeNet with conv 20, conv 50, FC 800→500→10 (Table S7). Running the same command again resumes an \
        interrupted experiment from its last completed round.
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
    @Option(help: "α, the latent step size.")
    var alpha: Float = 0.5
    @Option(help: "Latent dimension d of the VAE.")
    var latent = 3
    @Option(help: vaeHiddenHelp)
    var vaeHidden = "400,400"
    @Option(help: TargetNetwork.help)
    var network = TargetNetwork.lenet
    @Option(help: "VAE training epochs on the unlabeled pool.")
    var vaeEpochs = 10
    @Option(help: "Pool size (first images of the training split).")
    var poolSize = 60_000
    @Option(help: "Test-set size (first images of the test split).")
    var testSize = 10_000
    @Option(help: "LeNet mini-batch size.")
    var batchSize = 32
    @Option(help: "LeNet Adam learning rate.")
    var learningRate: Float = 1e-3
    @Option(help: "Threads of the tensor engine (its matrix products and loops; OpenBLAS itself runs on one).")
    var threads = 2
    @Option(help: "Results file (HDF5). An existing one with the same settings is resumed.")
    var out = "Output/fashion-mnist-experiment.h5"
    @Flag(help: "Start afresh even if the results file exists.")
    var overwrite = false

    func validate() throws {
        try OptionCheck.count(seeds, "--seeds", in: 1...1_000)
        try OptionCheck.count(poolSize, "--pool-size", in: 1...60_000)
        try OptionCheck.count(testSize, "--test-size", in: 1...10_000)
        try OptionCheck.count(initialSize, "--initial-size", in: 1...poolSize)
        try OptionCheck.count(incrementSize, "--increment", in: 1...poolSize)
        try OptionCheck.count(rounds, "--rounds", in: 1...10_000)
        try OptionCheck.count(epochs, "--epochs", in: 1...10_000)
        try OptionCheck.count(latent, "--latent", in: 1...784)
        try OptionCheck.count(vaeEpochs, "--vae-epochs", in: 1...10_000)
        try OptionCheck.count(batchSize, "--batch-size", in: 1...60_000)
        try OptionCheck.count(threads, "--threads", in: 1...OptionCheck.maximumThreads)
        try OptionCheck.nonNegative(alpha, "--alpha")
        try OptionCheck.positive(learningRate, "--learning-rate", atMost: 10)
        if strategyNames.contains("snn"), initialSize + (rounds - 1) * incrementSize > poolSize {
            throw ValidationError("--initial-size + (--rounds − 1) × --increment = \(initialSize + (rounds - 1) * incrementSize) "
                + "exceeds --pool-size \(poolSize); SNN draws new pool samples every round")
        }
        guard !strategyNames.isEmpty, Set(strategyNames).count == strategyNames.count else {
            throw ValidationError("--strategies must name each strategy once: '\(strategies)'")
        }
        guard parseHiddenWidths(vaeHidden) != nil else {
            throw ValidationError("--vae-hidden must be positive widths separated by commas, e.g. 400,400")
        }
        for name in strategyNames where !["random", "snn"].contains(name) {
            throw ValidationError("unknown strategy '\(name)': Fashion-MNIST supports random and snn (SI needs a labeling tool; see Examples/IVUSSI)")
        }
    }

    var hiddenWidths: [Int] { parseHiddenWidths(vaeHidden) ?? VariationalAutoencoder.paperHiddenCounts }
    /// The VAE's layer widths, e.g. "784-400-400-3".
    var vaeArchitecture: String { ([784] + hiddenWidths + [latent]).map(String.init).joined(separator: "-") }

    var strategyNames: [String] { strategies.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }

    func run() async throws {
        BLASThreads.set(threads)
        let started = Date()
        say("Loading Fashion-MNIST from \(dataDirectory) (pool \(poolSize), test \(testSize))")
        let data = try FashionMNISTData.load(from: dataDirectory, poolSize: poolSize, testSize: testSize)

        let (file, resumed) = try openResultsFile(at: out, overwrite: overwrite)
        if resumed { say("Resuming \(out)") }
        try recordConfiguration([
            ("dataset", "fashion-mnist"), ("pool_size", "\(poolSize)"), ("test_size", "\(testSize)"),
            ("latent_dimension", "\(latent)"), ("vae_epochs", "\(vaeEpochs)"), ("alpha", "\(alpha)"),
            ("target", network.recordedName), ("vae_architecture", vaeArchitecture), ("batch_size", "\(batchSize)"), ("learning_rate", "\(learningRate)"),
        ], in: file)

        let vae = VariationalAutoencoder(inputCount: 784, latentCount: latent, hiddenCounts: hiddenWidths, seed: 0)
        if !file.contains("vae") {
            say("Training the VAE (\(vaeArchitecture)) on \(poolSize) unlabeled images for \(vaeEpochs) epochs")
        }
        let vaeStart = Date()
        let loaded = try VAETraining(epochs: vaeEpochs, batchSize: 128, learningRate: 1e-3).loadOrTrain(
            vae, on: data.pool.samples, seed: 0, archivedAt: "vae", in: file) {
            say(String(format: "  VAE epoch %d: negative ELBO %.2f (%.0f s)", $0, $1, Date().timeIntervalSince(vaeStart)))
        }
        if loaded { say("VAE loaded from \(out)") }
        let codec = VAECodec(autoencoder: vae, sampleShape: FashionMNISTData.sampleShape)

        var chosen: [any SamplingStrategy<SupervisedNetwork<Classification>>] = []
        for name in strategyNames {
            switch name {
            case "random": chosen.append(RandomSampling(pool: data.pool))
            default:
                say("Embedding the pool, E(D)")
                chosen.append(try NearestNeighborSampling<SupervisedNetwork<Classification>, VAECodec>(
                    pool: data.pool, encoder: codec, generator: codec, alpha: alpha))
            }
        }
        let experiment = Experiment(
            schedule: TrainingSchedule(initialSize: initialSize, incrementSize: incrementSize,
                                       epochsPerRound: epochs, maximumRounds: rounds),
            seeds: (0..<seeds).map(UInt64.init), strategies: chosen, testSet: data.test,
            sampleShape: FashionMNISTData.sampleShape, latentDimension: latent
        ) { [network, batchSize, learningRate] in makeLeNetTarget(network, batchSize: batchSize, learningRate: learningRate) }

        say("Running \(strategyNames.joined(separator: ", ")) × \(seeds) seeds × \(rounds) rounds")
        let summary = try await experiment.run(in: file) { say($0) }
        // For `report`'s latent-trajectory figure: E(D) with classes, G(p) and G(p′) of a few selections.
        try LatentViewRecord.write(poolCodes: codec.encode(data.pool.samples), poolClasses: data.pool.labels.map(Int.init),
                                   generator: codec, in: file)
        print("")
        print(summary.table())
        print(String(format: "\nWrote %@ in %.1f min.", out, Date().timeIntervalSince(started) / 60))
        let checkpoints = file.checkpointStatistics
        print(String(format: "Checkpoints: %d this run, %.1f ms each on average (snapshot %.2f MB).",
                     checkpoints.count, checkpoints.meanSeconds * 1000, Double(checkpoints.bytes) / 1e6))
    }
}

/// Prints a progress line at once.
func say(_ line: String) {
    print(line)
    fflush(nil)  // all output streams; `stdout` itself is not concurrency-safe in Swift 6
}
