// custom-labeling-tool: a LabelingTool that calls an external program per batch.
//
// The pattern for wrapping your own solver (FEBio, Abaqus, a Python model) as the labeling
// tool of sampling by interpolation (SI):
//
//  1. ExternalProgramLabeler writes each batch of samples to a JSON file, runs the program on
//     it in its own process group, and reads one JSON answer line per sample from its standard
//     output. A sample the program rejects fails alone; when no answer arrives within the
//     timeout the program's process group is killed, the answered samples keep their labels,
//     and each unanswered one is tried alone. Every sample's wall-clock cost (and the program's
//     own cost units) is recorded.
//  2. The program shipped here, wall_labels.py (standard library only), labels a vessel-wall
//     mask with closed-form quantities: lumen area, wall area (mm²), and Lamé's hoop stress at
//     the inner wall relative to the lumen pressure, (b² + a²)/(b² − a²), for the tube of equal
//     areas.
//  3. A demonstration batch (four annuli of known radii and four bad masks; `--demo-hang` makes
//     the program hang on one good mask) shows the outcomes, then SI and its random-prior
//     baseline grow an MLP's training set with labels from the program: a VAE trained on
//     synthetic masks generates them, and masks the program rejects are recorded as failures.
//
// Run: swift run -c release custom-labeling-tool [--demo-hang] [--program ./my-solver]

import ArgumentParser
import EngineModels
import Foundation
import HDF5Store
import LatentSampling
import NeuralNetworks
import OptionChecks
import TensorEngine

@main
struct CustomLabelingTool: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "custom-labeling-tool",
        abstract: "A LabelingTool that runs an external program per batch (timeout, per-sample failures, costs), driving SI.",
        discussion: """
        The labeling program gets a JSON batch file and answers each sample with a JSON line on standard output: \
        {"id": 0, "label": [...], "units": n} or {"id": 1, "error": "why"}. The default program is the bundled \
        wall_labels.py (python3, standard library only); --program runs your own executable instead, with the batch \
        file as its last argument (its labels must have 3 values to train this example's target).
        """
    )

    @Option(help: "An executable labeling program taking the batch file as its argument (default: python3 with the bundled wall_labels.py).")
    var program: String?
    @Option(help: "Seconds without an answer after which the labeling program is killed.")
    var timeout = 30.0
    @Option(help: "Seconds the labeling program may take to start (until its first output line).")
    var startupTimeout = 60.0
    @Option(help: "Labeling programs run at once, each on a slice of the batch.")
    var jobs = 2
    @Flag(help: "Make the bundled program hang on one good mask of the demonstration batch, to show the timeout.")
    var demoHang = false
    @Option(help: "Pixel size in mm (passed to the bundled program).")
    var pixelSize = 0.2
    @Option(help: "Unlabeled masks the VAE is trained on.")
    var poolSize = 600
    @Option(help: "VAE training epochs.")
    var vaeEpochs = 30
    @Option(help: "Hidden width of the VAE (1024-w-d, mirrored).")
    var vaeWidth = 256
    @Option(help: "Latent dimension d.")
    var latent = 2
    @Option(help: "Test masks labeled by the program.")
    var testSize = 100
    @Option(help: "|T(1)|, synthesized and labeled.")
    var initialSize = 16
    @Option(name: .customLong("increment"), help: "J, samples added per round.")
    var incrementSize = 16
    @Option(help: "n, rounds.")
    var rounds = 4
    @Option(help: "E, training epochs of the target per round (warm start).")
    var epochs = 30
    @Option(help: "α, the latent step size.")
    var alpha: Float = 0.5
    @Option(help: "Number of seeds.")
    var seeds = 2
    @Option(help: "Threads of the tensor engine.")
    var threads = 2
    @Option(help: "Results file (HDF5); an existing one with the same settings is resumed.")
    var out = "Output/custom-labeling-tool.h5"
    @Flag(help: "Start afresh even if the results file exists.")
    var overwrite = false

    /// Values per label: lumen area (mm²), wall area (mm²), σ_θ(a)/p.
    static let labelWidth = 3
    /// The demonstration mask the bundled program hangs on with `--demo-hang` (a good annulus).
    static let hangingDemoSample = 1

    func validate() throws {
        try OptionCheck.positive(timeout, "--timeout", atMost: 86_400)
        try OptionCheck.positive(startupTimeout, "--startup-timeout", atMost: 86_400)
        try OptionCheck.count(jobs, "--jobs", in: 1...OptionCheck.maximumThreads)
        try OptionCheck.positive(pixelSize, "--pixel-size", atMost: 100)
        try OptionCheck.count(poolSize, "--pool-size", in: 2...1_000_000)
        try OptionCheck.count(vaeEpochs, "--vae-epochs", in: 1...10_000)
        try OptionCheck.count(vaeWidth, "--vae-width", in: 1...100_000)
        try OptionCheck.count(latent, "--latent", in: 1...1_024)
        try OptionCheck.count(testSize, "--test-size", in: 1...100_000)
        try OptionCheck.count(initialSize, "--initial-size", in: 1...100_000)
        try OptionCheck.count(incrementSize, "--increment", in: 1...100_000)
        try OptionCheck.count(rounds, "--rounds", in: 1...10_000)
        try OptionCheck.count(epochs, "--epochs", in: 1...10_000)
        try OptionCheck.count(seeds, "--seeds", in: 1...1_000)
        try OptionCheck.count(threads, "--threads", in: 1...OptionCheck.maximumThreads)
        try OptionCheck.nonNegative(alpha, "--alpha", atMost: 1_000)
        if let program, program.isEmpty { throw ValidationError("--program must name an executable, not an empty string") }
        if program != nil && demoHang { throw ValidationError("--demo-hang works with the bundled program only, not with --program") }
    }

    func run() async throws {
        BLASThreads.set(threads)
        let started = Date()
        let (file, resumed) = try openResultsFile(at: out, overwrite: overwrite)
        if resumed { say("Resuming \(out)") }
        try recordConfiguration([
            ("dataset", "synthetic-wall-masks-32"), ("labeling_program", program ?? "wall_labels.py"),
            ("pixel_size_mm", "\(pixelSize)"), ("pool_size", "\(poolSize)"), ("vae_epochs", "\(vaeEpochs)"),
            ("vae_architecture", "1024-\(vaeWidth)-\(latent)"), ("test_size", "\(testSize)"), ("alpha", "\(alpha)"),
            ("target", "mlp-1024-64-3"), ("label_columns", "lumen_area_mm2,wall_area_mm2,hoop_stress_over_pressure"),
        ], in: file)

        // 1. The demonstration batch.
        let demo = WallMasks.demo
        var demoCommand = try labelingCommand()
        if demoHang { demoCommand += ["--hang-on", "\(Self.hangingDemoSample)"] }
        let demoTool = tool(command: demoCommand)
        say("Labeling the demonstration batch (\(demo.count) masks) with \(demoCommand.joined(separator: " "))")
        let demoStart = Date()
        let outcomes = try await demoTool.label(demo.map(\.mask))
        say(String(format: "  %d of %d labeled in %.2f s", outcomes.count { $0.label != nil }, demo.count,
                   Date().timeIntervalSince(demoStart)))
        print(Self.demoTable(demo, outcomes))
        try recordDemo(demo, outcomes, in: file)

        // 2. The test set, labeled by the program once (kept in the results file).
        let labeler = tool(command: try labelingCommand())
        let test = try await testSet(labeledBy: labeler, in: file)

        // 3. The unlabeled pool and the VAE: its decoder, binarized, generates masks.
        say("Generating \(poolSize) unlabeled masks")
        let pool = WallMasks.random(count: poolSize, seed: 0)
        let vae = VariationalAutoencoder(inputCount: WallMasks.side * WallMasks.side, latentCount: latent,
                                         hiddenCounts: [vaeWidth], seed: 0)
        if !file.contains("vae") { say("Training the VAE (1024-\(vaeWidth)-\(latent)) for \(vaeEpochs) epochs") }
        let vaeStart = Date()
        let loaded = try VAETraining(epochs: vaeEpochs, batchSize: 64, learningRate: 2e-3).loadOrTrain(
            vae, on: pool, seed: 0, archivedAt: "vae", in: file) { epoch, loss in
            if epoch == 1 || epoch % 10 == 0 || epoch == vaeEpochs {
                say(String(format: "  VAE epoch %d: negative ELBO %.1f (%.0f s)", epoch, loss, Date().timeIntervalSince(vaeStart)))
            }
        }
        if loaded { say("VAE loaded from \(out)") }
        let generator = BinarizedGenerator(VAECodec(autoencoder: vae, sampleShape: WallMasks.sampleShape))

        // 4. SI and its baseline, both labeled by the external program.
        let si = try InterpolationSampling<SupervisedNetwork<Regression>, BinarizedGenerator<VAECodec>, ExternalProgramLabeler>(
            generator: generator, tool: labeler, alpha: alpha)
        let baseline = try PriorSampling<SupervisedNetwork<Regression>, BinarizedGenerator<VAECodec>, ExternalProgramLabeler>(
            generator: generator, tool: labeler)
        let experiment = Experiment(
            schedule: TrainingSchedule(initialSize: initialSize, incrementSize: incrementSize,
                                       epochsPerRound: epochs, maximumRounds: rounds),
            seeds: (0..<seeds).map(UInt64.init), strategies: [baseline, si], testSet: test,
            sampleShape: WallMasks.sampleShape, latentDimension: latent
        ) {
            SupervisedNetwork(objective: Regression(), batchSize: 16, learningRate: 2e-3) { seed in
                var g = SeededGenerator(seed: seed)
                return Sequential([
                    ("flatten", Flatten()),
                    ("fc1", Dense(inputCount: WallMasks.side * WallMasks.side, outputCount: 64, generator: &g)),
                    ("relu", ReLU()),
                    ("fc2", Dense(inputCount: 64, outputCount: Self.labelWidth, initialization: .xavierUniform, generator: &g)),
                ])
            }
        }
        say("Running random-prior and SI × \(seeds) seeds × \(rounds) rounds (J = \(incrementSize), α = \(alpha))")
        let summary = try await experiment.run(in: file) { say($0) }
        print("")
        print(summary.table())
        print("(test error: mean squared error of [lumen area mm², wall area mm², σ_θ(a)/p])")
        print("")
        print(try Self.costReport(file: file, strategies: [baseline.name, si.name], seeds: (0..<seeds).map(UInt64.init)))
        print(String(format: "\nWrote %@ in %.1f min.", out, Date().timeIntervalSince(started) / 60))
    }

    /// The labeling program's command line, with `{batch}` where the batch file goes.
    func labelingCommand() throws -> [String] {
        if let program { return [program, "{batch}"] }
        guard let script = Self.bundledScript() else {
            throw ExternalLabelingError.cannotStart(
                "wall_labels.py is neither beside the executable (\(Self.resourceFolder.path)) nor in the source tree; pass --program")
        }
        return ["python3", script, "{batch}", "--pixel-size", "\(pixelSize)"]
    }

    func tool(command: [String]) -> ExternalProgramLabeler {
        ExternalProgramLabeler(command: command, sampleShape: WallMasks.sampleShape, labelWidth: Self.labelWidth,
                               timeout: timeout, startupTimeout: startupTimeout, concurrentPrograms: jobs, log: { say($0) })
    }

    /// Where SwiftPM puts this target's resources: a folder beside the executable.
    static var resourceFolder: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("LatentSampling_CustomLabelingTool.resources")
    }

    /// The bundled wall_labels.py: beside the executable, else in the source tree it was built from.
    static func bundledScript() -> String? {
        let candidates = [
            Bundle.main.executableURL?.deletingLastPathComponent()
                .appendingPathComponent("LatentSampling_CustomLabelingTool.resources/wall_labels.py"),
            resourceFolder.appendingPathComponent("wall_labels.py"),
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("wall_labels.py"),
        ].compactMap { $0 }
        return candidates.first { FileManager.default.fileExists(atPath: $0.path) }?.path
    }

    /// The demonstration's outcomes, one line per mask.
    static func demoTable(_ demo: [WallMasks.DemoMask], _ outcomes: [LabelingOutcome<[Float]>]) -> String {
        var lines = ["  #  mask                                  lumen mm²  wall mm²  σθ(a)/p  nominal      s   units"]
        for (i, (mask, outcome)) in zip(demo, outcomes).enumerated() {
            let name = mask.name.padding(toLength: 36, withPad: " ", startingAt: 0)
            let nominal = mask.nominalHoopFactor.map { String(format: "%7.3f", $0) } ?? "      –"
            let units = outcome.cost.units.map { String(format: "%.0f", $0) } ?? "–"
            let cost = String(format: "%6.2f ", outcome.cost.seconds) + String(repeating: " ", count: max(0, 7 - units.count)) + units
            switch outcome.result {
            case let .success(label):
                lines.append(String(format: "%3d  ", i) + name + String(format: " %9.3f %9.3f %8.3f  ", label[0], label[1], label[2])
                             + nominal + " " + cost)
            case let .failure(error):
                lines.append(String(format: "%3d  ", i) + name + String(repeating: " ", count: 30) + "  " + nominal + " " + cost)
                lines.append("     failed: \(error)")
            }
        }
        lines.append("  (nominal: Lamé's (b² + a²)/(b² − a²) for the radii the mask was drawn with; the program uses pixel areas)")
        return lines.joined(separator: "\n")
    }

    /// `/demo`: the masks, their labels (NaN rows for failures), the outcome of each, the costs
    /// and the nominal σ_θ(a)/p. Written once; a resumed run prints a fresh demonstration only.
    func recordDemo(_ demo: [WallMasks.DemoMask], _ outcomes: [LabelingOutcome<[Float]>], in file: HDF5File) throws {
        guard !file.contains("demo") else { return }
        let group = try file.createGroup("demo")
        let side = WallMasks.side
        try group.createDataset("masks", values: demo.flatMap(\.mask), shape: [demo.count, side, side])
        try group.createDataset("labels", values: outcomes.flatMap { $0.label ?? [Float](repeating: .nan, count: Self.labelWidth) },
                                shape: [demo.count, Self.labelWidth])
        try group.createDataset("cost_seconds", values: outcomes.map(\.cost.seconds), shape: [demo.count])
        try group.createDataset("cost_units", values: outcomes.map { $0.cost.units ?? .nan }, shape: [demo.count])
        try group.createDataset("nominal_hoop_factor", values: demo.map { $0.nominalHoopFactor ?? .nan }, shape: [demo.count])
        try group.setAttribute("names", demo.map(\.name))
        try group.setAttribute("outcomes", outcomes.map { outcome in
            switch outcome.result {
            case .success: "labeled"
            case let .failure(error): "\(error)"
            }
        })
        try file.checkpoint()
    }

    /// The held-out test set: random masks labeled by the program, read back when present.
    func testSet(labeledBy tool: ExternalProgramLabeler, in file: HDF5File) async throws -> TestSet<[Float]> {
        if file.contains("test/masks") {
            let masks = try file.dataset("test/masks").read(as: Float.self)
            let labels = try file.dataset("test/labels").read(as: Float.self)
            say("Test set (\(labels.count / Self.labelWidth) masks) loaded from \(out)")
            return try TestSet(samples: SampleBatch(sampleShape: WallMasks.sampleShape, values: masks),
                           labels: stride(from: 0, to: labels.count, by: Self.labelWidth).map { Array(labels[$0..<$0 + Self.labelWidth]) })
        }
        say("Labeling \(testSize) test masks with the program (\(jobs) at a time)")
        let masks = WallMasks.random(count: testSize, seed: 1_000_000)
        let outcomes = try await tool.label((0..<masks.count).map { masks.sample(at: $0) })
        var kept = SampleBatch(sampleShape: WallMasks.sampleShape)
        var labels: [[Float]] = []
        for (i, outcome) in outcomes.enumerated() {
            if let label = outcome.label {
                kept.append(sample: masks.sample(at: i))
                labels.append(label)
            } else if case let .failure(error) = outcome.result {
                say("  test mask \(i) left out: \(error)")
            }
        }
        guard !labels.isEmpty else { throw ExternalLabelingError.cannotStart("the program labeled none of the \(testSize) test masks") }
        try file.createDataset("test/masks", values: kept.values, shape: [labels.count, WallMasks.side, WallMasks.side],
                               compressionLevel: 4)
        try file.createDataset("test/labels", values: labels.flatMap { $0 }, shape: [labels.count, Self.labelWidth])
        try file.checkpoint()
        return try TestSet(samples: kept, labels: labels)
    }

    /// Per strategy, summed over seeds: samples labeled and failed, the program's seconds and
    /// units, and the most frequent failure reasons (from the results file).
    static func costReport(file: HDF5File, strategies: [String], seeds: [UInt64]) throws -> String {
        var lines = ["Labeling cost (sums over seeds; seconds are wall-clock time waiting for the program):",
                     "strategy        labeled  failed  seconds   units"]
        for strategy in strategies {
            var labeled = 0, failed = 0, seconds = 0.0, units = 0.0
            var reasons: [String: Int] = [:]
            for seed in seeds {
                let run = "\(strategy)/seed_\(seed)"
                for (kind, isFailure) in [("selected", false), ("failed", true)] where file.contains("\(run)/\(kind)/cost_seconds") {
                    let cost = try file.dataset("\(run)/\(kind)/cost_seconds").read(as: Double.self)
                    let costUnits = try file.dataset("\(run)/\(kind)/cost_units").read(as: Double.self)
                    if isFailure { failed += cost.count } else { labeled += cost.count }
                    seconds += cost.filter(\.isFinite).reduce(0, +)
                    units += costUnits.filter(\.isFinite).reduce(0, +)
                }
                if file.contains("\(run)/failed"), try file.group("\(run)/failed").hasAttribute("reasons") {
                    for reason in try file.group("\(run)/failed").stringArrayAttribute("reasons") {
                        // "the labeling program rejected sample 3: the mask has no lumen" → the part after the colon.
                        let short = reason.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? reason
                        reasons[short, default: 0] += 1
                    }
                }
            }
            lines.append(strategy.padding(toLength: 14, withPad: " ", startingAt: 0)
                         + String(format: " %8d %7d %8.2f %7.0f", labeled, failed, seconds, units))
            for (reason, count) in reasons.sorted(by: { $0.value > $1.value }).prefix(3) {
                lines.append("    \(count) × \(reason)")
            }
        }
        return lines.joined(separator: "\n")
    }
}

/// Prints a progress line at once.
func say(_ line: String) {
    print(line)
    fflush(nil)  // all output streams; `stdout` itself is not concurrency-safe in Swift 6
}
