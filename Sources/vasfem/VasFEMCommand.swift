import ArgumentParser
import COpenBLAS
import Foundation
import HDF5Store
import OptionChecks
import VasFEM

/// `vasfem`: structural stress maps of vessel-wall masks by the finite-element method.
@main
struct VasFEMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vasfem",
        abstract: "Systolic stress maps of vessel-wall masks (incompressible Mooney–Rivlin, P2/P1 finite elements).",
        subcommands: [Label.self, Merge.self, Bench.self])
}

/// Options shared by the subcommands: the physical setting and the mesh.
struct PhysicsOptions: ParsableArguments {
    @Option(help: "Pixel size in mm.")
    var pixelSize = 0.15625
    @Option(help: "Systolic (peak) blood pressure in mmHg.")
    var systolic = 120.0
    @Option(help: "Diastolic blood pressure in mmHg.")
    var diastolic = 80.0
    @Option(help: "Target element size in mm.")
    var meshSize = VasFEMConfiguration().meshSize
    @Option(help: "Target element size on the lumen border in mm.")
    var lumenMeshSize = VasFEMConfiguration().lumenMeshSize
    @Option(help: "Load steps from 0 to the diastolic pressure.")
    var rampSteps = VasFEMConfiguration().rampSteps
    @Option(help: "Load steps along the waveform from end-diastole to the systolic peak.")
    var waveformSteps = VasFEMConfiguration().waveformSteps
    @Option(help: "Pressure waveform table (time,shape CSV); default: the built-in template (Data/pressure-waveform.csv).")
    var waveform: String?

    func validate() throws {
        try OptionCheck.positive(pixelSize, "--pixel-size", atMost: 100)
        try OptionCheck.nonNegative(diastolic, "--diastolic", atMost: 1_000)
        try OptionCheck.positive(systolic, "--systolic", atMost: 1_000)
        guard systolic >= diastolic else {
            throw ValidationError("--systolic (\(systolic) mmHg) must be at least --diastolic (\(diastolic) mmHg)")
        }
        try OptionCheck.positive(meshSize, "--mesh-size", atMost: 100)
        try OptionCheck.positive(lumenMeshSize, "--lumen-mesh-size", atMost: 100)
        try OptionCheck.count(rampSteps, "--ramp-steps", in: 1...100_000)
        try OptionCheck.count(waveformSteps, "--waveform-steps", in: 1...100_000)
    }

    func configuration() throws -> VasFEMConfiguration {
        var c = VasFEMConfiguration()
        c.pixelSize = pixelSize
        c.systolicPressure = systolic
        c.diastolicPressure = diastolic
        c.meshSize = meshSize
        c.lumenMeshSize = lumenMeshSize
        c.rampSteps = rampSteps
        c.waveformSteps = waveformSteps
        guard pixelSize > 0, meshSize > 0, lumenMeshSize > 0, systolic >= diastolic, diastolic >= 0, rampSteps >= 1, waveformSteps >= 1 else {
            throw ValidationError("need pixel size > 0, mesh sizes > 0, systolic ≥ diastolic ≥ 0 and at least one load step of each kind")
        }
        if let waveform {
            do {
                c.waveform = try PressureWaveform(csv: String(contentsOfFile: waveform, encoding: .utf8))
            } catch {
                throw ValidationError("--waveform \(waveform): \(error)")
            }
        }
        return c
    }
}

extension VasFEMCommand {
    struct Label: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Label masks: an HDF5 file (dataset `masks`, N×64×64 uint8) or one mask as PNG (.png), a text grid (.txt, lines of 0/1) or PGM (.pgm).")

        @Argument(help: "Input masks (.h5) or a single mask (.png, .txt, .pgm).")
        var input: String
        @Option(help: "Output: .h5 for HDF5 input (resumed when it exists); for a single mask a CSV grid of the max principal stress (kPa).")
        var out: String?
        @OptionGroup var physics: PhysicsOptions
        @Option(help: "Masks solved in parallel (per MPI rank under mpirun/srun; default: the processor count, or 1 per rank under MPI).")
        var jobs: Int?
        @Option(help: "HDF5 input only: label shard K of N (masks i with i mod N = K), e.g. a Slurm array task's $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT; join the parts with `vasfem merge`.")
        var shard: String?
        @Flag(help: "HDF5 input only: label again the masks an earlier run of this output recorded as failed.")
        var retryFailed = false
        @Option(help: "HDF5 input only: the most seconds of finished work a kill may lose; a checkpoint of the output is published after a mask when this many seconds have passed since the last (0: after every mask; default: 10 × the mean checkpoint cost, which keeps checkpoints under about 10 % of the run).")
        var checkpointInterval: Double?
        @Option(help: "Seconds between progress lines on standard error when it is not a terminal.")
        var progressInterval = 10.0
        @Option(help: "Single mask only: write the gmsh mesh here (.msh).")
        var meshOut: String?

        func validate() throws {
            if let jobs { try OptionCheck.count(jobs, "--jobs", in: 1...OptionCheck.maximumThreads) }
            if let shard {
                do { _ = try LabelingShard(parsing: shard) } catch { throw ValidationError("--shard: \(error)") }
            }
            try OptionCheck.positive(progressInterval, "--progress-interval", atMost: 86_400)
            if let checkpointInterval { try OptionCheck.nonNegative(checkpointInterval, "--checkpoint-interval", atMost: 86_400) }
        }

        func run() async throws {
            openblas_set_num_threads(1)
            let configuration = try physics.configuration()
            if input.lowercased().hasSuffix(".h5") || input.lowercased().hasSuffix(".hdf5") {
                guard let out else { throw ValidationError("--out OUT.h5 is required with HDF5 input") }
                let shard = try shard.map(LabelingShard.init(parsing:)) ?? .whole
                let progress = ProgressReporter(interval: progressInterval)
                if MPIJob.isLaunched {
                    // Synchronous from here: every MPI call stays on this thread.
                    let job = DistributedLabeling(input: input, output: out, configuration: configuration, shard: shard,
                                                  retryFailed: retryFailed, jobs: jobs ?? 1, checkpointInterval: checkpointInterval,
                                                  progress: progress)
                    if let line = try job.run() { print(line) }
                    return
                }
                let jobs = self.jobs ?? ProcessInfo.processInfo.activeProcessorCount
                let labeler = StressLabeler(configuration: configuration, maximumConcurrentMasks: jobs)
                let stop = StopRequest()
                let s = try await labeler.labelHDF5(input: input, output: out, shard: shard, retryFailed: retryFailed,
                                                   checkpointInterval: checkpointInterval,
                                                   shouldStop: { stop.isRequested }) { progress.update($0) }
                progress.finish()
                print(summaryLine(total: s.masks, labeledNow: s.labeledNow, solved: s.solved, failed: s.failed, seconds: s.seconds,
                                  maskSeconds: s.maskSeconds, workers: "\(jobs) jobs", writingSeconds: s.writingSeconds,
                                  checkpoints: s.checkpoints))
                if s.stoppedEarly, let signal = stop.receivedSignal {
                    let remaining = s.masks - s.solved - s.failed
                    FileHandle.standardError.write(Data(
                        "vasfem: stopped by signal \(signal) with \(remaining) masks to go; \(out) holds every finished mask: run the same command again to resume\n".utf8))
                    throw ExitCode(128 + signal)
                }
                return
            }
            guard shard == nil, !retryFailed else { throw ValidationError("--shard and --retry-failed need HDF5 input (.h5)") }
            let mask = try WallMask(contentsOfFile: input)
            let map = try StressLabeler.stressMap(for: mask, configuration: configuration, meshExportPath: meshOut)
            if let out {
                var text = ""
                for r in 0..<map.rows {
                    text += (0..<map.columns).map { String(format: "%.4f", map.maximumPrincipalStress[r * map.columns + $0]) }
                        .joined(separator: ",") + "\n"
                }
                try text.write(toFile: out, atomically: true, encoding: .utf8)
            }
            let peak = map.maximumPrincipalStress.max() ?? 0
            print(String(format: "solved: %d unknowns, %d triangles, %d Newton iterations; peak max principal stress %.3f kPa, peak von Mises %.3f kPa; %.1f ms",
                         map.unknowns, map.triangles, map.newtonIterations, peak, map.vonMisesStress.max() ?? 0, map.times.total * 1000))
        }
    }

    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Join the shard files of `vasfem label --shard K/N` (all N, each complete, same input and settings) into one label file.")

        @Argument(help: "The shard files (part-0.h5 ... part-<N-1>.h5, any order).")
        var parts: [String]
        @Option(help: "The merged label file.")
        var out: String

        func validate() throws {
            guard !parts.isEmpty else { throw ValidationError("give the shard files to merge") }
        }

        func run() throws {
            let start = Date()
            let s = try LabelStore.merge(parts: parts, output: out)
            print(String(format: "merged %d shards: %d masks (%d solved, %d failed) into %@ in %.2f s",
                         s.parts, s.masks, s.solved, s.failed, out, Date().timeIntervalSince(start)))
        }
    }

    struct Bench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Label a fixed set of synthetic masks and verify against the exact thick-walled tube; prints JSON lines.")

        @OptionGroup var physics: PhysicsOptions
        @Option(help: "Mesh sizes (mm) for the tube verification, comma-separated; each runs uniform and graded.")
        var tubeMeshSizes = "0.4,0.2,0.1"
        @Option(help: "Lumen mesh size as a fraction of the mesh size in the tube runs (default: as --lumen-mesh-size / --mesh-size).")
        var lumenFactor: Double?
        @Option(help: "Masks solved in parallel for the batch timing line.")
        var jobs = ProcessInfo.processInfo.activeProcessorCount
        @Option(help: "Only write the benchmark masks to this HDF5 file (dataset `masks`, attribute `names`) and stop.")
        var writeMasks: String?
        @Option(help: "With --write-masks: write this many masks (the benchmark set, then seeded lumpy walls) instead of the 10 of the benchmark set.")
        var count: Int?

        func validate() throws {
            try OptionCheck.count(jobs, "--jobs", in: 1...OptionCheck.maximumThreads)
            if let count { try OptionCheck.count(count, "--count", in: 1...10_000_000) }
            if let lumenFactor { try OptionCheck.positive(lumenFactor, "--lumen-factor", atMost: 100) }
            _ = try meshSizes()
        }

        /// The tube verification's mesh sizes, each a finite number > 0.
        func meshSizes() throws -> [Double] {
            let fields = tubeMeshSizes.split(separator: ",", omittingEmptySubsequences: false)
            return try fields.map { field in
                let text = field.trimmingCharacters(in: .whitespaces)
                guard let size = Double(text) else {
                    throw ValidationError("--tube-mesh-sizes must be comma-separated numbers in mm, not '\(tubeMeshSizes)'")
                }
                try OptionCheck.positive(size, "--tube-mesh-sizes entry", atMost: 10)
                return size
            }
        }

        func run() async throws {
            openblas_set_num_threads(1)
            let configuration = try physics.configuration()
            if let writeMasks {
                var set = SyntheticMasks.benchmarkSet
                if let count {
                    set = Array(set.prefix(count))
                    set += (0..<max(0, count - set.count)).map { ("lumpy-\(100 + $0)", SyntheticMasks.lumpy(seed: UInt64(100 + $0))) }
                }
                let file = try HDF5File(path: writeMasks, mode: .truncate)
                let masks = try file.createDataset("masks", values: set.flatMap(\.mask.pixels), shape: [set.count, 64, 64])
                try masks.setAttribute("names", set.map(\.name))
                return
            }
            // 1. Exact tube verification (uniform and graded meshes).
            let factor = lumenFactor ?? configuration.lumenMeshSize / configuration.meshSize
            for (factor, h) in try [1, factor].flatMap({ f in try meshSizes().map { (f, $0) } }) {
                let result = try TubeVerification.run(meshSize: h, material: configuration.material,
                                                      pressure: configuration.systolicPressure * kilopascalsPerMillimeterOfMercury,
                                                      lumenMeshSize: h * factor)
                try printJSON(["bench": "tube", "mesh_size_mm": h, "lumen_mesh_size_mm": fmt(h * factor),
                               "unknowns": result.unknowns, "hoop_error": fmt(result.hoopError),
                               "radial_error": fmt(result.radialError), "von_mises_error": fmt(result.vonMisesError),
                               "newton_iterations": result.newtonIterations,
                               "factorizations": result.analysis.solution.factorizations, "ms": fmt(result.seconds * 1000)])
            }
            // 2. Masks one at a time (single core), by stage.
            let set = SyntheticMasks.benchmarkSet
            for (name, mask) in set {
                do {
                    let map = try StressLabeler.stressMap(for: mask, configuration: configuration)
                    let t = map.times
                    try printJSON(["bench": "mask", "name": name, "unknowns": map.unknowns,
                                   "triangles": map.triangles, "bandwidth": map.bandwidth,
                                   "newton_iterations": map.newtonIterations, "factorizations": map.factorizations,
                                   "meshing_ms": fmt(t.meshing * 1000), "assembly_ms": fmt(t.assembly * 1000),
                                   "solve_ms": fmt(t.linearSolve * 1000), "rasterization_ms": fmt(t.rasterization * 1000),
                                   "total_ms": fmt(t.total * 1000),
                                   "peak_stress_kpa": fmt(Double(map.maximumPrincipalStress.max() ?? 0))])
                } catch {
                    try printJSON(["bench": "mask", "name": name, "error": String(describing: error)])
                }
            }
            // 3. The whole set as one parallel batch through the LabelingTool interface.
            let labeler = StressLabeler(configuration: configuration, maximumConcurrentMasks: jobs)
            let start = Date()
            let outcomes = try await labeler.label(set.map(\.mask))
            let seconds = Date().timeIntervalSince(start)
            try printJSON(["bench": "batch", "masks": set.count, "jobs": jobs,
                           "solved": outcomes.filter { $0.label != nil }.count,
                           "wall_ms_per_mask": fmt(seconds * 1000 / Double(set.count))])
        }

        /// `x` rounded to 4 significant digits (a JSON number; non-finite values become null).
        func fmt(_ x: Double) -> Any {
            guard x.isFinite else { return NSNull() }
            return Double(String(format: "%.4g", x)) ?? x
        }

        /// Prints one JSON line, built by JSONSerialization so that any text (an error message
        /// with quotes or newlines) is escaped; keys sorted.
        func printJSON(_ fields: [String: Any]) throws {
            let line = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
            print(String(decoding: line, as: UTF8.self))
        }
    }
}
