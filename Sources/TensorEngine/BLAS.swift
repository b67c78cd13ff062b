import COpenBLAS
import Foundation
import Synchronization

/// The engine's thread count: OpenBLAS's threads for matrix products, and the budget of
/// the engine's own parallel loops (im2col, BatchNorm, per-sample convolutions, Adam).
///
/// OpenBLAS would otherwise start one thread per core. The engine sets the count
/// explicitly the first time it needs it: the value of the environment variable
/// `LATENTSAMPLING_BLAS_THREADS` when set, else `OPENBLAS_NUM_THREADS`, else
/// ``defaultCount`` (2). Call ``set(_:)`` to choose another count at any time.
///
/// On a machine shared with other work, also consider `OPENBLAS_THREAD_TIMEOUT=4` in the
/// environment (read when OpenBLAS loads): idle OpenBLAS workers then stop spinning
/// sooner and leave the cores to the engine's own loops.
public enum BLASThreads {
    /// The count used when no environment variable says otherwise.
    public static let defaultCount = 2

    /// The engine's thread budget, as last set (0 until configured).
    private static let budget = Atomic<Int>(0)

    /// Sets the number of threads (clamped to at least 1): OpenBLAS's thread count and the
    /// engine's own budget for its parallel loops.
    public static func set(_ count: Int) {
        _ = applyConfigured  // the environment's default first, so that it cannot override this call later
        apply(count)
    }

    private static func apply(_ count: Int) {
        let n = Swift.max(1, count)
        budget.store(n, ordering: .relaxed)
        openblas_set_num_threads(Int32(n))
    }

    /// The engine's thread budget (what ``set(_:)`` or the environment chose).
    public static var current: Int {
        _ = applyConfigured
        return budget.load(ordering: .relaxed)
    }

    /// The number of threads OpenBLAS itself is using right now (1 inside sections where
    /// the engine runs single-threaded products side by side).
    public static var openBLASCount: Int { Int(openblas_get_num_threads()) }

    /// Runs `body(threads)` with OpenBLAS single-threaded and the budget passed in, so that
    /// the caller can run `threads` products side by side; OpenBLAS is then set back to
    /// the budget. Concurrent sections from several tasks stay correct (they may only run
    /// some products multi-threaded), and the budget is always what is restored.
    static func withSingleThreadedProducts<R>(_ body: (Int) -> R) -> R {
        let threads = current
        if threads > 1 { openblas_set_num_threads(1) }
        defer { if threads > 1 { openblas_set_num_threads(Int32(budget.load(ordering: .relaxed))) } }
        return body(threads)
    }

    /// The count chosen from the environment, or ``defaultCount``.
    public static var configuredCount: Int {
        let env = ProcessInfo.processInfo.environment
        for key in ["LATENTSAMPLING_BLAS_THREADS", "OPENBLAS_NUM_THREADS"] {
            if let text = env[key], let n = Int(text), n > 0 { return n }
        }
        return defaultCount
    }

    /// Applies ``configuredCount`` once per process (thread-safe: a Swift `static let`
    /// initializer runs exactly once).
    static let applyConfigured: Void = { apply(configuredCount) }()
}

/// Row-major single-precision matrix product through `cblas_sgemm`:
/// `C = alpha · op(A) · op(B) + beta · C`, with `op(A)` of size m×k and `op(B)` k×n.
///
/// `lda`, `ldb`, `ldc` are the row strides of the stored (untransposed) matrices.
@inline(__always)
public func sgemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    _ = BLASThreads.applyConfigured
    if m == 0 || n == 0 { return }
    if k == 0 {
        // C = beta · C; BLAS may skip this, so do it here.
        for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
        return
    }
    cblas_sgemm(
        CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}
