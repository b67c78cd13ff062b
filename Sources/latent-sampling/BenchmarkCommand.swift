import ArgumentParser
import Datasets
import EngineModels
import Foundation
import HDF5Store
import LatentSampling
import NeuralNetworks
import OptionChecks
import TensorEngine

/// `latent-sampling benchmark`: standard active-learning baselines and latent strategies
/// against random sampling, strategies × seeds × rounds, with paired statistics.
struct BenchmarkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "benchmark",
        abstract: "Benchmark sampling strategies against random sampling (paired over seeds) and write HDF5, a table and an SVG figure.",
        discussion: """
        A VAE is trained once on the unlabeled pool (kept in the results file). For each seed, every strategy \
        grows the same random T(1) by J samples per round, training LeNet for E epochs per round (warm start) \
        and evaluating it on the test set. The report gives Table 1 (mean ± std per round), the AULC, each \
        strategy's paired difference from random over seeds with a 95% t interval, the paired t-test and \
        Wilcoxon signed-rank p-values, and a verdict ("better"/"worse" only when the interval excludes zero), \
        and the wall time per strategy split into training and selection. Running the same command again \
        resumes an interrupted benchmark.

        Strategies: \(BenchmarkCommand.knownStrategies.joined(separator: ", ")).
        """
    )

    static let knownStrategies = [
        "random", "least-confidence", "margin", "entropy", "bald", "coreset", "badge", "typiclust",
        "snn", "snn-diverse", "latent-typiclust", "margin-latent", "latent-typiclust+margin",
        "latent-typiclust-then-margin-latent",
    ]
    static let defaultStrategies = "random,margin,coreset,badge,typiclust,snn,latent-typiclust,margin-latent"

    @Option(help: "Folder with the IDX files train-/t10k-{images-idx3,labels-idx1}-ubyte[.gz] (Fashion-MNIST by default).")
    var dataDirectory = FashionMNIST.debianDirectory
    @Option(help: "HDF5 file with the pool (datasets 'images' N×28×28 and 'labels'); overrides --data-directory.")
    var trainHDF5: String?
    @Option(help: "HDF5 file with the test set (datasets 'images' and 'labels'); needed with --train-hdf5.")
    var testHDF5: String?
    @Option(help: "Comma-separated strategies.")
    var strategies = BenchmarkCommand.defaultStrategies
    @Option(help: "Number of seeds.")
    var seeds = 10
    @Option(help: "The first seed; the seeds are first-seed, first-seed + 1, ...")
    var firstSeed = 0
    @Option(help: "latent-typiclust-then-margin-latent: the training-set size from which margin-latent chooses.")
    var switchSize = 150
    @Option(help: "|T(1)|, the initial random training set (the same for every strategy of a seed).")
    var initialSize = 50
    @Option(name: .customLong("increment"), help: "J, samples added per round.")
    var incrementSize = 50
    @Option(help: "n, the number of rounds.")
    var rounds = 6
    @Option(help: "E, LeNet training epochs per round (warm start).")
    var epochs = 10
    @Option(help: "Unselected pool samples scored per round by the model-based strategies (a random subset; 0: all).")
    var candidates = 2_000
    @Option(help: "α, the latent step size of SNN and snn-diverse.")
    var alpha: Float = 0.5
    @Option(help: "Latent dimension d of the VAE.")
    var latent = 3
    @Option(help: "VAE training epochs on the unlabeled pool.")
    var vaeEpochs = 10
    @Option(help: vaeHiddenHelp)
    var vaeHidden = "400,400"
    @Option(help: TargetNetwork.help)
    var network = TargetNetwork.lenet
    @Option(help: "Pool size (first images of the training split).")
    var poolSize = 60_000
    @Option(help: "Test-set size (first images of the test split).")
    var testSize = 5_000
    @Option(help: "LeNet mini-batch size.")
    var batchSize = 32
    @Option(help: "LeNet Adam learning rate.")
    var learningRate: Float = 1e-3
    @Option(help: "Threads of the tensor engine.")
    var threads = 2
    @Option(help: "Comma-separated strategies every other one is compared with, paired over seeds.")
    var references = "random"
    @Option(help: "Results file (HDF5). An existing one with the same settings is resumed.")
    var out = "Output/benchmark.h5"
    @Option(help: "Learning-curve figure (SVG).")
    var figure = "Output/benchmark.svg"
    @Flag(help: "Start afresh even if the results file exists.")
    var overwrite = false

    var hiddenWidths: [Int] { parseHiddenWidths(vaeHidden) ?? VariationalAutoencoder.paperHiddenCounts }

    var strategyNames: [String] { strategies.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }

    func validate() throws {
        // Each option is checked on its own, so the message names it (OptionChecks).
        try OptionCheck.count(seeds, "--seeds", in: 1...1_000)
        try OptionCheck.count(firstSeed, "--first-seed", in: 0...1_000_000_000)
        try OptionCheck.count(poolSize, "--pool-size", in: 1...10_000_000)
        try OptionCheck.count(testSize, "--test-size", in: 1...10_000_000)
        try OptionCheck.count(initialSize, "--initial-size", in: 1...poolSize)
        try OptionCheck.count(incrementSize, "--increment", in: 1...poolSize)
        try OptionCheck.count(switchSize, "--switch-size", in: 0...10_000_000)
        try OptionCheck.count(rounds, "--rounds", in: 1...10_000)
        try OptionCheck.count(epochs, "--epochs", in: 1...10_000)
        try OptionCheck.count(candidates, "--candidates", in: 0...10_000_000)
        try OptionCheck.count(latent, "--latent", in: 1...784)
        guard parseHiddenWidths(vaeHidden) != nil else {
            throw ValidationError("--vae-hidden must be positive widths separated by commas, e.g. 400,400")
        }
        try OptionCheck.count(vaeEpochs, "--vae-epochs", in: 1...10_000)
        try OptionCheck.count(batchSize, "--batch-size", in: 1...1_000_000)
        try OptionCheck.count(threads, "--threads", in: 1...OptionCheck.maximumThreads)
        try OptionCheck.nonNegative(alpha, "--alpha")
        try OptionCheck.positive(learningRate, "--learning-rate", atMost: 10)
        guard !strategyNames.isEmpty, Set(strategyNames).count == strategyNames.count else {
            throw ValidationError("--strategies must name each strategy once")
        }
        for name in strategyNames where !Self.knownStrategies.contains(name) {
            throw ValidationError("unknown strategy '\(name)'; known: \(Self.knownStrategies.joined(separator: ", "))")
        }
        if (trainHDF5 == nil) != (testHDF5 == nil) { throw ValidationError("--train-hdf5 and --test-hdf5 go together") }
    }

    typealias Model = SupervisedNetwork<Classification>

    func run() async throws {
        BLASThreads.set(threads)
        let started = Date()
        let data = try loadData()
        let shape = data.pool.samples.sampleShape
        guard shape == [1, 28, 28] else {
            throw ValidationErrorMessage("LeNet needs 1×28×28 images; the dataset has \(shape)")
        }
        let classCount = Int((data.pool.labels.max() ?? 0) + 1)

        let (file, resumed) = try openResultsFile(at: out, overwrite: overwrite)
        if resumed { say("Resuming \(out)") }
        try recordConfiguration([
            ("dataset", trainHDF5 ?? dataDirectory), ("pool_size", "\(data.pool.count)"), ("test_size", "\(data.test.labels.count)"),
            ("latent_dimension", "\(latent)"), ("vae_epochs", "\(vaeEpochs)"), ("alpha", "\(alpha)"),
            ("target", network.recordedName), ("batch_size", "\(batchSize)"), ("learning_rate", "\(learningRate)"),
            ("candidates", "\(candidates)"), ("switch_size", "\(switchSize)"),
            ("vae_architecture", ([shape.reduce(1, *)] + hiddenWidths + [latent]).map(String.init).joined(separator: "-")),
        ], in: file)

        let vae = VariationalAutoencoder(inputCount: shape.reduce(1, *), latentCount: latent, hiddenCounts: hiddenWidths, seed: 0)
        let vaeStart = Date()
        let loaded = try VAETraining(epochs: vaeEpochs, batchSize: 128, learningRate: 1e-3).loadOrTrain(
            vae, on: data.pool.samples, seed: 0, archivedAt: "vae", in: file) {
            say(String(format: "  VAE epoch %d: negative ELBO %.2f (%.0f s)", $0, $1, Date().timeIntervalSince(vaeStart)))
        }
        say(loaded ? "VAE loaded from \(out)" : String(format: "VAE trained in %.0f s", Date().timeIntervalSince(vaeStart)))
        let codec = VAECodec(autoencoder: vae, sampleShape: shape)
        let codes = codec.encode(data.pool.samples)

        let limit = candidates == 0 ? nil : candidates
        var chosen: [any SamplingStrategy<Model>] = []
        for name in strategyNames {
            chosen.append(try makeStrategy(name, pool: data.pool, codes: codes, codec: codec, limit: limit))
        }
        let benchmark = Benchmark(
            schedule: TrainingSchedule(initialSize: initialSize, incrementSize: incrementSize,
                                       epochsPerRound: epochs, maximumRounds: rounds),
            seeds: (firstSeed..<firstSeed + seeds).map(UInt64.init), strategies: chosen, testSet: data.test,
            sampleShape: shape, latentDimension: latent
        ) { [batchSize, learningRate, network] in
            SupervisedNetwork(objective: Classification(classCount: classCount), batchSize: batchSize,
                              learningRate: learningRate) {
                switch network {
                case .lenet: makeLeNet(classCount: classCount, seed: $0)
                case .lenet5: makeLeNet5(classCount: classCount, seed: $0)
                }
            }
        }
        say("Running \(strategyNames.joined(separator: ", ")) × \(seeds) seeds × \(rounds) rounds")
        let result = try await benchmark.run(in: file) { say($0) }
        print("")
        print(result.report(references: references.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }))
        let title = "\(trainHDF5 == nil ? "Fashion-MNIST" : trainHDF5!): \(seeds) seeds from \(firstSeed), |T(1)| = \(initialSize), J = \(incrementSize), E = \(epochs)"
        let folder = URL(fileURLWithPath: figure).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try LearningCurveFigure(result: result, title: title).svg().write(toFile: figure, atomically: true, encoding: .utf8)
        print(String(format: "\nWrote %@ and %@ in %.1f min.", out, figure, Date().timeIntervalSince(started) / 60))
    }

    func makeStrategy(_ name: String, pool: LabeledPool<Int32>, codes: LatentPoints, codec: VAECodec,
                      limit: Int?) throws -> any SamplingStrategy<Model> {
        func snn() throws -> NearestNeighborSampling<Model, VAECodec> {
            try NearestNeighborSampling(pool: pool, poolCodes: codes, generator: codec, alpha: alpha)
        }
        switch name {
        case "random": return RandomSampling<Model>(pool: pool)
        case "least-confidence": return try UncertaintySampling<Model>(pool: pool, measure: .leastConfidence, candidateLimit: limit)
        case "margin": return try UncertaintySampling<Model>(pool: pool, measure: .margin, candidateLimit: limit)
        case "entropy": return try UncertaintySampling<Model>(pool: pool, measure: .entropy, candidateLimit: limit)
        case "bald": return try BALDSampling<Model>(pool: pool, passes: 20, candidateLimit: limit)
        case "coreset": return try CoreSetSampling<Model>(pool: pool, candidateLimit: limit)
        case "badge": return try BADGESampling<Model>(pool: pool, candidateLimit: limit)
        case "typiclust": return try TypicalClusterSampling<Model>(pool: pool, candidateLimit: limit)
        case "snn": return try snn()
        case "snn-diverse": return try DiverseNearestNeighborSampling(snn: try snn(), oversampling: 4)
        case "latent-typiclust": return try TypicalClusterSampling<Model>(pool: pool, codes: codes, candidateLimit: limit)
        case "margin-latent": return try MarginLatentDiverseSampling<Model>(pool: pool, poolCodes: codes, candidateLimit: limit)
        case "latent-typiclust+margin":
            return try HybridSampling(
                first: try TypicalClusterSampling<Model>(pool: pool, codes: codes, candidateLimit: limit),
                second: try UncertaintySampling<Model>(pool: pool, measure: .margin, candidateLimit: limit), share: 0.5)
        case "latent-typiclust-then-margin-latent":
            return try BudgetSwitchSampling(
                first: try TypicalClusterSampling<Model>(pool: pool, codes: codes, candidateLimit: limit),
                second: try MarginLatentDiverseSampling<Model>(pool: pool, poolCodes: codes, candidateLimit: limit),
                switchSize: switchSize)
        default: throw ValidationErrorMessage("unknown strategy '\(name)'")
        }
    }

    func loadData() throws -> FashionMNISTData {
        guard let trainHDF5, let testHDF5 else {
            say("Loading \(dataDirectory) (pool \(poolSize), test \(testSize))")
            return try FashionMNISTData.load(from: dataDirectory, poolSize: poolSize, testSize: testSize)
        }
        say("Loading \(trainHDF5) and \(testHDF5)")
        func batch(_ path: String, _ count: Int) throws -> (SampleBatch, [Int32]) {
            let images = try HDF5Images.load(from: path)
            let subset = try images.subset(0..<min(count, images.count))
            return (SampleBatch(sampleShape: subset.imageShape, values: subset.pixels), subset.labels)
        }
        let (poolSamples, poolLabels) = try batch(trainHDF5, poolSize)
        let (testSamples, testLabels) = try batch(testHDF5, testSize)
        return FashionMNISTData(pool: try LabeledPool(samples: poolSamples, labels: poolLabels),
                                test: try TestSet(samples: testSamples, labels: testLabels))
    }
}
