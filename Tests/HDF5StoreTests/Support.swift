import Foundation
import Testing
import HDF5Store

/// A fresh directory under the system's temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("HDF5StoreTests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// The path of `name` inside the directory.
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// Runs `body` with a temporary directory that is removed afterwards.
func withTemporaryDirectory<R>(_ body: (TemporaryDirectory) async throws -> R) async throws -> R {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    return try await body(directory)
}

/// Debian's Python, which has h5py and numpy (the `python3` on PATH may not).
let debianPython = "/usr/bin/python3"

/// Runs a Python script with `arguments`; returns the exit status and the combined output.
func runPython(_ script: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: debianPython)
    process.arguments = ["-c", script] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Fails the test with setup instructions unless Debian's Python can import h5py and numpy.
func requireH5py() throws {
    let available = FileManager.default.isExecutableFile(atPath: debianPython)
        && ((try? runPython("import h5py, numpy", []))?.status == 0)
    try #require(available, """
        h5py interoperability tests need \(debianPython) with h5py and numpy \
        (Debian package python3-h5py). Run ./setup.sh to install it.
        """)
}

/// Runs a Python check script; fails the test with its output if it exits non-zero.
func expectPythonSucceeds(_ script: String, _ arguments: [String],
                          sourceLocation: SourceLocation = #_sourceLocation) throws {
    try requireH5py()
    let (status, output) = try runPython(script, arguments)
    #expect(status == 0, "Python check failed:\n\(output)", sourceLocation: sourceLocation)
}

/// Expects `body` to throw an ``HDF5Error`` matching `matches`, and returns it.
@discardableResult
func expectHDF5Error<R>(
    _ body: () throws -> R, sourceLocation: SourceLocation = #_sourceLocation,
    where matches: (HDF5Error) -> Bool
) -> HDF5Error? {
    do {
        _ = try body()
        Issue.record("expected an HDF5Error, got success", sourceLocation: sourceLocation)
        return nil
    } catch let error as HDF5Error {
        #expect(matches(error), "unexpected error: \(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected an HDF5Error, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
