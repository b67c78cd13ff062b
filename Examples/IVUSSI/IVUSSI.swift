// ivus-si: sampling by interpolation (SI) for coronary wall stress, end to end.
//
// The paper's IVUS experiment, on synthetic data (no IVUS dataset ships with the project):
//
//  1. An unlabeled pool of 64×64 vessel-wall masks (eccentric lumens, plaque-like lumps).
//  2. A VAE (4,096 → 400 → 400 → d = 3, the paper's Tables S9–S12) is trained on it: the encoder E and generator G.
//  3. A held-out test set of masks is labeled by VasFEM, the finite-element labeling tool
//     (systolic maximum principal stress, incompressible Mooney–Rivlin, plane strain).
//  4. The target F is the IVUS encoder–decoder, mask → stress map.
//  5. SI grows F's training set by moving latent codes toward harder samples,
//     z' = z + α·d, binarizing G(z') into a mask and having VasFEM label it; its baseline
//     draws fresh codes z ~ N(0, I) at the same label budget. Masks VasFEM cannot label
//     (speckles, no lumen) are recorded as failures; the others of the batch are kept.
//  6. Table 1 (mean ± std of the test error per round) and an HDF5 results file.
//
// Run: swift run -c release ivus-si [--seeds 2] [--rounds 4] [--out Output/ivus-si.h5]

import ArgumentParser
import EngineModels
import Foundation
import HDF5Store
import LatentSampling
import NeuralNetworks
import OptionChecks
import TensorEngine
import VasFEM

@main
struct IVUSSI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ivus-si",
        abstract: "SI with VasFEM on synthetic vessel-wall masks: a VAE's latent space, an IVUS net target, HDF5 results."
    )

    @Option(help: "Unlabeled masks the VAE is trained on.")
    var poolSize = 2_000
    @Option(help: "VAE training epochs.")
    var vaeEpochs = 40
    @Option(help: "Latent dimension d.")
    var latent = 3
    @Option(help: "Test masks labeled by VasFEM.")
    var testSize = 48
    @Option(help: "|T(1)|, synthesized and labeled.")
    var initialSize = 24
    @Option(name: .customLong("increment"), help: "J, samples added per round.")
    var incrementSize = 24
    @Option(help: "n, rounds.")
    var rounds = 4
    @Option(help: "E, IVUS-net training epochs per round (warm start).")
    var epochs = 20
    @Option(help: "α, the latent step size.")
    var alpha: Float = 0.5
    @Option(help: "Number of seeds.")
    var seeds = 2
    @Option(help: "Channels of the IVUS net's first stage.")
    var baseChannels = 8
    @Option(help: "Masks VasFEM solves at once.")
    var jobs = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Threads of the tensor engine (its matrix products and loops; OpenBLAS itself runs on one).")
    var threads = 2
    @Option(help: "Results file (HDF5); an existing one with the same settings is resumed.")
    var out = "Output/ivus-si.h5"
    @Flag(help: "Start afresh even if the results file exists.")
    var overwrite = false
    @Flag(help: "Label the masks cut from G(z) as they are, without clearing stray wall pieces and filling speckle holes first.")
    var rawMasks = false

    /// Labels are stress in units of 100 kPa, so typical maps are of order 1.
    static let stressUnit: Float = 100
    static let sampleShape = [1, 64, 64]

    func validate() throws {
        try OptionCheck.count(poolSize, "--pool-size", in: 2...1_000_000)
        try OptionCheck.count(vaeEpochs, "--vae-epochs", in: 1...10_000)
        try OptionCheck.count(latent, "--latent", in: 1...4_096)
        try OptionCheck.count(testSize, "--test-size", in: 1...100_000)
        try OptionCheck.count(initialSize, "--initial-size", in: 1...100_000)
        try OptionCheck.count(incrementSize, "--increment", in: 1...100_000)
        try OptionCheck.count(rounds, "--rounds", in: 1...10_000)
        try OptionCheck.count(epochs, "--epochs", in: 1...10_000)
        try OptionCheck.count(seeds, "--seeds", in: 1...1_000)
        try OptionCheck.count(baseChannels, "--base-channels", in: 1...1_024)
        try OptionCheck.count(jobs, "--jobs", in: 1...OptionCheck.maximumThreads)
        try OptionCheck.count(threads, "--threads", in: 1...OptionCheck.maximumThreads)
        try OptionCheck.nonNegative(alpha, "--alpha")
    }

    func run() async throws {
        BLASThreads.set(threads)
        let started = Date()
        let (file, resumed) = try openResultsFile(at: out, overwrite: overwrite)
        if resumed { say("Resuming \(out)") }
        try recordConfiguration([
            ("dataset", "synthetic-ivus-masks"), ("pool_size", "\(poolSize)"), ("vae_epochs", "\(vaeEpochs)"),
            ("latent_dimension", "\(latent)"), ("test_size", "\(testSize)"), ("alpha", "\(alpha)"),
            ("target", "ivus-net-\(baseChannels)"), ("vae_architecture", "4096-400-400-\(latent)"), ("label_units", "\(Self.stressUnit) kPa"),
            ("mask_repair", rawMasks ? "none" : "largest wall piece, speckle holes filled"),
        ], in: file)

        // 1–2. The unlabeled pool and the VAE.
        say("Generating \(poolSize) synthetic wall masks")
        let pool = Self.masks(count: poolSize, firstSeed: 0)
        let vae = VariationalAutoencoder(inputCount: 4_096, latentCount: latent, seed: 0)
        if !file.contains("vae") { say("Training the VAE (4096-400-400-\(latent), the paper's) for \(vaeEpochs) epochs") }
        let vaeStart = Date()
        let loaded = try VAETraining(epochs: vaeEpochs, batchSize: 64, learningRate: 1e-3).loadOrTrain(
            vae, on: pool, seed: 0, archivedAt: "vae", in: file) { epoch, loss in
            if epoch == 1 || epoch % 10 == 0 || epoch == vaeEpochs {
                say(String(format: "  VAE epoch %d: negative ELBO %.1f (%.0f s)", epoch, loss, Date().timeIntervalSince(vaeStart)))
            }
        }
        if loaded { say("VAE loaded from \(out)") }
        // Masks cut from G(z), repaired (stray wall pieces cleared, speckle holes filled) unless --raw-masks.
        let generator = MaskSource(BinarizedGenerator(VAECodec(autoencoder: vae, sampleShape: Self.sampleShape)),
                                   repaired: !rawMasks)

        // 3. The test set, labeled by VasFEM once (kept in the results file).
        let tool = SynthesizedWallLabeler(labeler: StressLabeler(maximumConcurrentMasks: jobs),
                                          stressUnit: Self.stressUnit)
        let test = try await testSet(labeledBy: tool, in: file)

        // 4–5. The target and the strategies.
        let si = try InterpolationSampling<SupervisedNetwork<Regression>, MaskSource, SynthesizedWallLabeler>(
            generator: generator, tool: tool, alpha: alpha)
        let baseline = try PriorSampling<SupervisedNetwork<Regression>, MaskSource, SynthesizedWallLabeler>(
            generator: generator, tool: tool)
        let experiment = Experiment(
            schedule: TrainingSchedule(initialSize: initialSize, incrementSize: incrementSize,
                                       epochsPerRound: epochs, maximumRounds: rounds),
            seeds: (0..<seeds).map(UInt64.init), strategies: [baseline, si], testSet: test,
            sampleShape: Self.sampleShape, latentDimension: latent
        ) { [baseChannels] in
            SupervisedNetwork(objective: Regression(), batchSize: 8, learningRate: 2e-3) {
                makeIVUSNet(baseChannels: baseChannels, seed: $0)
            }
        }
        say("Running random-prior and SI × \(seeds) seeds × \(rounds) rounds (J = \(incrementSize), α = \(alpha))")
        let summary = try await experiment.run(in: file) { say($0) }
        print("")
        print(summary.table())
        print(String(format: "(test error: mean squared error of the stress map in (%.0f kPa)²)", Self.stressUnit))
        print("")
        print(TrivialPredictors(test: test).report())
        print("")
        print(try LabelingAccount(file: file, strategies: [baseline.name, si.name], seeds: (0..<seeds).map(UInt64.init),
                                  rounds: rounds).report())
        print(String(format: "\nWrote %@ in %.1f min.", out, Date().timeIntervalSince(started) / 60))
        let checkpoints = file.checkpointStatistics
        print(String(format: "Checkpoints: %d this run, %.1f ms each on average (snapshot %.2f MB).",
                     checkpoints.count, checkpoints.meanSeconds * 1000, Double(checkpoints.bytes) / 1e6))
    }

    /// The held-out test set: masks labeled by VasFEM, read back from the file when present.
    private func testSet(labeledBy tool: SynthesizedWallLabeler, in file: HDF5File) async throws -> TestSet<[Float]> {
        if file.contains("test/masks") {
            let masks = try file.dataset("test/masks").read(as: Float.self)
            let (stress, shape) = try file.dataset("test/stress").readWithShape(as: Float.self)
            let size = shape.dropFirst().reduce(1, *)
            say("Test set (\(shape[0]) masks) loaded from \(out)")
            return try TestSet(samples: SampleBatch(sampleShape: Self.sampleShape, values: masks),
                           labels: (0..<shape[0]).map { Array(stress[$0 * size ..< ($0 + 1) * size]) })
        }
        say("Labeling \(testSize) test masks with VasFEM (\(jobs) at a time)")
        let masks = Self.masks(count: testSize, firstSeed: 1_000_000)
        let start = Date()
        let outcomes = try await tool.label((0..<masks.count).map { masks.sample(at: $0) })
        var kept = SampleBatch(sampleShape: Self.sampleShape)
        var labels: [[Float]] = []
        for (i, outcome) in outcomes.enumerated() {
            switch outcome.result {
            case let .success(label):
                kept.append(sample: masks.sample(at: i))
                labels.append(label)
            case let .failure(error):
                say("  test mask \(i) left out: \(error)")
            }
        }
        say(String(format: "  %d masks labeled in %.1f s (%.2f s per mask of solver time)", labels.count,
                   Date().timeIntervalSince(start), outcomes.map(\.cost.seconds).reduce(0, +) / Double(outcomes.count)))
        try file.createDataset("test/masks", values: kept.values, shape: [labels.count, 64, 64], compressionLevel: 4)
        let stress = try file.createDataset("test/stress", values: labels.flatMap { $0 }, shape: [labels.count, 64, 64],
                                            compressionLevel: 4)
        try stress.setAttribute("units", "\(Self.stressUnit) kPa")
        try file.checkpoint()  // keep the finite-element labels if the run is killed later
        return try TestSet(samples: kept, labels: labels)
    }

    /// Synthetic wall masks: half lumpy plaques, half eccentric annuli, as 0/1 images.
    static func masks(count: Int, firstSeed: UInt64) -> SampleBatch {
        var batch = SampleBatch(sampleShape: sampleShape)
        var randomness = SeededGenerator(seed: firstSeed &+ 17)
        for i in 0..<count {
            let mask: WallMask
            if i.isMultiple(of: 2) {
                mask = SyntheticMasks.lumpy(seed: firstSeed &+ UInt64(i))
            } else {
                let outer = 15 + 7 * Double(randomness.nextUniform())
                let inner = 6 + 4 * Double(randomness.nextUniform())
                let shift = (outer - inner - 3) * Double(randomness.nextUniform())
                let angle = 2 * Double.pi * Double(randomness.nextUniform())
                let centre = SIMD2(32 + 4 * Double(randomness.nextUniform() - 0.5), 32 + 4 * Double(randomness.nextUniform() - 0.5))
                mask = SyntheticMasks.annulus(center: centre, innerRadius: inner, outerRadius: outer,
                                              lumenOffset: SIMD2(shift * cos(angle), shift * sin(angle)))
            }
            batch.append(sample: mask.pixels.map(Float.init))
        }
        return batch
    }
}

/// Prints a progress line at once.
func say(_ line: String) {
    print(line)
    fflush(nil)  // all output streams; `stdout` itself is not concurrency-safe in Swift 6
}
