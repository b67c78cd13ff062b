// cifar10-alpha-gan: the paper's second experiment, SNN vs random sampling on CIFAR-10 with an
// α-GAN as the generator and VGG-16 as the target.
//
//  1. CIFAR-10's binary batches are read from a folder you name (data_batch_1.bin …
//     data_batch_5.bin: the pool D; test_batch.bin: the test set), pixels scaled to [−1, 1].
//  2. The α-GAN (residual encoder E and generator G, code and image discriminators; the
//     `AlphaGAN` networks) is trained on the unlabeled pool and kept in the results file after
//     every epoch, so an interrupted run resumes after its last finished epoch.
//  3. E embeds the pool; random sampling and SNN (p' = p + α·d along the loss gradient pulled
//     back through G, then the nearest pool code) grow VGG-16's training set; Table 1 and an
//     HDF5 results file.
//
// Get the data: https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz (the "CIFAR-10 binary
// version", 162 MB), `tar xzf cifar-10-binary.tar.gz`, then
//   swift run -c release cifar10-alpha-gan --data-directory cifar-10-batches-bin

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
struct CIFAR10AlphaGAN: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cifar10-alpha-gan",
        abstract: "SNN vs random on CIFAR-10: an α-GAN's latent space, a VGG-16 target, HDF5 results.",
        discussion: """
        Reads CIFAR-10's binary batches (data_batch_1.bin … data_batch_5.bin and test_batch.bin, raw or gzip) from \
        --data-directory; download the binary version from https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz. \
        Running the same command again resumes an interrupted run (the α-GAN after its last finished epoch, the \
        experiment after its last completed round).
        """
    )

    @Option(help: "Folder with CIFAR-10's binary batches (data_batch_1.bin … data_batch_5.bin, test_batch.bin).")
    var dataDirectory = "cifar-10-batches-bin"
    @Option(help: "Pool size (first images of the training batches).")
    var poolSize = 50_000
    @Option(help: "Test-set size (first images of test_batch.bin).")
    var testSize = 10_000
    @Option(help: "Latent dimension d of the α-GAN.")
    var latent = 128
    @Option(help: "α-GAN training epochs.")
    var ganEpochs = 1
    @Option(help: "Pool images the α-GAN trains on (the first ones; default: the whole pool).")
    var ganImages: Int?
    @Option(help: "α-GAN mini-batch size.")
    var ganBatchSize = 64
    @Option(help: "α-GAN Adam learning rate (β₁ = 0.5).")
    var ganLearningRate: Float = 2e-4
    @Option(help: "Comma-separated strategies: random, snn.")
    var strategies = "random,snn"
    @Option(help: "Number of seeds (0, 1, ...).")
    var seeds = 2
    @Option(help: "|T(1)|, the initial random training set.")
    var initialSize = 1_000
    @Option(name: .customLong("increment"), help: "J, samples added per round.")
    var incrementSize = 1_000
    @Option(help: "n, the number of rounds.")
    var rounds = 5
    @Option(help: "E, VGG-16 training epochs per round (warm start).")
    var epochs = 5
    @Option(help: "α, the latent step size.")
    var alpha: Float = 0.5
    @Option(help: "VGG-16 mini-batch size.")
    var batchSize = 64
    @Option(help: "VGG-16 Adam learning rate.")
    var learningRate: Float = 1e-3
    @Option(help: "Threads of the tensor engine.")
    var threads = 2
    @Option(help: "Results file (HDF5). An existing one with the same settings is resumed.")
    var out = "Output/cifar10-alpha-gan.h5"
    @Flag(help: "Start afresh even if the results file exists.")
    var overwrite = false

    static let sampleShape = [3, 32, 32]

    var strategyNames: [String] { strategies.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
    var ganImageCount: Int { ganImages ?? poolSize }

    func validate() throws {
        try OptionCheck.count(poolSize, "--pool-size", in: 2...50_000)
        try OptionCheck.count(testSize, "--test-size", in: 1...10_000)
        try OptionCheck.count(latent, "--latent", in: 1...4_096)
        try OptionCheck.count(ganEpochs, "--gan-epochs", in: 1...10_000)
        if let ganImages { try OptionCheck.count(ganImages, "--gan-images", in: 2...poolSize) }
        try OptionCheck.count(ganBatchSize, "--gan-batch-size", in: 2...50_000)
        try OptionCheck.positive(ganLearningRate, "--gan-learning-rate", atMost: 10)
        try OptionCheck.count(seeds, "--seeds", in: 1...1_000)
        try OptionCheck.count(initialSize, "--initial-size", in: 1...poolSize)
        try OptionCheck.count(incrementSize, "--increment", in: 1...poolSize)
        try OptionCheck.count(rounds, "--rounds", in: 1...10_000)
        try OptionCheck.count(epochs, "--epochs", in: 1...10_000)
        try OptionCheck.count(batchSize, "--batch-size", in: 2...50_000)
        try OptionCheck.positive(learningRate, "--learning-rate", atMost: 10)
        try OptionCheck.nonNegative(alpha, "--alpha", atMost: 1_000)
        try OptionCheck.count(threads, "--threads", in: 1...OptionCheck.maximumThreads)
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
        let data = try CIFAR10Data.load(from: dataDirectory, poolSize: poolSize, testSize: testSize) { say($0) }

        let (file, resumed) = try openResultsFile(at: out, overwrite: overwrite)
        if resumed { say("Resuming \(out)") }
        try recordConfiguration([
            ("dataset", "cifar-10"), ("pool_size", "\(poolSize)"), ("test_size", "\(testSize)"),
            ("latent_dimension", "\(latent)"), ("alpha", "\(alpha)"), ("generator", "alpha-gan"),
            ("gan_images", "\(ganImageCount)"), ("gan_epochs", "\(ganEpochs)"), ("gan_batch_size", "\(ganBatchSize)"), ("gan_learning_rate", "\(ganLearningRate)"),
            ("target", "vgg16-bn"), ("batch_size", "\(batchSize)"), ("learning_rate", "\(learningRate)"),
        ], in: file)

        // The α-GAN: trained on the unlabeled pool, archived after every epoch.
        let gan = AlphaGAN(latentCount: latent, seed: 0)
        try trainOrResume(gan, on: data.pool.samples.selecting(Array(0..<ganImageCount)), in: file)
        let codec = NetworkCodec(alphaGAN: gan)
        codec.batchSize = 64
        let reconstruction = Self.meanAbsoluteError(codec, on: data.test.samples.selecting(Array(0..<min(256, testSize))))
        say(String(format: "  α-GAN reconstruction error on test images, mean |x − G(E(x))|: %.4f (pixels in [−1, 1])", reconstruction))

        var chosen: [any SamplingStrategy<SupervisedNetwork<Classification>>] = []
        for name in strategyNames {
            switch name {
            case "random": chosen.append(RandomSampling(pool: data.pool))
            default:
                say("Embedding the pool with the α-GAN's encoder, E(D) (\(poolSize) images)")
                let embedStart = Date()
                chosen.append(try NearestNeighborSampling<SupervisedNetwork<Classification>, NetworkCodec>(
                    pool: data.pool, encoder: codec, generator: codec, alpha: alpha, batchSize: 256))
                say(String(format: "  embedded in %.1f s", Date().timeIntervalSince(embedStart)))
            }
        }
        let experiment = Experiment(
            schedule: TrainingSchedule(initialSize: initialSize, incrementSize: incrementSize,
                                       epochsPerRound: epochs, maximumRounds: rounds),
            seeds: (0..<seeds).map(UInt64.init), strategies: chosen, testSet: data.test,
            sampleShape: Self.sampleShape, latentDimension: latent
        ) { [batchSize, learningRate] in
            let model = SupervisedNetwork(objective: Classification(classCount: 10), batchSize: batchSize,
                                          learningRate: learningRate) { makeVGG16(classCount: 10, seed: $0) }
            model.evaluationBatchSize = 64
            return model
        }
        say("Running \(strategyNames.joined(separator: ", ")) × \(seeds) seeds × \(rounds) rounds (VGG-16, J = \(incrementSize))")
        let summary = try await experiment.run(in: file) { say($0) }
        print("")
        print(summary.table())
        print(String(format: "\nWrote %@ in %.1f min.", out, Date().timeIntervalSince(started) / 60))
    }

    /// Restores the α-GAN from the results file and trains the epochs still missing, archiving
    /// all four networks (parameters and BatchNorm statistics) and checkpointing after each.
    /// A resumed run starts fresh Adam moments for its remaining epochs.
    func trainOrResume(_ gan: AlphaGAN, on images: SampleBatch, in file: HDF5File) throws {
        let networks: [(String, any Layer)] = [("encoder", gan.encoder), ("generator", gan.generator),
                                               ("code_discriminator", gan.codeDiscriminator),
                                               ("image_discriminator", gan.imageDiscriminator)]
        var completed = 0
        if file.contains("alpha_gan") {
            let group = try file.group("alpha_gan")
            for (name, network) in networks { try ParameterArchive.load(network, from: group.group(name)) }
            completed = try group.intAttribute("epochs_completed")
            say("α-GAN loaded from \(out) (\(completed) of \(ganEpochs) epochs)")
        }
        guard completed < ganEpochs else { return }
        say("Training the α-GAN (d = \(latent)) on \(images.count) images, epochs \(completed + 1)–\(ganEpochs), batch \(ganBatchSize)")
        let trainer = AlphaGANTraining(alphaGAN: gan, learningRate: ganLearningRate)
        let start = Date()
        for epoch in (completed + 1)...ganEpochs {
            trainer.train(on: images, epochs: 1, batchSize: ganBatchSize, seed: UInt64(epoch)) { _, losses in
                say(String(format: "  α-GAN epoch %d: |x − G(E(x))| %.4f, E+G %.3f, image D %.3f, code D %.3f (%.0f s)", epoch,
                           losses.reconstruction, losses.autoencoder, losses.imageDiscriminator, losses.codeDiscriminator,
                           Date().timeIntervalSince(start)))
            }
            if file.contains("alpha_gan") { try file.remove("alpha_gan") }
            let group = try file.createGroup("alpha_gan")
            for (name, network) in networks { try ParameterArchive.save(network, to: group.createGroup(name)) }
            try group.setAttribute("epochs_completed", Int64(epoch))
            try file.checkpoint()  // a killed run resumes after this epoch
        }
        for (_, network) in networks { network.eval() }
    }

    /// mean |x − G(E(x))| over `samples`.
    static func meanAbsoluteError(_ codec: NetworkCodec, on samples: SampleBatch) -> Double {
        let reconstructed = codec.generate(codec.encode(samples))
        return zip(reconstructed.values, samples.values).reduce(0.0) { $0 + Double(abs($1.0 - $1.1)) } / Double(max(samples.values.count, 1))
    }
}

/// CIFAR-10 as the core's samples, pixels scaled to [−1, 1] (the α-GAN generator's tanh range).
struct CIFAR10Data {
    var pool: LabeledPool<Int32>
    var test: TestSet<Int32>

    /// Why the folder does not hold usable CIFAR-10 batches.
    struct MissingData: Error, CustomStringConvertible {
        var description: String
    }

    /// Reads the training batches present in `directory` (in order, stopping at the first one
    /// missing) and `test_batch.bin`, keeping the first `poolSize` and `testSize` images.
    static func load(from directory: String, poolSize: Int, testSize: Int, progress: (String) -> Void) throws -> CIFAR10Data {
        func path(_ name: String) -> String? {
            let base = URL(fileURLWithPath: directory).appendingPathComponent(name).path
            return [base, base + ".gz"].first { FileManager.default.fileExists(atPath: $0) }
        }
        let download = "download the binary version from https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz "
            + "and pass its cifar-10-batches-bin folder as --data-directory"
        var trainingFiles: [String] = []
        for name in CIFAR10.trainingBatchNames {
            guard let file = path(name) else { break }
            trainingFiles.append(file)
        }
        guard !trainingFiles.isEmpty else {
            throw MissingData(description: "no CIFAR-10 training batch (data_batch_1.bin) in \(directory): \(download)")
        }
        guard let testFile = path(CIFAR10.testBatchName) else {
            throw MissingData(description: "no CIFAR-10 test batch (test_batch.bin) in \(directory): \(download)")
        }
        progress("Loading CIFAR-10 from \(directory): \(trainingFiles.count) training batches and the test batch")
        let train = try CIFAR10.loadBatches(at: trainingFiles)
        let test = try CIFAR10.loadBatch(at: testFile)
        guard poolSize <= train.count else {
            throw MissingData(description: "--pool-size \(poolSize) exceeds the \(train.count) training images in \(directory)")
        }
        guard testSize <= test.count else {
            throw MissingData(description: "--test-size \(testSize) exceeds the \(test.count) test images in \(testFile)")
        }
        func scaled(_ images: ByteImageDataset, _ count: Int) throws -> (SampleBatch, [Int32]) {
            let subset = try images.subset(0..<count).scaledToUnitInterval()
            return (SampleBatch(sampleShape: CIFAR10AlphaGAN.sampleShape, values: subset.pixels.map { 2 * $0 - 1 }), subset.labels)
        }
        let (poolSamples, poolLabels) = try scaled(train, poolSize)
        let (testSamples, testLabels) = try scaled(test, testSize)
        return CIFAR10Data(pool: try LabeledPool(samples: poolSamples, labels: poolLabels),
                           test: try TestSet(samples: testSamples, labels: testLabels))
    }
}

/// Prints a progress line at once.
func say(_ line: String) {
    print(line)
    fflush(nil)  // all output streams; `stdout` itself is not concurrency-safe in Swift 6
}
