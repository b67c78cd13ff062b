import CHDF5
import Foundation

/// A failure of an HDF5 operation, naming the file and the object involved.
///
/// Every throwing API of this module throws only `HDF5Error`. `file` is the file's
/// path as given to ``HDF5File/init(path:mode:)``; `object` is the absolute path of
/// the object inside the file (`"/"` for the root group). For an attribute, `object`
/// is the owner's path followed by `@` and the attribute's name, e.g. `"/runs@units"`.
/// Cases that come from the C library carry HDF5's own message from its error
/// stack (innermost cause first) in `libraryMessage`.
public enum HDF5Error: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file does not exist (opening with ``HDF5File/Mode/readOnly`` or ``HDF5File/Mode/readWrite``).
    case fileNotFound(file: String)
    /// The file exists but HDF5 could not open or create it: not an HDF5 file, corrupt
    /// or truncated, locked by another process, or no permission.
    case cannotOpenFile(file: String, libraryMessage: String)
    /// No group, dataset or attribute exists at this path.
    case objectNotFound(file: String, object: String)
    /// Something already exists at the path where a new object was to be created.
    case objectExists(file: String, object: String)
    /// The object exists but is of another kind (e.g. a group where a dataset was expected).
    case wrongObjectKind(file: String, object: String, expected: HDF5ObjectKind, actual: HDF5ObjectKind)
    /// The stored element type is not the requested Swift type. No conversion is made:
    /// reading a Float64 dataset as `Float` fails instead of silently losing precision.
    case elementTypeMismatch(file: String, object: String, requested: String, stored: String)
    /// Values, shape or rank do not fit the object (e.g. a value count that is not the
    /// product of the shape, or appended rows whose trailing shape differs).
    case shapeMismatch(file: String, object: String, detail: String)
    /// A row range lies outside the first axis of a dataset with `rowCount` rows.
    case rowsOutOfRange(file: String, object: String, rows: Range<Int>, rowCount: Int)
    /// ``HDF5Dataset/append(_:rows:)`` on a dataset whose first axis has a fixed maximum size.
    case notExtendible(file: String, object: String)
    /// A write, creation or deletion on a file opened with ``HDF5File/Mode/readOnly``.
    case readOnlyFile(file: String, object: String)
    /// An argument is invalid on its own (empty path, negative size, compression level outside 0...9, ...).
    case invalidArgument(file: String, object: String, detail: String)
    /// An HDF5 C call failed for another reason; `operation` names the call.
    case libraryFailure(file: String, object: String, operation: String, libraryMessage: String)
    /// A system call on the file failed while copying, syncing or renaming it (checkpoints
    /// of ``HDF5File/init(checkpointedAt:mode:)``); `detail` is the system's reason.
    case ioFailure(file: String, operation: String, detail: String)

    /// The path of the file involved.
    public var file: String {
        switch self {
        case .fileNotFound(let file), .cannotOpenFile(let file, _), .objectNotFound(let file, _),
             .objectExists(let file, _), .wrongObjectKind(let file, _, _, _),
             .elementTypeMismatch(let file, _, _, _), .shapeMismatch(let file, _, _),
             .rowsOutOfRange(let file, _, _, _), .notExtendible(let file, _), .readOnlyFile(let file, _),
             .invalidArgument(let file, _, _), .libraryFailure(let file, _, _, _), .ioFailure(let file, _, _):
            return file
        }
    }

    /// The path of the object (or `owner@attribute`) involved, or `nil` for file-level failures.
    public var object: String? {
        switch self {
        case .fileNotFound, .cannotOpenFile, .ioFailure:
            return nil
        case .objectNotFound(_, let object), .objectExists(_, let object), .wrongObjectKind(_, let object, _, _),
             .elementTypeMismatch(_, let object, _, _), .shapeMismatch(_, let object, _),
             .rowsOutOfRange(_, let object, _, _), .notExtendible(_, let object), .readOnlyFile(_, let object),
             .invalidArgument(_, let object, _), .libraryFailure(_, let object, _, _):
            return object
        }
    }

    /// HDF5's own message for failures reported by the C library, else `nil`.
    public var libraryMessage: String? {
        switch self {
        case .cannotOpenFile(_, let message), .libraryFailure(_, _, _, let message): return message
        default: return nil
        }
    }

    /// A one-line explanation naming the file, the object and the cause.
    public var description: String {
        switch self {
        case .fileNotFound(let file):
            return "HDF5 file not found: \(file)"
        case .cannotOpenFile(let file, let message):
            return "cannot open HDF5 file \(file) (not HDF5, corrupt, truncated, locked or not permitted): \(message)"
        case .objectNotFound(let file, let object):
            return "\(file): no object at \(object)"
        case .objectExists(let file, let object):
            return "\(file): an object already exists at \(object)"
        case .wrongObjectKind(let file, let object, let expected, let actual):
            return "\(file): \(object) is a \(actual), expected a \(expected)"
        case .elementTypeMismatch(let file, let object, let requested, let stored):
            return "\(file): \(object) stores \(stored), requested \(requested) (no implicit conversion)"
        case .shapeMismatch(let file, let object, let detail):
            return "\(file): \(object): shape mismatch: \(detail)"
        case .rowsOutOfRange(let file, let object, let rows, let rowCount):
            return "\(file): \(object): rows \(rows) outside 0..<\(rowCount)"
        case .notExtendible(let file, let object):
            return "\(file): \(object) is not extendible along its first axis (create it with extendible: true)"
        case .readOnlyFile(let file, let object):
            return "\(file): cannot modify \(object): file is open read-only"
        case .invalidArgument(let file, let object, let detail):
            return "\(file): \(object): invalid argument: \(detail)"
        case .libraryFailure(let file, let object, let operation, let message):
            return "\(file): \(object): \(operation) failed: \(message)"
        case .ioFailure(let file, let operation, let detail):
            return "\(file): \(operation) failed: \(detail)"
        }
    }
}

extension HDF5Error: LocalizedError {
    /// The same text as ``description``, so `error.localizedDescription` is informative too.
    public var errorDescription: String? { description }
}

/// The kind of an object stored in an HDF5 file.
public enum HDF5ObjectKind: String, Sendable, Hashable, CustomStringConvertible {
    /// A group: a container of named links to other objects (like a directory).
    case group
    /// A dataset: an n-dimensional array of elements of one type.
    case dataset
    /// A committed datatype or another kind of object this module does not open.
    case other

    /// The kind's name, e.g. `"dataset"`.
    public var description: String { rawValue }
}

/// Where an operation happens: the file path and the object path, for error messages.
struct HDF5Site: Sendable {
    var file: String
    var object: String
    /// Publishes checkpoints of a file opened with ``HDF5File/init(checkpointedAt:mode:)``; `nil` for other files.
    var publisher: CheckpointPublisher? = nil

    /// The site of `relativePath` below this one (absolute paths start again at the root).
    func appending(_ relativePath: String) -> HDF5Site {
        if relativePath.hasPrefix("/") {
            return HDF5Site(file: file, object: HDF5Site.normalize(relativePath), publisher: publisher)
        }
        let base = object == "/" ? "" : object
        return HDF5Site(file: file, object: HDF5Site.normalize(base + "/" + relativePath), publisher: publisher)
    }

    /// The site of an attribute of this object.
    func attribute(_ name: String) -> HDF5Site {
        HDF5Site(file: file, object: object + "@" + name, publisher: publisher)
    }

    /// Collapses repeated and trailing slashes and `.` components.
    static func normalize(_ path: String) -> String {
        let parts = path.split(separator: "/").filter { $0 != "." }
        return "/" + parts.joined(separator: "/")
    }

    /// Throws ``HDF5Error/libraryFailure(file:object:operation:libraryMessage:)`` with HDF5's
    /// message when `status` is negative; returns `status` otherwise. Call inside the lock.
    @discardableResult
    func check<Status: BinaryInteger>(_ status: Status, _ operation: String) throws -> Status {
        if status < 0 { throw failure(operation) }
        return status
    }

    /// A ``HDF5Error/libraryFailure(file:object:operation:libraryMessage:)`` carrying HDF5's current message.
    func failure(_ operation: String) -> HDF5Error {
        .libraryFailure(file: file, object: object, operation: operation,
                        libraryMessage: HDF5Library.lastErrorMessage())
    }
}
