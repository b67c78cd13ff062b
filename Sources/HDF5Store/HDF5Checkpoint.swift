import CHDF5
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Publishes consistent snapshots of a privately written HDF5 file at its public path.
///
/// HDF5 rewrites metadata in place, so a file open for writing is not a valid file
/// between flushes, and a process killed mid-write leaves it unreadable ("bad object
/// header version number", "truncated file"). A checkpointed file therefore never
/// writes to its public path directly: the program writes to a working copy that is
/// unlinked as soon as it is open (a kill leaves nothing behind), and each
/// ``HDF5Object/checkpoint()`` flushes HDF5's caches, copies the working file's bytes
/// to `<path>.publishing`, fsyncs it, renames it over `<path>` (atomic on POSIX file
/// systems) and fsyncs the folder. At any instant `<path>` is either the previous or
/// the new snapshot, each a complete HDF5 file.
///
/// `@unchecked Sendable`: its mutable state (the statistics) changes only while the
/// process-wide HDF5 lock is held.
final class CheckpointPublisher: @unchecked Sendable {
    /// The public path snapshots are published at.
    let publishedPath: String
    /// A read-only descriptor of the (unlinked) working copy.
    private let workingDescriptor: Int32
    /// The descriptor of `<path>.lock`, holding an exclusive `flock` while the file is open
    /// for writing (HDF5's own lock would sit on the private copy and exclude nobody).
    private let lockDescriptor: Int32
    /// Checkpoints published so far, their total seconds, and the size of the last one.
    private(set) var statistics = HDF5CheckpointStatistics()

    init(publishedPath: String, workingDescriptor: Int32, lockDescriptor: Int32) {
        self.publishedPath = publishedPath
        self.workingDescriptor = workingDescriptor
        self.lockDescriptor = lockDescriptor
    }

    deinit {
        close(workingDescriptor)
        close(lockDescriptor)  // releases the lock
    }

    /// The path of the lock file beside the published file (empty; it stays).
    static func lockPath(_ path: String) -> String { path + ".lock" }

    /// How long a contended lock is retried before the open is refused, in seconds.
    ///
    /// A `flock` belongs to the open file description, which a child process shares from
    /// `fork` until its `exec` closes the descriptor (`O_CLOEXEC`). A writer that closes its
    /// file while another thread of the same process is spawning a program can therefore see
    /// its own lock held for a moment longer; a short wait absorbs that, while a real second
    /// writer (which holds the lock for its whole run) is still refused.
    static let contendedLockWait = 0.5

    /// Takes the exclusive lock of `path` for writing, or throws when another writer holds it
    /// (after waiting up to ``contendedLockWait`` seconds for it to go).
    static func lock(_ path: String) throws -> Int32 {
        let descriptor = open(lockPath(path), O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw HDF5Error.ioFailure(file: path, operation: "open \(lockPath(path))", detail: String(cString: strerror(errno)))
        }
        let pause: useconds_t = 10_000
        var waited = 0.0
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            if code == EINTR { continue }
            if code == EWOULDBLOCK && waited < contendedLockWait {
                usleep(pause)
                waited += Double(pause) / 1e6
                continue
            }
            let reason = code == EWOULDBLOCK ? "another process (or handle) has it open for writing" : String(cString: strerror(code))
            close(descriptor)
            throw HDF5Error.cannotOpenFile(file: path, libraryMessage: "\(reason) (lock \(lockPath(path)))")
        }
        return descriptor
    }

    /// Seconds to wait between writing a snapshot and renaming it, from the environment
    /// variable `HDF5STORE_CHECKPOINT_PAUSE` (0 when unset). For crash tests only: it
    /// widens the window in which a kill lands inside a checkpoint.
    static let pauseSeconds: Double = {
        guard let text = ProcessInfo.processInfo.environment["HDF5STORE_CHECKPOINT_PAUSE"],
              let value = Double(text), value.isFinite, value > 0 else { return 0 }
        return min(value, 10)
    }()

    /// The path of the temporary copy that is renamed over the published file.
    static func publishingPath(_ path: String) -> String { path + ".publishing" }
    /// The path the working copy has while it is being opened (then it is unlinked).
    static func workingPath(_ path: String) -> String { path + ".working" }

    /// Copies the working file to `<path>.publishing`, fsyncs it, and renames it over
    /// `<path>`. Call under the HDF5 lock, right after `H5Fflush`.
    func publish() throws {
        let start = DispatchTime.now().uptimeNanoseconds
        let temporary = Self.publishingPath(publishedPath)
        let bytes = try Self.copy(from: workingDescriptor, to: temporary, reportedAs: publishedPath)
        if Self.pauseSeconds > 0 { usleep(useconds_t(Self.pauseSeconds * 1e6)) }
        guard rename(temporary, publishedPath) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw HDF5Error.ioFailure(file: publishedPath, operation: "rename", detail: reason)
        }
        Self.syncFolder(of: publishedPath)
        statistics.count += 1
        statistics.bytes = bytes
        statistics.seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// Copies every byte of `source` to a new file at `destination` and fsyncs it.
    ///
    /// - Returns: the number of bytes copied.
    static func copy(from source: Int32, to destination: String, reportedAs file: String) throws -> Int {
        func failure(_ operation: String) -> HDF5Error {
            .ioFailure(file: file, operation: operation, detail: String(cString: strerror(errno)))
        }
        let output = open(destination, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw failure("open \(destination)") }
        var completed = false
        defer {
            close(output)
            if !completed { unlink(destination) }
        }
        let chunk = 1 << 20
        var buffer = [UInt8](repeating: 0, count: chunk)
        var offset: off_t = 0
        while true {
            let read = buffer.withUnsafeMutableBytes { pread(source, $0.baseAddress, chunk, offset) }
            if read < 0 {
                if errno == EINTR { continue }
                throw failure("read")
            }
            if read == 0 { break }
            var written = 0
            while written < read {
                let n = buffer.withUnsafeBytes { write(output, $0.baseAddress! + written, read - written) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw failure("write \(destination)")
                }
                written += n
            }
            offset += off_t(read)
        }
        guard fsync(output) == 0 else { throw failure("fsync \(destination)") }
        completed = true
        return Int(offset)
    }

    /// Fsyncs the folder holding `path`, so a rename in it survives a power loss.
    static func syncFolder(of path: String) {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let descriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        close(descriptor)
    }
}

/// What the checkpoints of a checkpointed file have cost so far.
public struct HDF5CheckpointStatistics: Sendable, Hashable {
    /// Checkpoints published.
    public var count = 0
    /// Seconds spent in them (flush, copy, fsync, rename), in total.
    public var seconds = 0.0
    /// The size in bytes of the last published snapshot.
    public var bytes = 0

    /// No checkpoints yet.
    public init() {}

    /// The mean seconds per checkpoint, or 0 before the first.
    public var meanSeconds: Double { count == 0 ? 0 : seconds / Double(count) }
}

extension HDF5File {
    /// Opens or creates the HDF5 file at `path` for crash-safe writing by checkpoints.
    ///
    /// Writes go to a private working copy (an existing file is copied first, so
    /// opening costs one copy); `path` only ever changes by atomic replacement with a
    /// consistent snapshot, at each ``HDF5Object/checkpoint()``. A process killed at any
    /// instant (SIGKILL, the OOM killer, a power loss) therefore leaves `path` exactly
    /// as of its last checkpoint, and nothing else behind. Unlike a plain file, the
    /// published file can be read (h5dump, h5py) while the program runs.
    ///
    /// With ``Mode/truncate`` the working copy starts empty and `path` keeps its old
    /// content (or stays absent) until the first checkpoint. ``Mode/readOnly`` opens
    /// `path` itself, as ``init(path:mode:)`` does.
    ///
    /// Only one process (and one handle) may have `path` open this way at a time: an
    /// exclusive `flock` on `<path>.lock` (an empty file that stays beside it) is held
    /// until the file's last handle closes. Error messages name `path`, not the working copy.
    ///
    /// - Throws: ``HDF5Error/fileNotFound(file:)``, ``HDF5Error/cannotOpenFile(file:libraryMessage:)``
    ///   when `path` is not a valid HDF5 file or another writer holds it, or ``HDF5Error/ioFailure(file:operation:detail:)``
    ///   when the working copy cannot be made.
    public convenience init(checkpointedAt path: String, mode: Mode) throws {
        guard mode != .readOnly else {
            try self.init(path: path, mode: .readOnly)
            return
        }
        if mode == .readWrite, !FileManager.default.fileExists(atPath: path) {
            throw HDF5Error.fileNotFound(file: path)
        }
        // One writer at a time: the lock is released when the file's last handle closes.
        let lock = try CheckpointPublisher.lock(path)
        var locked = true
        defer { if locked { close(lock) } }
        let working = CheckpointPublisher.workingPath(path)
        unlink(working)  // left by a process killed while opening
        unlink(CheckpointPublisher.publishingPath(path))  // left by a process killed while publishing
        if mode == .readWrite {
            let source = open(path, O_RDONLY | O_CLOEXEC)
            guard source >= 0 else {
                throw HDF5Error.ioFailure(file: path, operation: "open", detail: String(cString: strerror(errno)))
            }
            defer { close(source) }
            _ = try CheckpointPublisher.copy(from: source, to: working, reportedAs: path)
        }
        defer { unlink(working) }  // HDF5 keeps its own descriptor; the name is not needed again
        let descriptor = open(working, mode == .readWrite ? (O_RDONLY | O_CLOEXEC) : (O_RDWR | O_CREAT | O_CLOEXEC), 0o644)
        guard descriptor >= 0 else {
            throw HDF5Error.ioFailure(file: path, operation: "open \(working)", detail: String(cString: strerror(errno)))
        }
        let publisher = CheckpointPublisher(publishedPath: path, workingDescriptor: descriptor, lockDescriptor: lock)
        locked = false  // the publisher owns the lock from here
        try self.init(path: working, mode: mode, site: HDF5Site(file: path, object: "/", publisher: publisher))
    }

    /// What this file's checkpoints have cost so far (all zero for a file not opened
    /// with ``init(checkpointedAt:mode:)``).
    public var checkpointStatistics: HDF5CheckpointStatistics {
        HDF5Library.withLock { site.publisher?.statistics ?? HDF5CheckpointStatistics() }
    }

    /// Whether the file was opened with ``init(checkpointedAt:mode:)``.
    public var isCheckpointed: Bool { site.publisher != nil }
}

extension HDF5Object {
    /// Makes everything written to the file so far durable.
    ///
    /// For a file opened with ``HDF5File/init(checkpointedAt:mode:)``: flushes HDF5's
    /// caches and atomically replaces the published file with the resulting consistent
    /// snapshot (see there). For any other file: flushes to disk, which does not
    /// protect against a kill during a later write. Does nothing for read-only files.
    public func checkpoint() throws {
        guard isWritable else { return }
        let id = handle.id, site = site
        try HDF5Library.withLock {
            try site.check(H5Fflush(id, H5F_SCOPE_GLOBAL), "H5Fflush")
            try site.publisher?.publish()
        }
    }
}
