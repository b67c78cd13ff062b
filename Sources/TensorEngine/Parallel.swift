import Dispatch

/// Splits `0..<count` into up to ``BLASThreads/current`` contiguous ranges and runs `body`
/// on them concurrently (the engine's own loops — im2col, col2im, normalization — use the
/// same thread budget as the matrix products). Runs inline when `count · costPerItem` is
/// small or only one thread is configured.
@inline(__always)
func parallelRanges(
    _ count: Int, costPerItem: Int, threads available: Int = BLASThreads.current, _ body: (Range<Int>) -> Void
) {
    let threads = Swift.min(available, count)
    if threads <= 1 || count * costPerItem < 32_768 {
        body(0..<count)
        return
    }
    withoutActuallyEscaping(body) { body in
        let box = UncheckedBox(body)
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            let lo = count * t / threads, hi = count * (t + 1) / threads
            if lo < hi { box.value(lo..<hi) }
        }
    }
}

/// Carries a non-Sendable closure into `concurrentPerform`; callers guarantee that the
/// ranges they hand out touch disjoint memory.
private struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
