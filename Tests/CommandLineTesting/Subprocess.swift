// Running the package's executables as subprocesses from tests: shared by CommandLineTests
// and ExamplesTests (a plain target, so that both test targets can depend on it).
import Foundation
import Testing

/// What a finished subprocess left.
public struct Run: CustomStringConvertible {
    /// The exit status (or the signal, for a process killed by one).
    public var status: Int32
    /// Everything it wrote to standard output.
    public var stdout: String
    /// Everything it wrote to standard error.
    public var stderr: String

    /// The non-empty lines of standard error.
    public var errorLines: [String] { stderr.split(separator: "\n").map(String.init).filter { !$0.isEmpty } }

    /// Status and the tails of both streams, for failure messages.
    public var description: String { "exit \(status)\n--- stdout\n\(stdout.suffix(4_000))\n--- stderr\n\(stderr.suffix(3_000))" }
}

/// The folder holding the built executables: the folder of this test bundle (SwiftPM puts
/// `LatentSamplingPackageTests.xctest` beside the products it built), else `.build/debug`.
public let productsFolder: URL = {
    let candidates = [
        Bundle.main.executableURL?.deletingLastPathComponent(),
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug"),
    ].compactMap { $0 }
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0.appendingPathComponent("latent-sampling").path) }
        ?? candidates.last!
}()

/// The repository root (for scripts).
public let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// Runs a built executable with `arguments` in `folder`, with a time limit; fails the test
/// when it is not built or overruns.
public func run(_ executable: String, _ arguments: [String], in folder: URL? = nil,
         environment: [String: String] = [:], timeout: Double = 120,
         sourceLocation: SourceLocation = #_sourceLocation) throws -> Run {
    let path = productsFolder.appendingPathComponent(executable).path
    try #require(FileManager.default.isExecutableFile(atPath: path),
                 "\(path) is not built; run `swift build` (swift test builds it)", sourceLocation: sourceLocation)
    return try runProcess(path, arguments, in: folder, environment: environment, timeout: timeout,
                          sourceLocation: sourceLocation)
}

/// Runs any program; stdout and stderr are read concurrently into files, so neither pipe fills.
public func runProcess(_ path: String, _ arguments: [String], in folder: URL? = nil,
                environment: [String: String] = [:], timeout: Double = 120,
                sourceLocation: SourceLocation = #_sourceLocation) throws -> Run {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let out = scratch.appendingPathComponent("stdout"), err = scratch.appendingPathComponent("stderr")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    _ = FileManager.default.createFile(atPath: err.path, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let folder { process.currentDirectoryURL = folder }
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    process.standardOutput = try FileHandle(forWritingTo: out)
    process.standardError = try FileHandle(forWritingTo: err)
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    if process.isRunning {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        Issue.record("\(path) \(arguments.joined(separator: " ")) ran past \(timeout) s", sourceLocation: sourceLocation)
    }
    process.waitUntilExit()
    return Run(status: process.terminationStatus,
               stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
               stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
}

/// A fresh folder for one test's files, removed by `remove()`.
public struct Scratch {
    /// The folder.
    public let url = FileManager.default.temporaryDirectory.appendingPathComponent("LatentSamplingTests-\(UUID().uuidString)")
    /// Creates the folder.
    public init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
    /// The path of `name` inside the folder.
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    /// Removes the folder and everything in it.
    public func remove() { try? FileManager.default.removeItem(at: url) }
}

/// Expects a failure that names the problem: exit code `status` (64 for ArgumentParser's
/// validation errors, 1 for errors thrown while running), and a first line of standard
/// error that starts with "Error: " and contains every string of `naming`. Nothing may
/// trap (a trap exits by signal: status 132–139 after the shell's mapping, or a crash report).
public func expectFailure(_ result: Run, status: Int32? = nil, naming: [String],
                   sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(result.status != 0, "expected a failure:\n\(result)", sourceLocation: sourceLocation)
    if let status { #expect(result.status == status, "\(result)", sourceLocation: sourceLocation) }
    #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("Stack dump"),
            "trapped:\n\(result)", sourceLocation: sourceLocation)
    let first = result.errorLines.first ?? ""
    #expect(first.hasPrefix("Error: "), "\(result)", sourceLocation: sourceLocation)
    for name in naming {
        #expect(first.contains(name), "first stderr line does not name '\(name)':\n\(result)", sourceLocation: sourceLocation)
    }
}

/// Fashion-MNIST as Debian's `dataset-fashion-mnist` installs it.
public let fashionMNISTDirectory = "/usr/share/datasets/fashion-mnist"
