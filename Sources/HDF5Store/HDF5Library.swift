import CHDF5
import Synchronization

/// Serializes every call into the HDF5 C library.
///
/// Debian's serial HDF5 is built without its thread-safety option, so two threads
/// inside the library at once can corrupt its global state. Every entry point of
/// this module runs its C calls inside ``HDF5Library/withLock(_:)``; concurrent
/// Swift tasks that read and write HDF5 files are therefore safe, at the cost of
/// running their HDF5 calls one at a time.
enum HDF5Library {
    /// One lock for the whole process: HDF5's state is process-global.
    private static let lock = Mutex<Bool>(false)

    /// Runs `body` while holding the process-wide HDF5 lock.
    ///
    /// The first caller also turns off HDF5's automatic printing of error stacks to
    /// stderr: this module reports HDF5's messages inside thrown errors instead.
    static func withLock<R>(_ body: () throws -> R) rethrows -> R {
        try lock.withLock { initialized in
            if !initialized {
                _ = H5open()
                _ = H5Eset_auto2(ls_h5e_default(), nil, nil)
                initialized = true
            }
            return try body()
        }
    }
}
