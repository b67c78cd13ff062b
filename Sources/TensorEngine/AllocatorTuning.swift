#if os(Linux)
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif

/// Process-wide allocator settings for training loops.
///
/// A training step allocates and frees the same large activation buffers over and over.
/// glibc serves allocations above its mmap threshold with fresh `mmap`s and returns them
/// on `free`, so every step pays page faults and kernel zeroing (seen as system time).
/// ``retainFreedBuffers()`` raises the mmap and trim thresholds to 1 GiB so freed buffers
/// stay in the heap and are reused. Resident memory then stays at the step's peak instead
/// of dropping between steps. No effect on other platforms.
public enum AllocatorTuning {
    /// Keeps freed large buffers in the process heap for reuse (glibc `mallopt`
    /// M_MMAP_THRESHOLD and M_TRIM_THRESHOLD = 1 GiB). Returns whether it took effect.
    @discardableResult
    public static func retainFreedBuffers() -> Bool {
        #if os(Linux)
        let mmapThreshold: Int32 = -3, trimThreshold: Int32 = -1
        return glibcMallopt(mmapThreshold, 1 << 30) == 1 && glibcMallopt(trimThreshold, 1 << 30) == 1
        #else
        return false
        #endif
    }
}
