import CTensorKernels
import Dispatch

/// Splits `0..<count` into up to ``BLASThreads/current`` contiguous ranges and runs `body`
/// on them concurrently (the engine's own loops — im2col, col2im, normalization — use the
/// same thread budget as the matrix products). Runs inline when `count · costPerItem` is
/// small or only one thread is configured.
///
/// The ranges run on the engine's worker pool (``WorkerPool``): range 0 on the calling
/// thread, the others on workers that spin briefly between loops instead of sleeping, so a
/// training step's few hundred short loops start without a wake-up each. When the pool is
/// busy (a loop inside a loop, or a second thread using the engine at the same time) they run
/// on Dispatch's threads instead.
@inline(__always)
func parallelRanges(
    _ count: Int, costPerItem: Int, threads available: Int = BLASThreads.current, _ body: (Range<Int>) -> Void
) {
    let threads = Swift.min(available, count)
    if threads <= 1 || count * costPerItem < 65_536 {
        body(0..<count)
        return
    }
    withoutActuallyEscaping(body) { body in
        var job = RangeJob(count: count, threads: threads, body: body)
        let ran = withUnsafeMutablePointer(to: &job) { ck_pool_run(threads, runRangeShare, $0) }
        if ran != 0 {  // the pool is busy (a nested loop, or another thread's): Dispatch's threads
            let box = UncheckedBox(job)
            DispatchQueue.concurrentPerform(iterations: threads) { box.value.runShare($0) }
        }
    }
}

/// `0..<count` cut into `threads` contiguous shares; share t runs `body` on its range.
private struct RangeJob {
    let count: Int, threads: Int
    let body: (Range<Int>) -> Void

    func runShare(_ t: Int) {
        let lo = count * t / threads, hi = count * (t + 1) / threads
        if lo < hi { body(lo..<hi) }
    }
}

/// The worker pool's entry point for a ``RangeJob``.
private let runRangeShare: @convention(c) (UnsafeMutableRawPointer?, Int) -> Void = { context, t in
    context!.assumingMemoryBound(to: RangeJob.self).pointee.runShare(t)
}

/// The engine's worker threads (`ck_pool_run` in CTensorKernels), which run the shares of
/// every parallel loop after the first.
///
/// After finishing a share, a worker spins for ``spinMicroseconds`` before it sleeps: a
/// training step separates its parallel loops by short serial stretches, and a sleeping
/// worker would need a wake-up (tens of microseconds in a virtual machine) at every loop.
/// The spinning shows as CPU time, not as lost wall-clock time; set it to 0 where another
/// process needs the cores between the engine's loops.
public enum WorkerPool {
    /// Microseconds an idle worker spins before it sleeps (default 200; 0: sleep at once).
    public static var spinMicroseconds: Int {
        get { Int(ck_pool_spin_microseconds()) }
        set { ck_pool_set_spin_microseconds(newValue) }
    }
}

/// Carries a non-Sendable closure into `concurrentPerform`; callers guarantee that the
/// ranges they hand out touch disjoint memory.
private struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

// MARK: Blocked reductions
//
// Sums of Float data are taken in Float lanes over blocks of 256 values (CTensorKernels:
// 8 lanes, or 2 × 8 with AVX2), and the block sums are accumulated in Double: as accurate
// as a Double loop for the sizes met here (error ≈ 32·2⁻²⁴ relative per block), but
// vectorized.

/// Σ p[i], i < count.
@inline(__always)
func blockedSum(_ p: UnsafePointer<Float>, count: Int) -> Double { ck_sum(p, count) }

/// Σ (p[i] − center)², i < count.
@inline(__always)
func blockedSquaredDeviations(_ p: UnsafePointer<Float>, count: Int, center: Float) -> Double {
    ck_squared_deviations(p, center, count)
}

/// (Σ g[i], Σ g[i]·(x[i] − center)), i < count.
@inline(__always)
func blockedSumAndCenteredDot(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, count: Int, center: Float) -> (Double, Double) {
    var sum = 0.0, dot = 0.0
    ck_sum_and_centered_dot(g, x, center, count, &sum, &dot)
    return (sum, dot)
}

/// Splits `0..<count` element ranges of a large array over the engine's threads
/// (inline below 65,536 elements). For element-wise updates such as optimizer steps.
public func parallelElementRanges(_ count: Int, _ body: (Range<Int>) -> Void) {
    parallelRanges(count, costPerItem: 1) { body($0) }
}

/// Splits `0..<count` into `parts` contiguous shares that run concurrently (inline when
/// `parts` is 1) and walks each share in order, in blocks of at most `blockSize`:
/// `body(part, block)`. Parts must write disjoint memory.
func forEachBlock(of count: Int, parts: Int, blockSize: Int, _ body: (Int, Range<Int>) -> Void) {
    concurrentBlocks(parts, costPerBlock: parts > 1 ? parallelProductThreshold : 0) { part in
        let hi = count * (part + 1) / parts
        var lo = count * part / parts
        while lo < hi {
            let end = Swift.min(hi, lo + blockSize)
            body(part, lo..<end)
            lo = end
        }
    }
}

/// Runs `body(block)` for every block in `0..<blocks`, spread over the engine's threads
/// when `blocks · costPerBlock` (≈ element operations) makes it worthwhile. Blocks must
/// write disjoint memory.
public func concurrentBlocks(_ blocks: Int, costPerBlock: Int, _ body: (Int) -> Void) {
    parallelRanges(blocks, costPerItem: costPerBlock) { range in
        for block in range { body(block) }
    }
}
