import CHDF5
import Synchronization

/// Serializes every call into the HDF5 C library.
///
/// HDF5 builds without the thread-safety option corrupt their global state when two
/// threads are inside the library at once (Debian 12's build has the option, others
/// may not). Every entry point of this module runs its C calls inside
/// ``HDF5Library/withLock(_:)``; concurrent Swift tasks that read and write HDF5 files
/// are therefore safe with any build, at the cost of running their HDF5 calls one at
/// a time. A sequence of calls under one lock (e.g. extend a dataset, then write the
/// new rows) is also atomic with respect to other tasks.
///
/// The lock is **not recursive**. Code inside a locked body calls only the
/// module's unlocked helpers (functions taking raw `hid_t`s) and never releases
/// a ``HDF5Handle`` (whose `deinit` takes the lock): handles are wrapped only
/// after the locked body has returned.
enum HDF5Library {
    /// One lock for the whole process: HDF5's state is process-global.
    private static let lock = Mutex<Bool>(false)

    /// Runs `body` while holding the process-wide HDF5 lock.
    ///
    /// It also turns off HDF5's automatic printing of error stacks to stderr: this
    /// module reports HDF5's messages inside thrown errors instead. In thread-safe
    /// builds that setting (like the error stack) is per thread, and Swift tasks hop
    /// between threads, so it is set on every entry (a cheap call).
    static func withLock<R>(_ body: () throws -> R) rethrows -> R {
        try lock.withLock { initialized in
            if !initialized {
                _ = H5open()
                initialized = true
            }
            _ = H5Eset_auto2(ls_h5e_default(), nil, nil)
            return try body()
        }
    }

    /// One entry of HDF5's error stack, with its messages resolved to text.
    struct StackEntry {
        var major: String
        var minor: String
        var description: String
        var function: String
    }

    /// Reads HDF5's current error stack, innermost entry first.
    ///
    /// Call only while holding the lock, and immediately after the failing call:
    /// the next library call clears the stack.
    static func currentErrorStack() -> [StackEntry] {
        var entries: [StackEntry] = []
        withUnsafeMutablePointer(to: &entries) { pointer in
            _ = H5Ewalk2(ls_h5e_default(), H5E_WALK_UPWARD, { _, error, clientData in
                guard let error, let clientData else { return 0 }
                let list = clientData.assumingMemoryBound(to: [StackEntry].self)
                let entry = error.pointee
                list.pointee.append(StackEntry(
                    major: HDF5Library.message(for: entry.maj_num),
                    minor: HDF5Library.message(for: entry.min_num),
                    description: entry.desc.map { String(cString: $0) } ?? "",
                    function: entry.func_name.map { String(cString: $0) } ?? ""))
                return 0
            }, pointer)
        }
        return entries
    }

    /// HDF5's text for an error-message id (`H5Eget_msg`), or "" if it has none.
    private static func message(for id: hid_t) -> String {
        let length = H5Eget_msg(id, nil, nil, 0)
        guard length > 0 else { return "" }
        var buffer = [CChar](repeating: 0, count: Int(length) + 1)
        _ = H5Eget_msg(id, nil, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// HDF5's own explanation of the last failure, innermost cause first, e.g.
    /// `"File accessibility / Unable to open file: unable to open file: name = 'x.h5' ... (in H5FD_sec2_open)"`.
    ///
    /// Call only while holding the lock, immediately after the failing call.
    static func lastErrorMessage() -> String {
        let stack = currentErrorStack()
        guard let innermost = stack.first else { return "no message on HDF5's error stack" }
        var text = "\(innermost.major) / \(innermost.minor): \(innermost.description) (in \(innermost.function))"
        if stack.count > 1, let outermost = stack.last {
            text += "; reported by \(outermost.function): \(outermost.description)"
        }
        return text
    }
}
