import ArgumentParser
import Foundation

/// The PyTorch side of `--compare-pytorch`: a virtual environment `.venv-torch` in the
/// package root (created and filled from PyPI when missing) running Scripts/pytorch/bench.py.
enum PyTorchEnvironment {
    /// The package root, found from this source file's location.
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Returns the venv's python, installing torch and numpy first when needed.
    static func ensure() throws -> String {
        let venv = packageRoot.appendingPathComponent(".venv-torch")
        let python = venv.appendingPathComponent("bin/python").path
        if FileManager.default.fileExists(atPath: python), (try? shell(python, ["-c", "import torch, numpy"])) != nil {
            return python
        }
        FileHandle.standardError.write(Data("engine-bench: installing PyTorch into \(venv.path) (first run only; minutes)\n".utf8))
        if !FileManager.default.fileExists(atPath: python) {
            try shell("/usr/bin/env", ["python3", "-m", "venv", venv.path])
        }
        try shell(python, ["-m", "pip", "install", "--quiet", "torch", "numpy"])
        return python
    }

    /// Runs bench.py for one workload and returns its JSON line.
    static func bench(
        python: String, workload: String, threads: Int, seconds: Double, environment: [String: String] = [:]
    ) throws -> [String: Any] {
        let script = packageRoot.appendingPathComponent("Scripts/pytorch/bench.py").path
        let output = try shell(python, [script, "--workload", workload, "--threads", "\(threads)", "--seconds", "\(seconds)"],
                               environment: environment)
        return try lastJSONObject(in: output)
    }

    /// Runs a program, returning its standard output; throws when it fails.
    @discardableResult
    static func shell(_ program: String, _ arguments: [String], environment extra: [String: String] = [:]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        environment.merge(extra) { _, new in new }
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ValidationError("\(program) \(arguments.joined(separator: " ")) failed with status \(process.terminationStatus)")
        }
        return data
    }
}
