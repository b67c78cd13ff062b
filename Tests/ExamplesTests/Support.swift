import Foundation
import Testing

/// What a finished subprocess left.
struct Run: CustomStringConvertible {
    var status: Int32
    var stdout: String
    var stderr: String

    /// The non-empty lines of standard error.
    var errorLines: [String] { stderr.split(separator: "\n").map(String.init).filter { !$0.isEmpty } }

    var description: String { "exit \(status)\n--- stdout\n\(stdout.suffix(4_000))\n--- stderr\n\(stderr.suffix(3_000))" }
}

/// The folder holding the built executables: the folder of this test bundle (SwiftPM puts the
/// test bundle beside the products it built), else `.build/debug`.
let productsFolder: URL = {
    let candidates = [
        Bundle.main.executableURL?.deletingLastPathComponent(),
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug"),
    ].compactMap { $0 }
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0.appendingPathComponent("custom-generator").path) }
        ?? candidates.last!
}()

/// Runs a built executable with `arguments` in `folder`, with a time limit; fails the test when
/// it is not built or overruns. Standard output and error go to files, so neither pipe fills.
func run(_ executable: String, _ arguments: [String], in folder: URL? = nil, timeout: Double = 300,
         sourceLocation: SourceLocation = #_sourceLocation) throws -> Run {
    let path = productsFolder.appendingPathComponent(executable).path
    try #require(FileManager.default.isExecutableFile(atPath: path),
                 "\(path) is not built; run `swift build` (swift test builds it)", sourceLocation: sourceLocation)
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("examples-run-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let out = scratch.appendingPathComponent("stdout"), err = scratch.appendingPathComponent("stderr")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    _ = FileManager.default.createFile(atPath: err.path, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let folder { process.currentDirectoryURL = folder }
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
struct Scratch {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("ExamplesTests-\(UUID().uuidString)")
    init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// Expects a failure with exit code `status` whose first line of standard error starts with
/// "Error: " and contains every string of `naming`, without a trap.
func expectFailure(_ result: Run, status: Int32, naming: [String], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(result.status == status, "\(result)", sourceLocation: sourceLocation)
    #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("Stack dump"), "trapped:\n\(result)",
            sourceLocation: sourceLocation)
    let first = result.errorLines.first ?? ""
    #expect(first.hasPrefix("Error: "), "\(result)", sourceLocation: sourceLocation)
    for name in naming {
        #expect(first.contains(name), "first stderr line does not name '\(name)':\n\(result)", sourceLocation: sourceLocation)
    }
}

/// Fashion-MNIST as Debian's `dataset-fashion-mnist` installs it.
let fashionMNISTDirectory = "/usr/share/datasets/fashion-mnist"

/// Whether process `pid` is gone: no such process, or only a zombie waiting to be reaped.
func processIsGone(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
    // The state follows the command name in parentheses: "pid (comm) S ...".
    guard let close = stat.lastIndex(of: ")") else { return false }
    let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
    return state == "Z" || state == "X"
}
