import CommandLineTesting
import Foundation
import HDF5Store
import Testing

// `vasfem label` beyond one process: under mpirun, as Slurm-style shards joined by
// `vasfem merge`, and killed mid-way then resumed. Each must give the file a single
// uninterrupted process gives (all datasets and attributes equal, except the accounting
// that says who labeled a mask and how long it took: `seconds`, `rank`, `shard`).

/// Coarse physics so the debug build labels a mask in well under a second.
private let fastPhysics = ["--mesh-size", "0.8", "--lumen-mesh-size", "0.4", "--ramp-steps", "1", "--waveform-steps", "1"]

/// Masks in the test batch, and which are bad (status ≠ 0 expected).
private let batchSize = 6
private let badMasks: [Int: Int32] = [1: 3, 4: 5]  // empty, touches the border

/// `mpirun` with the options that make it work as root, on 2 cores, without ssh and in a
/// container (no ptrace for single-copy shared memory).
private func mpirun(_ ranks: Int, _ arguments: [String], environment: [String: String] = [:]) throws -> Run {
    let path = "/usr/bin/mpirun"
    try #require(FileManager.default.isExecutableFile(atPath: path), "mpirun is missing: install openmpi-bin (./setup.sh)")
    let vasfem = productsFolder.appendingPathComponent("vasfem").path
    var options = ["--oversubscribe", "--mca", "plm", "isolated", "--mca", "btl", "self,vader",
                   "--mca", "btl_vader_single_copy_mechanism", "none", "-n", "\(ranks)"]
    if getuid() == 0 { options.insert("--allow-run-as-root", at: 0) }
    var run = try runProcess(path, options + [vasfem] + arguments, environment: environment, timeout: 180)
    run.stderr = withoutLauncherNotices(run.stderr)
    return run
}

/// Standard error without mpirun's own notices (blocks between lines of dashes, such as "Primary
/// job terminated normally, but 1 process returned a non-zero exit code"): mpirun writes them
/// before or after the ranks' messages, in no fixed order.
private func withoutLauncherNotices(_ stderr: String) -> String {
    var kept: [Substring] = [], inNotice = false
    for line in stderr.split(separator: "\n", omittingEmptySubsequences: false) {
        if line.hasPrefix("-----") && line.allSatisfy({ $0 == "-" }) {
            inNotice.toggle()
            continue
        }
        if !inNotice { kept.append(line) }
    }
    return kept.joined(separator: "\n")
}

/// The shared input and its one-process reference output, made once for the suite.
private struct Fixture {
    let folder: String
    var input: String { folder + "/in.h5" }
    var reference: String { folder + "/reference.h5" }

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("VasFEMScaleTests-\(getpid())").path
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // Good masks from the benchmark set, with bad ones in between.
        let written = try run("vasfem", ["bench", "--write-masks", folder + "/good.h5", "--count", "\(batchSize - badMasks.count)"])
        try #require(written.status == 0, "\(written)")
        var good = try HDF5File(path: folder + "/good.h5").dataset("masks").read(as: UInt8.self)[...]
        var pixels = [UInt8]()
        for i in 0..<batchSize {
            switch badMasks[i] {
            case 3: pixels += [UInt8](repeating: 0, count: 4096)
            case 5: pixels += [UInt8](repeating: 1, count: 64) + [UInt8](repeating: 0, count: 4096 - 64)
            default:
                pixels += good.prefix(4096)
                good = good.dropFirst(4096)
            }
        }
        try HDF5File(path: input, mode: .truncate).createDataset("masks", values: pixels, shape: [batchSize, 64, 64])
        let result = try run("vasfem", ["label", input, "--out", reference, "--jobs", "1"] + fastPhysics)
        try #require(result.status == 0, "\(result)")
    }
}

private let fixture = Result { try Fixture() }
private let removeFixture: Void = { atexit { if case .success(let f) = fixture { try? FileManager.default.removeItem(atPath: f.folder) } } }()

private func sharedFixture() throws -> Fixture {
    _ = removeFixture
    return try fixture.get()
}

/// Starts `vasfem label` of the fixture's batch into `out` on one job with a checkpoint after every
/// mask, each waiting 0.3 s before its rename so that a signal lands mid-run (and often
/// mid-checkpoint); returns once the file holds at least two labeled masks (or after 120 s).
private func startSlowLabeling(_ f: Fixture, out: String, output: Any, errors: Any) throws -> Process {
    let process = Process()
    process.executableURL = productsFolder.appendingPathComponent("vasfem")
    process.arguments = ["label", f.input, "--out", out, "--jobs", "1", "--checkpoint-interval", "0"] + fastPhysics
    process.environment = ProcessInfo.processInfo.environment.merging(["HDF5STORE_CHECKPOINT_PAUSE": "0.3"]) { $1 }
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    func labeled() -> Int { (try? HDF5File(path: out).dataset("status").read(as: Int32.self))?.filter { $0 >= 0 }.count ?? 0 }
    let deadline = Date().addingTimeInterval(120)
    while process.isRunning, Date() < deadline, labeled() < 2 { usleep(10_000) }
    return process
}

/// Expects two label files to be equal in every dataset and attribute except the accounting.
private func expectSameLabels(_ path: String, as reference: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let a = try HDF5File(path: reference), b = try HDF5File(path: path)
    #expect(try a.memberNames().sorted() == b.memberNames().sorted(), sourceLocation: sourceLocation)
    for name in ["stress", "von_mises", "displacement"] {
        let (x, y) = (try a.dataset(name).read(as: Float.self), try b.dataset(name).read(as: Float.self))
        #expect(x.map(\.bitPattern) == y.map(\.bitPattern), "\(name) differs", sourceLocation: sourceLocation)
    }
    #expect(try a.dataset("messages").read(as: UInt8.self) == b.dataset("messages").read(as: UInt8.self), sourceLocation: sourceLocation)
    for name in ["status", "newton_iterations"] {
        #expect(try a.dataset(name).read(as: Int32.self) == b.dataset(name).read(as: Int32.self), "\(name) differs", sourceLocation: sourceLocation)
    }
    #expect(try b.dataset("status").read(as: Int32.self).allSatisfy { $0 >= 0 }, "unlabeled masks left", sourceLocation: sourceLocation)
    #expect(try a.attributeNames().sorted() == b.attributeNames().sorted(), sourceLocation: sourceLocation)
    for name in try a.attributeNames() {
        let x = (try? a.stringAttribute(name)) ?? (try? a.doubleArrayAttribute(name)).map { "\($0)" } ?? (try? a.intArrayAttribute(name)).map { "\($0)" }
        let y = (try? b.stringAttribute(name)) ?? (try? b.doubleArrayAttribute(name)).map { "\($0)" } ?? (try? b.intArrayAttribute(name)).map { "\($0)" }
        #expect(x != nil && x == y, "attribute \(name): \(x ?? "?") vs \(y ?? "?")", sourceLocation: sourceLocation)
    }
}

@Suite("vasfem at scale: MPI, shards, resume")
struct VasFEMScaleTests {
    @Test("the reference run labels the good masks and records the bad ones with their status")
    func reference() throws {
        let f = try sharedFixture()
        let status = try HDF5File(path: f.reference).dataset("status").read(as: Int32.self)
        #expect(status == (0..<batchSize).map { badMasks[$0] ?? 0 })
    }

    @Test("mpirun -n 2 gives the one-process file, with masks labeled by both ranks")
    func mpiTwoRanks() throws {
        let f = try sharedFixture()
        let out = f.folder + "/mpi.h5"
        let result = try mpirun(2, ["label", f.input, "--out", out, "--progress-interval", "0.01"] + fastPhysics)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("\(batchSize - badMasks.count) solved, \(badMasks.count) failed"), "\(result)")
        #expect(result.stderr.contains("\(batchSize)/\(batchSize) done (\(badMasks.count) failed, 0 to go)"), "\(result)")
        try expectSameLabels(out, as: f.reference)
        let ranks = try HDF5File(path: out).dataset("rank").read(as: Int32.self)
        #expect(Set(ranks) == [0, 1], "ranks \(ranks)")
        // An error on rank 0 (here: an output written with other settings) ends every rank, with the message.
        let refused = try mpirun(2, ["label", f.input, "--out", out, "--systolic", "130"] + fastPhysics)
        expectFailure(refused, naming: ["mpi.h5", "settings", "systolicPressure 120 → 130"])
    }

    @Test("two shards merged give the one-process file; merge refuses missing, overlapping and mismatched shards")
    func shardsAndMerge() throws {
        let f = try sharedFixture()
        let parts = [f.folder + "/part-0.h5", f.folder + "/part-1.h5"]
        for (k, part) in parts.enumerated() {
            let result = try run("vasfem", ["label", f.input, "--shard", "\(k)/2", "--out", part, "--jobs", "1"] + fastPhysics)
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.contains("labeled \(batchSize / 2) masks"), "\(result)")
        }
        let merged = f.folder + "/merged.h5"
        let result = try run("vasfem", ["merge", parts[1], parts[0], "--out", merged])
        #expect(result.status == 0 && result.stdout.contains("merged 2 shards: \(batchSize) masks"), "\(result)")
        try expectSameLabels(merged, as: f.reference)
        #expect(try HDF5File(path: merged).dataset("shard").read(as: Int32.self) == (0..<batchSize).map { Int32($0 % 2) })

        let bad = f.folder + "/bad.h5"
        expectFailure(try run("vasfem", ["merge", parts[0], "--out", bad]), status: 1, naming: ["missing shard 1/2"])
        try FileManager.default.copyItem(atPath: parts[0], toPath: f.folder + "/copy-0.h5")
        expectFailure(try run("vasfem", ["merge", parts[0], f.folder + "/copy-0.h5", parts[1], "--out", bad]), status: 1,
                      naming: ["shard 0 appears more than once", "copy-0.h5"])
        expectFailure(try run("vasfem", ["merge", parts[0], f.reference, "--out", bad]), status: 1, naming: ["reference.h5", "shard count"])
        // A shard labeled with other settings.
        let other = f.folder + "/other-settings.h5"
        let labeled = try run("vasfem", ["label", f.input, "--shard", "1/2", "--out", other, "--jobs", "1", "--systolic", "130"] + fastPhysics)
        #expect(labeled.status == 0, "\(labeled)")
        expectFailure(try run("vasfem", ["merge", parts[0], other, "--out", bad]), status: 1, naming: ["other-settings.h5", "settings", "systolicPressure 120 → 130"])
        expectFailure(try run("vasfem", ["merge", parts[0], parts[1], "--out", parts[0]]), status: 1, naming: ["part-0.h5"])
        #expect(!FileManager.default.fileExists(atPath: bad))
        expectFailure(try run("vasfem", ["label", f.input, "--shard", "2/2", "--out", bad]), status: 64, naming: ["--shard", "2/2"])
        expectFailure(try run("vasfem", ["label", f.input, "--out", f.folder + "/./in.h5"]), status: 1, naming: ["in.h5", "is the input"])
    }

    @Test("SIGTERM stops a run gracefully: every mask it labeled is in the file, exit 143, and a re-run finishes it")
    func terminateAndResume() throws {
        let f = try sharedFixture()
        let out = f.folder + "/terminated.h5"
        let output = Pipe(), errors = Pipe()
        let process = try startSlowLabeling(f, out: out, output: output, errors: errors)
        func labeled() -> Int { (try? HDF5File(path: out).dataset("status").read(as: Int32.self))?.filter { $0 >= 0 }.count ?? 0 }
        kill(process.processIdentifier, SIGTERM)
        let stdout = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 143, "\(stdout)\(stderr)")
        #expect(stderr.contains("SIGTERM") && stderr.contains("run the same command again to resume"), "\(stderr)")
        // Everything this run labeled is in the published file (it stopped after the mask in flight).
        let done = labeled()
        try #require(done >= 2 && done < batchSize, "the signal should land mid-way; \(done) of \(batchSize) were labeled")
        #expect(stdout.contains("labeled \(done) of \(batchSize) masks") && stdout.contains("\(done) labeled now, 0 earlier, \(batchSize - done) to go"), "\(stdout)")
        let rerun = try run("vasfem", ["label", f.input, "--out", out, "--jobs", "1"] + fastPhysics)
        #expect(rerun.status == 0, "\(rerun)")
        #expect(rerun.stdout.contains("\(batchSize - done) labeled now, \(done) earlier"), "\(rerun)")
        try expectSameLabels(out, as: f.reference)
    }

    @Test("a run killed mid-way and re-run gives the uninterrupted file, labeling only the missing masks")
    func killAndResume() throws {
        let f = try sharedFixture()
        let out = f.folder + "/killed.h5"
        let process = try startSlowLabeling(f, out: out, output: FileHandle.nullDevice, errors: FileHandle.nullDevice)
        func labeled() -> [Int32]? { try? HDF5File(path: out).dataset("status").read(as: Int32.self) }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let before = try #require(labeled(), "no label file after the kill")
        let done = before.filter { $0 >= 0 }.count
        try #require(done >= 2 && done < batchSize, "the kill should land mid-way; \(done) of \(batchSize) were labeled")
        let secondsBefore = try HDF5File(path: out).dataset("seconds").read(as: Double.self)

        let rerun = try run("vasfem", ["label", f.input, "--out", out, "--jobs", "1"] + fastPhysics)
        #expect(rerun.status == 0, "\(rerun)")
        #expect(rerun.stdout.contains("\(batchSize - done) labeled now, \(done) earlier"), "\(rerun)")
        try expectSameLabels(out, as: f.reference)
        // The masks labeled before the kill were not labeled again: their timings are the first run's.
        let secondsAfter = try HDF5File(path: out).dataset("seconds").read(as: Double.self)
        for i in 0..<batchSize where before[i] >= 0 { #expect(secondsAfter[i] == secondsBefore[i], "mask \(i) was labeled again") }
        // Nothing left to do; failed masks are retried only when asked.
        let again = try run("vasfem", ["label", f.input, "--out", out] + fastPhysics)
        #expect(again.stdout.contains("0 labeled now, \(batchSize) earlier"), "\(again)")
        let retry = try run("vasfem", ["label", f.input, "--out", out, "--retry-failed"] + fastPhysics)
        #expect(retry.stdout.contains("\(badMasks.count) labeled now"), "\(retry)")
        try expectSameLabels(out, as: f.reference)
    }
}
