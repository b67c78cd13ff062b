/// # HDF5Store
///
/// Reading and writing plain HDF5 files (readable by h5py, h5dump, MATLAB, ...) from
/// Swift: groups, n-dimensional numeric datasets, attributes, chunked and
/// deflate-compressed storage, datasets that grow along their first axis, and partial
/// reads of row slabs. It wraps the serial HDF5 C library (Debian `libhdf5-dev`).
///
/// ## Usage
///
/// ```swift
/// // Write: a growing training set with its provenance.
/// let file = try HDF5File(path: "train.h5", mode: .truncate)
/// try file.setAttribute("source", "VasFEM")
/// let masks = try file.createDataset("data/masks", of: UInt8.self, shape: [0, 64, 64],
///                                    compressionLevel: 4, extendible: true)
/// try masks.append(batch, shape: [16, 64, 64])          // batch: [UInt8], 16·64·64 values
/// let stress = try file.createDataset("data/stress", values: maps, shape: [16, 64, 64])
/// try stress.setAttribute("units", "kPa")
/// try stress.setAttribute("pressures", [80.0, 120.0])
///
/// // Read: whole datasets or slabs of rows.
/// let input = try HDF5File(path: "train.h5", mode: .readOnly)
/// let ds = try input.dataset("data/masks")
/// let shape = try ds.shape                               // [16, 64, 64]
/// let firstTwo = try ds.read(as: UInt8.self, rows: 0..<2) // 2·64·64 values, row-major
/// let units = try input.dataset("data/stress").stringAttribute("units")
/// ```
///
/// ## Rules
///
/// - Values are flat Swift arrays in row-major (C) order, as in NumPy.
/// - Types are never converted implicitly: ``HDF5Scalar`` types (`Float`, `Double`,
///   `Int32`, `Int64`/`Int`, `UInt8`) must match the stored element type. Only the
///   attribute readers ``HDF5Object/doubleAttribute(_:)`` and ``HDF5Object/intAttribute(_:)``
///   widen exactly (float32 → Double, int32/uint8 → Int).
/// - Compressed datasets are chunked and use shuffle + deflate (gzip), which h5py reads as is.
/// - Every failure throws ``HDF5Error``, naming the file, the object and, where the C
///   library failed, HDF5's own message.
/// - All types are `Sendable`; HDF5 calls from any number of tasks are serialized by one
///   process-wide lock (the serial library is not thread-safe), so concurrent use is
///   safe but not parallel.
/// - Crash safety: a file opened with ``HDF5File/init(checkpointedAt:mode:)`` is written
///   through a private copy, and each ``HDF5Object/checkpoint()`` replaces the file at its
///   path atomically with a consistent snapshot, so a process killed at any instant leaves
///   the last checkpoint (a plain file killed mid-write is often unreadable).
/// - Handles close themselves when released. A file stays open while any of its
///   groups or datasets is alive; release them all before another program (h5py)
///   opens the file, since HDF5 locks open files.
import CHDF5
import Foundation

/// An HDF5 file, open for reading or writing; also its root group (`"/"`).
///
/// The file is closed when this value and every group and dataset taken from it
/// have been released. Call ``flush()`` to push buffered writes to disk earlier.
public final class HDF5File: HDF5Group, @unchecked Sendable {
    /// How a file is opened.
    public enum Mode: Sendable, Hashable {
        /// Open an existing file for reading only; writes throw ``HDF5Error/readOnlyFile(file:object:)``.
        case readOnly
        /// Open an existing file for reading and writing.
        case readWrite
        /// Create the file, replacing any existing file at the path, and open it for reading and writing.
        case truncate
    }

    /// The mode the file was opened with.
    public let mode: Mode

    /// Opens or creates the HDF5 file at `path`.
    ///
    /// Throws ``HDF5Error/fileNotFound(file:)`` if the file is missing (``Mode/readOnly``,
    /// ``Mode/readWrite``) and ``HDF5Error/cannotOpenFile(file:libraryMessage:)`` if it is
    /// not a valid HDF5 file (corrupt or truncated), is locked, or cannot be created.
    public convenience init(path: String, mode: Mode = .readOnly) throws {
        try self.init(path: path, mode: mode, site: HDF5Site(file: path, object: "/"))
    }

    /// Opens or creates the file at `path`, naming it as `site` says in errors.
    init(path: String, mode: Mode, site: HDF5Site) throws {
        if mode != .truncate, !FileManager.default.fileExists(atPath: path) {
            throw HDF5Error.fileNotFound(file: site.file)
        }
        let id: hid_t = try HDF5Library.withLock {
            let id: hid_t
            switch mode {
            case .readOnly: id = H5Fopen(path, ls_h5f_acc_rdonly(), ls_h5p_default())
            case .readWrite: id = H5Fopen(path, ls_h5f_acc_rdwr(), ls_h5p_default())
            case .truncate: id = H5Fcreate(path, ls_h5f_acc_trunc(), ls_h5p_default(), ls_h5p_default())
            }
            guard id >= 0 else {
                throw HDF5Error.cannotOpenFile(file: site.file, libraryMessage: HDF5Library.lastErrorMessage())
            }
            return id
        }
        self.mode = mode
        super.init(handle: HDF5Handle(id, kind: .file), site: site, isWritable: mode != .readOnly)
    }

    /// Writes buffered data and metadata of the whole file to disk.
    public func flush() throws {
        let id = handle.id, site = site
        try HDF5Library.withLock { _ = try site.check(H5Fflush(id, H5F_SCOPE_GLOBAL), "H5Fflush") }
    }
}
