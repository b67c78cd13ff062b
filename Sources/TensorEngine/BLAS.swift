import COpenBLAS
import Foundation
import Synchronization

/// The engine's thread count: how many threads its matrix products and its own loops
/// (im2col, BatchNorm, convolutions, Adam) use.
///
/// OpenBLAS itself always runs single-threaded: the engine splits every large product
/// into one slice per thread and runs the slices side by side (see ``sgemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``).
/// One pool of threads then does all the work, and OpenBLAS's own workers, which would
/// otherwise spin between calls and take the cores from the engine's loops, never start.
///
/// The count is set the first time it is needed: the value of the environment variable
/// `LATENTSAMPLING_BLAS_THREADS` when set, else `OPENBLAS_NUM_THREADS`, else
/// ``defaultCount`` (2). Call ``set(_:)`` to choose another count at any time.
public enum BLASThreads {
    /// The count used when no environment variable says otherwise.
    public static let defaultCount = 2

    /// The engine's thread budget, as last set (0 until configured).
    private static let budget = Atomic<Int>(0)

    /// Sets the number of threads (clamped to at least 1) that the engine's products and
    /// loops use.
    public static func set(_ count: Int) {
        _ = applyConfigured  // the environment's default first, so that it cannot override this call later
        apply(count)
    }

    private static func apply(_ count: Int) {
        budget.store(Swift.max(1, count), ordering: .relaxed)
        openblas_set_num_threads(1)
    }

    /// The engine's thread budget (what ``set(_:)`` or the environment chose).
    public static var current: Int {
        _ = applyConfigured
        return budget.load(ordering: .relaxed)
    }

    /// The number of threads OpenBLAS itself uses for one call (always 1: the engine
    /// parallelizes around it).
    public static var openBLASCount: Int { Int(openblas_get_num_threads()) }

    /// The kernel family OpenBLAS chose for this CPU (e.g. "Haswell", "Zen", "SkylakeX"),
    /// or the one forced by the environment variable OPENBLAS_CORETYPE.
    public static var openBLASCoreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
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

/// Multiply–adds (m·n·k) below which a product runs on one thread: splitting it would
/// cost more in thread wake-ups than it saves.
let parallelProductThreshold = 1 << 19

/// Row-major single-precision matrix product through `cblas_sgemm`:
/// `C = alpha · op(A) · op(B) + beta · C`, with `op(A)` of size m×k and `op(B)` k×n.
///
/// `lda`, `ldb`, `ldc` are the row strides of the stored (untransposed) matrices. Large
/// products are split along the longer of m and n into ``BLASThreads/current`` slices
/// that run concurrently (each a single-threaded OpenBLAS call); do not call this from
/// code that already runs on several threads (use ``serialSgemm`` there).
@inline(__always)
public func sgemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    let threads = BLASThreads.current
    guard threads > 1, m * n * k >= parallelProductThreshold, Swift.max(m, n) >= 32 * threads else {
        serialSgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                    a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        return
    }
    // Slice boundaries on multiples of 16 (whole micro-kernel panels).
    let splitColumns = n >= m
    let length = splitColumns ? n : m
    let panels = (length + 15) / 16
    concurrentBlocks(threads, costPerBlock: parallelProductThreshold) { part in
        let lo = Swift.min(length, panels * part / threads * 16)
        let hi = Swift.min(length, panels * (part + 1) / threads * 16)
        if lo >= hi { return }
        if splitColumns {
            serialSgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: hi - lo, k: k, alpha: alpha,
                        a: a, lda: lda, b: transposeB ? b + lo * ldb : b + lo, ldb: ldb,
                        beta: beta, c: c + lo, ldc: ldc)
        } else {
            serialSgemm(transposeA: transposeA, transposeB: transposeB, m: hi - lo, n: n, k: k, alpha: alpha,
                        a: transposeA ? a + lo : a + lo * lda, lda: lda, b: b, ldb: ldb,
                        beta: beta, c: c + lo * ldc, ldc: ldc)
        }
    }
}

/// ``sgemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)`` on the calling
/// thread only: for products inside loops that are already spread over the engine's threads.
@inline(__always)
public func serialSgemm(
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
