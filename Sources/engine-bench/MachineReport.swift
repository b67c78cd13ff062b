import Foundation
import NeuralNetworks
import TensorEngine

/// What the benchmark ran on: the first JSON line of `engine-bench`, so that figures from
/// different machines can be told apart and set against the machine's own limit.
struct MachineReport {
    /// The CPU's model name (/proc/cpuinfo), e.g. "AMD EPYC" or "Intel Xeon Processor (Cooperlake)".
    var cpuModel: String
    /// The instruction set of the engine's element-wise kernels.
    var simdLevel: SIMDLevel
    /// OpenBLAS's kernel family.
    var openBLASCore: String
    /// Single-precision matrix-product speed on the engine's threads, GFLOP/s (best of five
    /// 1,024³ products through the engine's `sgemm`): the machine's practical peak.
    var sgemmGigaflops: Double

    static func measure() -> MachineReport {
        MachineReport(cpuModel: cpuModelName(), simdLevel: .current, openBLASCore: BLASThreads.openBLASCoreName,
                      sgemmGigaflops: sgemmPeak())
    }

    var json: [String: Any] {
        let env = ProcessInfo.processInfo.environment
        return ["machine": cpuModel, "simd": simdLevel.description, "openblas_core": openBLASCore,
                "openblas_coretype_env": env["OPENBLAS_CORETYPE"] ?? "", "cores": ProcessInfo.processInfo.activeProcessorCount,
                "threads": BLASThreads.current, "worker_spin_us": WorkerPool.spinMicroseconds, "sgemm_gflops": sgemmGigaflops,
                "convolution_chunk_kib": convolutionChunkFloats * 4 / 1024, "convolutions": convolutionMethod]
    }

    static func cpuModelName() -> String {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            return line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
        }
        return "unknown"
    }

    static func sgemmPeak() -> Double {
        let n = 1024
        var g = SeededGenerator(seed: 5)
        let a = Tensor.uniform(shape: [n, n], lower: -1, upper: 1, using: &g)
        let b = Tensor.uniform(shape: [n, n], lower: -1, upper: 1, using: &g)
        var c = [Float](repeating: 0, count: n * n)
        var best = 0.0
        for _ in 0..<5 {
            let start = now()
            a.scalars.withUnsafeBufferPointer { ap in
                b.scalars.withUnsafeBufferPointer { bp in
                    c.withUnsafeMutableBufferPointer { cp in
                        sgemm(transposeA: false, transposeB: false, m: n, n: n, k: n, a: ap.baseAddress!, lda: n,
                              b: bp.baseAddress!, ldb: n, c: cp.baseAddress!, ldc: n)
                    }
                }
            }
            best = max(best, 2 * Double(n * n * n) / (now() - start) / 1e9)
        }
        return best
    }
}
