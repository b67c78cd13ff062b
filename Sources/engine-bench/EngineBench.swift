import ArgumentParser
import Foundation
import NeuralNetworks
import OptionChecks
import TensorEngine

/// Benchmarks of the tensor engine: training throughput of the paper's networks, the
/// sampler's latent-gradient step, memory stability, and a Fashion-MNIST LeNet epoch.
/// Every figure is printed as one JSON line; the first describes the machine (CPU model,
/// SIMD level of the element-wise kernels, OpenBLAS's kernel family, sgemm's GFLOP/s), and
/// each workload line gives its GFLOP/s beside that peak.
@main
struct EngineBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine-bench",
        abstract: "Times the engine's workloads (and the same models in PyTorch with --compare-pytorch).")

    @Flag(help: "Also time the same workloads in PyTorch (CPU, same thread count); installs PyTorch into .venv-torch when missing.")
    var comparePytorch = false

    @Flag(help: "Run 1,000 training steps and print resident memory (VmRSS/VmHWM) every 100 steps.")
    var memoryCheck = false

    @Option(help: "Workload of --memory-check.")
    var memoryWorkload = "lenet_train"

    @Flag(help: "Train LeNet on Fashion-MNIST for one epoch and print test accuracy and time.")
    var fashionMnistEpoch = false

    @Flag(help: "Leave glibc's allocator thresholds alone (by default the benchmark calls AllocatorTuning.retainFreedBuffers()).")
    var defaultAllocator = false

    @Option(help: "Threads of the tensor engine, and of PyTorch.")
    var threads = 2

    @Option(help: "Microseconds the engine's idle worker threads spin before they sleep (0: sleep at once).")
    var workerSpinMicroseconds = WorkerPool.spinMicroseconds

    @Option(help: "Seconds of timed steps per workload (after warm-up).")
    var seconds = 5.0

    @Option(help: "Runs per workload and side; the best is reported (the machine may be shared).")
    var repeats = 3

    @Option(help: "Run one workload in this process (used internally: each workload runs in its own process so its peak memory is its own).")
    var only: String?

    @Option(help: "Adam's learning rate for --fashion-mnist-epoch.")
    var learningRate: Float = 2e-3

    @Option(help: "Directory of the Fashion-MNIST IDX .gz files.")
    var fashionMnistDirectory = "/usr/share/datasets/fashion-mnist"

    func validate() throws {
        try OptionCheck.count(threads, "--threads", in: 1...OptionCheck.maximumThreads)
        try OptionCheck.positive(seconds, "--seconds", atMost: 3_600)
        try OptionCheck.count(repeats, "--repeats", in: 1...1_000)
        try OptionCheck.count(workerSpinMicroseconds, "--worker-spin-microseconds", in: 0...1_000_000)
        try OptionCheck.positive(learningRate, "--learning-rate", atMost: 10)
        for workload in [only, memoryWorkload].compactMap({ $0 }) where Workload(rawValue: workload) == nil {
            throw ValidationError("unknown workload '\(workload)'; known: \(Workload.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        BLASThreads.set(threads)
        WorkerPool.spinMicroseconds = workerSpinMicroseconds
        if !defaultAllocator { AllocatorTuning.retainFreedBuffers() }
        if let only {
            guard let workload = Workload(rawValue: only) else {
                throw ValidationError("unknown workload \(only); known: \(Workload.allCases.map(\.rawValue))")
            }
            let rate = workload.measure(seconds: seconds)
            print(jsonLine(["workload": workload.rawValue, "samples_per_s": rate.wall, "samples_per_cpu_s": rate.cpu,
                            "peak_rss_mb": peakResidentMegabytes()]))
            return
        }
        if memoryCheck {
            guard let workload = Workload(rawValue: memoryWorkload) else {
                throw ValidationError("unknown workload \(memoryWorkload); known: \(Workload.allCases.map(\.rawValue))")
            }
            runMemoryCheck(workload)
            return
        }
        if fashionMnistEpoch {
            try runFashionMNISTEpoch(directory: fashionMnistDirectory, learningRate: learningRate)
            return
        }
        let python = comparePytorch ? try PyTorchEnvironment.ensure() : nil
        let machine = MachineReport.measure()
        print(jsonLine(machine.json))
        fflush(nil)
        for workload in Workload.allCases {
            // Best of `repeats` runs per side, alternating ours and PyTorch's so that a burst
            // of load from other processes hits both; PyTorch alternates between its default
            // OpenMP wait policy and OMP_WAIT_POLICY=PASSIVE (better on a loaded machine),
            // and keeps its best.
            var ours: [String: Any] = [:], theirs: [String: Any] = [:]
            var oursCPU = 0.0, theirsCPU = 0.0  // best samples per CPU second, each side
            func better(_ a: [String: Any], _ b: [String: Any]) -> [String: Any] {
                ((a["samples_per_s"] as? Double) ?? 0) >= ((b["samples_per_s"] as? Double) ?? 0) ? a : b
            }
            for attempt in 0..<max(1, repeats) {
                let run = try runChild(arguments: ["--only", workload.rawValue, "--threads", "\(threads)", "--seconds", "\(seconds)",
                                                   "--worker-spin-microseconds", "\(workerSpinMicroseconds)"]
                                       + (defaultAllocator ? ["--default-allocator"] : []))
                ours = better(ours, run)
                oursCPU = max(oursCPU, (run["samples_per_cpu_s"] as? Double) ?? 0)
                if let python {
                    var result = try PyTorchEnvironment.bench(
                        python: python, workload: workload.rawValue, threads: threads, seconds: seconds,
                        environment: attempt % 2 == 1 ? ["OMP_WAIT_POLICY": "PASSIVE"] : [:])
                    result["omp_wait_policy"] = attempt % 2 == 1 ? "PASSIVE" : "default"
                    theirs = better(theirs, result)
                    theirsCPU = max(theirsCPU, (result["samples_per_cpu_s"] as? Double) ?? 0)
                }
            }
            var fields: [String: Any] = [
                "workload": workload.rawValue,
                "ours_samples_per_s": ours["samples_per_s"] ?? 0,
                "ours_peak_rss_mb": ours["peak_rss_mb"] ?? 0,
                "ours_samples_per_cpu_s": oursCPU,
                "threads": threads,
                "best_of": max(1, repeats),
            ]
            let flops = workload.flopsPerSample
            let oursRate = (ours["samples_per_s"] as? Double) ?? 0
            fields["gflop_per_sample"] = flops / 1e9
            fields["ours_gflops"] = oursRate * flops / 1e9
            fields["ours_fraction_of_sgemm_peak"] = oursRate * flops / 1e9 / machine.sgemmGigaflops
            if python != nil {
                let o = oursRate, p = (theirs["samples_per_s"] as? Double) ?? 0
                fields["pytorch_gflops"] = p * flops / 1e9
                fields["pytorch_samples_per_s"] = p
                fields["pytorch_peak_rss_mb"] = theirs["peak_rss_mb"] ?? 0
                fields["pytorch_omp_wait_policy"] = theirs["omp_wait_policy"] ?? ""
                fields["ratio"] = p > 0 ? o / p : 0
                fields["pytorch_samples_per_cpu_s"] = theirsCPU
                // Per CPU second: on one thread, the ratio that waiting for a core does not move.
                fields["cpu_time_ratio"] = theirsCPU > 0 ? oursCPU / theirsCPU : 0
                fields["pytorch_version"] = theirs["torch"] ?? ""
            }
            print(jsonLine(fields))
            fflush(nil)
        }
    }

    /// Runs this executable again with `arguments` and parses its last JSON line.
    func runChild(arguments: [String]) throws -> [String: Any] {
        let process = Process()
        process.executableURL = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0]).absoluteURL
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ValidationError("workload \(arguments) failed with status \(process.terminationStatus)")
        }
        return try lastJSONObject(in: data)
    }
}

/// Parses the last line of `data` that is a JSON object.
func lastJSONObject(in data: Data) throws -> [String: Any] {
    let text = String(decoding: data, as: UTF8.self)
    for line in text.split(separator: "\n").reversed() where line.hasPrefix("{") {
        if let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] { return object }
    }
    throw ValidationError("no JSON line in output: \(text.suffix(500))")
}

/// A JSON string literal: quotes, backslashes and control characters escaped.
func quoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        default:
            if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
        }
    }
    return out + "\""
}

/// One JSON object on one line, keys sorted with "workload" first.
func jsonLine(_ fields: [String: Any]) -> String {
    func encode(_ value: Any) -> String {
        switch value {
        case let d as Double: return d.isFinite ? String(format: "%.6g", d) : "null"
        case let f as Float: return encode(Double(f))
        case let i as Int: return String(i)
        case let s as String: return quoted(s)
        case let b as Bool: return b ? "true" : "false"
        case let n as NSNumber: return n.stringValue
        default: return quoted("\(value)")
        }
    }
    let keys = fields.keys.sorted { a, b in a == "workload" ? true : b == "workload" ? false : a < b }
    return "{" + keys.map { "\"\($0)\": \(encode(fields[$0]!))" }.joined(separator: ", ") + "}"
}

/// A field of /proc/self/status in MiB (VmRSS: current resident memory, VmHWM: its peak).
func procStatusMegabytes(_ field: String) -> Double {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
        let parts = line.split(separator: " ", omittingEmptySubsequences: true)
        if parts.count >= 2, let kb = Double(parts[1]) { return kb / 1024 }
    }
    return 0
}

func peakResidentMegabytes() -> Double { procStatusMegabytes("VmHWM") }
func residentMegabytes() -> Double { procStatusMegabytes("VmRSS") }

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}
