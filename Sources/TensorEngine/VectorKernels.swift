import CTensorKernels

/// The instruction set the engine's element-wise kernels use, chosen once at start-up
/// from the CPU's features (CTensorKernels dispatches on it; matrix products are
/// OpenBLAS's, which chooses its own kernels).
public enum SIMDLevel: Int, Sendable, CaseIterable, CustomStringConvertible {
    /// Baseline x86-64 (SSE2), or a CPU of another architecture.
    case baseline = 0
    /// AVX2 with fused multiply–add (x86-64-v3: Intel since Haswell, AMD since Zen).
    case avx2FMA = 1

    /// The level in use.
    public static var current: SIMDLevel { SIMDLevel(rawValue: Int(ck_simd_level())) ?? .baseline }

    /// The best level this CPU supports.
    public static var supported: SIMDLevel { SIMDLevel(rawValue: Int(ck_simd_level_supported())) ?? .baseline }

    /// Uses `level`, or the best supported level below it, and returns the level now in use.
    /// For tests and benchmarks that compare the two paths; call it while no kernel runs.
    @discardableResult
    public static func use(_ level: SIMDLevel) -> SIMDLevel {
        SIMDLevel(rawValue: Int(ck_set_simd_level(Int32(level.rawValue)))) ?? .baseline
    }

    /// "avx2+fma" or "sse2".
    public var description: String {
        switch self {
        case .baseline: "sse2"
        case .avx2FMA: "avx2+fma"
        }
    }
}

/// Element-wise kernels on raw buffers, for layers, losses and optimizers built on the
/// engine. Each runs the AVX2 + FMA version where the CPU has it (``SIMDLevel``).
public enum VectorKernels {
    /// One Adam step in place (PyTorch's update, L2 weight decay `l2` added to g):
    /// m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², θ ← θ − stepSize·m / (√v·inverseSqrtCorrection2 + ε).
    @inline(__always)
    public static func adamStep(
        theta: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>,
        firstMoment: UnsafeMutablePointer<Float>, secondMoment: UnsafeMutablePointer<Float>, count: Int,
        beta1: Float, beta2: Float, l2: Float, stepSize: Float, inverseSqrtCorrection2: Float, epsilon: Float
    ) {
        ck_adam(theta, gradient, firstMoment, secondMoment, count, beta1, beta2, l2, stepSize,
                inverseSqrtCorrection2, epsilon)
    }

    /// Σ max(x, 0) − x·t + log(1 + e^(−|x|)) over `count` logits x and targets t (the binary
    /// cross-entropy terms, summed in Float lanes), writing σ(x) to `sigmoid`.
    @inline(__always)
    public static func binaryCrossEntropyTerms(
        logits: UnsafePointer<Float>, targets: UnsafePointer<Float>, sigmoid: UnsafeMutablePointer<Float>, count: Int
    ) -> Float {
        ck_bce_logits(logits, targets, sigmoid, count)
    }

    /// d = factor·(a − b).
    @inline(__always)
    public static func scaledDifference(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, factor: Float, into d: UnsafeMutablePointer<Float>, count: Int
    ) {
        ck_scaled_difference(a, b, factor, d, count)
    }
}

// MARK: Tensor-level helpers used inside the engine

/// out = op(a, b) element by element through a C kernel, split over the engine's threads
/// for large tensors.
@inline(__always)
func binaryKernel(
    _ a: Tensor, _ b: Tensor, _ kernel: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void
) -> Tensor {
    precondition(a.shape == b.shape, "element-wise operation: shapes \(a.shape) and \(b.shape) differ")
    var out = uninitializedFloats(a.count)
    a.scalars.withUnsafeBufferPointer { ap in
        b.scalars.withUnsafeBufferPointer { bp in
            out.withUnsafeMutableBufferPointer { op in
                let (x, y, z) = (ap.baseAddress!, bp.baseAddress!, op.baseAddress!)
                parallelElementRanges(ap.count) { r in kernel(x + r.lowerBound, y + r.lowerBound, z + r.lowerBound, r.count) }
            }
        }
    }
    return Tensor(shape: a.shape, scalars: out)
}

/// out = op(a) element by element through a C kernel, split over the engine's threads.
@inline(__always)
func unaryKernel(_ a: Tensor, _ kernel: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void) -> Tensor {
    var out = uninitializedFloats(a.count)
    a.scalars.withUnsafeBufferPointer { ap in
        out.withUnsafeMutableBufferPointer { op in
            let (x, z) = (ap.baseAddress!, op.baseAddress!)
            parallelElementRanges(ap.count) { r in kernel(x + r.lowerBound, z + r.lowerBound, r.count) }
        }
    }
    return Tensor(shape: a.shape, scalars: out)
}
