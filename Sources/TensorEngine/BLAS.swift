import COpenBLAS
import Foundation

/// The number of threads OpenBLAS uses for matrix products.
///
/// OpenBLAS would otherwise start one thread per core. The engine sets the count
/// explicitly the first time it multiplies matrices: the value of the environment
/// variable `LATENTSAMPLING_BLAS_THREADS` when set, else `OPENBLAS_NUM_THREADS`, else
/// ``defaultCount`` (2). Call ``set(_:)`` to choose another count at any time.
public enum BLASThreads {
    /// The count used when no environment variable says otherwise.
    public static let defaultCount = 2

    /// Sets the number of OpenBLAS threads (clamped to at least 1).
    public static func set(_ count: Int) {
        openblas_set_num_threads(Int32(Swift.max(1, count)))
    }

    /// The number of threads OpenBLAS currently uses.
    public static var current: Int { Int(openblas_get_num_threads()) }

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
    static let applyConfigured: Void = { set(configuredCount) }()
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
