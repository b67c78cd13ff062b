import CommandLineTesting
import Foundation
import HDF5Store
import Testing

// Every executable run as a subprocess: --help, a tiny successful run, and each class of bad
// input (bad options, missing or corrupt files), checking exit codes, a one-line message
// naming the problem on stderr, and that JSON-line output stays JSON.

/// Every executable and its help's first words.
let executables = ["latent-sampling", "vasfem", "ivus-si", "engine-bench", "system-check", "report"]

@Suite("Command-line tools")
struct CommandLineTests {
    @Test(arguments: executables)
    func helpExitsZero(executable: String) throws {
        let result = try run(executable, ["--help"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("USAGE:") && result.stdout.contains("OPTIONS:"), "\(result)")
    }

    @Test(arguments: [["experiment", "--help"], ["bench", "--help"], ["benchmark", "--help"]])
    func latentSamplingSubcommandHelp(arguments: [String]) throws {
        let result = try run("latent-sampling", arguments)
        #expect(result.status == 0 && result.stdout.contains("--threads"), "\(result)")
    }

    /// Bad numeric options: (executable, arguments, the option the message must name).
    static let badOptions: [(String, [String], String)] = [
        ("latent-sampling", ["experiment", "--learning-rate", "0"], "--learning-rate"),
        ("latent-sampling", ["experiment", "--learning-rate", "-1"], "--learning-rate"),
        ("latent-sampling", ["experiment", "--learning-rate", "nan"], "--learning-rate"),
        ("latent-sampling", ["experiment", "--alpha", "inf"], "--alpha"),
        ("latent-sampling", ["experiment", "--seeds", "0"], "--seeds"),
        ("latent-sampling", ["experiment", "--pool-size", "70000"], "--pool-size"),
        ("latent-sampling", ["experiment", "--test-size", "-5"], "--test-size"),
        ("latent-sampling", ["experiment", "--threads", "0"], "--threads"),
        ("latent-sampling", ["experiment", "--batch-size", "0"], "--batch-size"),
        ("latent-sampling", ["experiment", "--pool-size", "100", "--rounds", "10", "--initial-size", "50",
                             "--increment", "10"], "--pool-size"),
        ("latent-sampling", ["experiment", "--strategies", "random,si"], "si"),
        ("latent-sampling", ["bench", "--latent", "0"], "--latent"),
        ("latent-sampling", ["benchmark", "--learning-rate", "nan"], "--learning-rate"),
        ("latent-sampling", ["benchmark", "--candidates", "-1"], "--candidates"),
        ("latent-sampling", ["benchmark", "--seeds", "0"], "--seeds"),
        ("latent-sampling", ["benchmark", "--alpha", "-0.5"], "--alpha"),
        ("latent-sampling", ["bench", "--pool-size", "100", "--training-set-size", "100"], "--training-set-size"),
        ("ivus-si", ["--alpha", "nan"], "--alpha"),
        ("ivus-si", ["--jobs", "0"], "--jobs"),
        ("ivus-si", ["--rounds", "-1"], "--rounds"),
        ("ivus-si", ["--pool-size", "1"], "--pool-size"),
        ("vasfem", ["label", "mask.png", "--mesh-size", "0"], "--mesh-size"),
        ("vasfem", ["label", "mask.png", "--systolic", "nan"], "--systolic"),
        ("vasfem", ["label", "mask.png", "--pixel-size", "inf"], "--pixel-size"),
        ("vasfem", ["label", "mask.png", "--systolic", "70", "--diastolic", "80"], "--systolic"),
        ("vasfem", ["label", "mask.png", "--jobs", "0"], "--jobs"),
        ("vasfem", ["bench", "--tube-mesh-sizes", "0.4,abc"], "--tube-mesh-sizes"),
        ("vasfem", ["bench", "--tube-mesh-sizes", "0.4,-1"], "--tube-mesh-sizes"),
        ("vasfem", ["bench", "--ramp-steps", "0"], "--ramp-steps"),
        ("engine-bench", ["--seconds", "0"], "--seconds"),
        ("engine-bench", ["--threads", "0"], "--threads"),
        ("engine-bench", ["--only", "no_such_workload"], "no_such_workload"),
        ("engine-bench", ["--learning-rate", "nan"], "--learning-rate"),
        ("engine-bench", ["--worker-spin-microseconds", "-1"], "--worker-spin-microseconds"),
        ("system-check", ["--matrix-size", "0"], "--matrix-size"),
        ("system-check", ["--mesh-size", "nan"], "--mesh-size"),
        ("system-check", ["--grid-points", "2"], "--grid-points"),
    ]

    @Test(arguments: badOptions.indices)
    func badOptionStopsWithUsageError(index: Int) throws {
        let (executable, arguments, option) = Self.badOptions[index]
        let result = try run(executable, arguments)
        // 64 (EX_USAGE): ArgumentParser's validation, before any work starts.
        expectFailure(result, status: 64, naming: [option])
        #expect(result.stdout.isEmpty, "\(result)")
    }

    @Test func nonNumericOptionIsAUsageError() throws {
        expectFailure(try run("latent-sampling", ["experiment", "--seeds", "three"]), status: 64, naming: ["--seeds"])
    }

    @Test func missingAndCorruptMaskFiles() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let missing = scratch.path("missing.png")
        expectFailure(try run("vasfem", ["label", missing]), naming: ["missing.png"])
        // Random bytes under each extension the reader accepts.
        var bytes = [UInt8](repeating: 0, count: 300)
        var state: UInt64 = 7
        for i in bytes.indices { state = state &* 6364136223846793005 &+ 1442695040888963407; bytes[i] = UInt8(state >> 56) }
        for name in ["garbage.png", "garbage.pgm", "garbage.txt", "garbage.h5"] {
            _ = FileManager.default.createFile(atPath: scratch.path(name), contents: Data(bytes))
            let arguments = name.hasSuffix(".h5") ? ["label", scratch.path(name), "--out", scratch.path("out.h5")]
                                                  : ["label", scratch.path(name)]
            expectFailure(try run("vasfem", arguments), status: 1, naming: [name])
        }
        // HDF5 input without an output is a usage error.
        expectFailure(try run("vasfem", ["label", scratch.path("garbage.h5")]), naming: ["--out"])
    }

    @Test func badWaveformFileIsNamed() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try "time,shape\n0,0\n0.5,one\n".write(toFile: scratch.path("wave.csv"), atomically: true, encoding: .utf8)
        for file in [scratch.path("wave.csv"), scratch.path("missing.csv")] {
            expectFailure(try run("vasfem", ["label", scratch.path("mask.txt"), "--waveform", file]),
                          naming: ["--waveform", URL(fileURLWithPath: file).lastPathComponent])
        }
    }

    @Test func vasfemLabelsATextGridMaskAndFailsOnAnEmptyOne() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        // An empty 64×64 grid: a mask problem, reported as a typed error.
        let empty = Array(repeating: String(repeating: "0", count: 64), count: 64).joined(separator: "\n")
        try empty.write(toFile: scratch.path("empty.txt"), atomically: true, encoding: .utf8)
        expectFailure(try run("vasfem", ["label", scratch.path("empty.txt")]), status: 1, naming: [])
    }

    @Test func systemCheckTinyRun() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let result = try run("system-check", ["--matrix-size", "32", "--grid-points", "50", "--mesh-size", "0.5",
                                              "--threads", "1", "--out", scratch.path("check.h5")])
        #expect(result.status == 0, "\(result)")
        #expect(try HDF5File(path: scratch.path("check.h5")).memberNames().isEmpty == false)
    }

    @Test func engineBenchPrintsJSONLines() throws {
        let result = try run("engine-bench", ["--only", "lenet_train", "--seconds", "0.2", "--threads", "1"])
        #expect(result.status == 0, "\(result)")
        try expectJSONLines(result.stdout, atLeast: 1)
    }
}

/// Expects every non-empty line of `text` to be a JSON object, and at least `count` of them.
func expectJSONLines(_ text: String, atLeast count: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let lines = text.split(separator: "\n").filter { !$0.isEmpty }
    #expect(lines.count >= count, "\(text)", sourceLocation: sourceLocation)
    for line in lines {
        let object = try? JSONSerialization.jsonObject(with: Data(line.utf8))
        #expect(object is [String: Any], "not a JSON object: \(line)", sourceLocation: sourceLocation)
    }
}
