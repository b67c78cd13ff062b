import CHDF5
#if canImport(Glibc)
import Glibc
#endif

/// Owns one open HDF5 identifier and closes it, under the library lock, when released.
///
/// `@unchecked Sendable`: the identifier is immutable, and every use of it goes
/// through ``HDF5Library/withLock(_:)``. Never create or release a handle inside a
/// locked body (its `deinit` takes the non-recursive lock).
final class HDF5Handle: @unchecked Sendable {
    /// What kind of identifier this is, which decides how it is closed.
    enum Kind { case file, object }

    /// The HDF5 identifier (`hid_t`).
    let id: hid_t
    private let kind: Kind

    init(_ id: hid_t, kind: Kind) {
        self.id = id
        self.kind = kind
    }

    deinit {
        let id = id, kind = kind
        HDF5Library.withLock {
            // With the default "weak" close degree a file stays open in HDF5 until its
            // last group or dataset is closed, so closing order does not matter.
            switch kind {
            case .file: _ = H5Fclose(id)
            case .object: _ = H5Oclose(id)
            }
        }
    }
}

/// An object in an HDF5 file that carries attributes: a file (its root group), a group or a dataset.
///
/// Attributes are small named values attached to an object: strings, numbers and
/// 1-D arrays of numbers (e.g. `units = "kPa"`, `alpha = 0.5`, `pressures = [80, 120]`).
/// Setting an attribute that exists replaces it, whatever its old type and size.
///
/// Objects keep their file open: a dataset obtained from a file stays usable after
/// the ``HDF5File`` value is released, and the file is closed when its last object is.
///
/// Thread safety: `@unchecked Sendable` because its state is immutable (the open
/// identifier, the paths, the write permission) and every HDF5 call is serialized by
/// one process-wide lock, so objects can be shared between tasks and threads.
public class HDF5Object: @unchecked Sendable {
    let handle: HDF5Handle
    let site: HDF5Site

    /// The file's path, as given to ``HDF5File/init(path:mode:)``.
    public var filePath: String { site.file }

    /// The object's absolute path inside the file, e.g. `"/runs/round1/loss"`; `"/"` for the root group.
    public var path: String { site.object }

    /// Whether the file was opened for writing (``HDF5File/Mode/readWrite`` or ``HDF5File/Mode/truncate``).
    public let isWritable: Bool

    init(handle: HDF5Handle, site: HDF5Site, isWritable: Bool) {
        self.handle = handle
        self.site = site
        self.isWritable = isWritable
    }

    /// Throws ``HDF5Error/readOnlyFile(file:object:)`` unless the file is writable.
    func requireWritable(_ site: HDF5Site) throws {
        guard isWritable else { throw HDF5Error.readOnlyFile(file: site.file, object: site.object) }
    }

    // MARK: Attribute names

    /// The names of this object's attributes, in alphabetical (byte) order.
    public func attributeNames() throws -> [String] {
        let id = handle.id, site = site
        return try HDF5Library.withLock {
            var names: [String] = []
            var index: hsize_t = 0
            let status = withUnsafeMutablePointer(to: &names) { pointer in
                H5Aiterate2(id, H5_INDEX_NAME, H5_ITER_INC, &index, { _, name, _, data in
                    guard let name, let data else { return -1 }
                    data.assumingMemoryBound(to: [String].self).pointee.append(String(cString: name))
                    return 0
                }, pointer)
            }
            try site.check(status, "H5Aiterate2")
            return names
        }
    }

    /// Whether an attribute named `name` exists on this object.
    public func hasAttribute(_ name: String) -> Bool {
        let id = handle.id
        return HDF5Library.withLock { !name.isEmpty && H5Aexists(id, name) > 0 }
    }

    /// Deletes the attribute `name`. Throws ``HDF5Error/objectNotFound(file:object:)`` if there is none.
    public func removeAttribute(_ name: String) throws {
        let site = site.attribute(name), id = handle.id
        try requireWritable(site)
        try HDF5Library.withLock {
            try Self.requireAttribute(id, name, site)
            try site.check(H5Adelete(id, name), "H5Adelete")
        }
    }

    // MARK: Writing attributes

    /// Sets a string attribute, stored as a variable-length UTF-8 string (what h5py writes for `str`).
    /// Strings containing NUL characters are rejected with ``HDF5Error/invalidArgument(file:object:detail:)``.
    public func setAttribute(_ name: String, _ value: String) throws {
        try setAttribute(name, strings: [value], scalar: true)
    }

    /// Sets a 1-D string-array attribute (variable-length UTF-8 strings).
    public func setAttribute(_ name: String, _ values: [String]) throws {
        try setAttribute(name, strings: values, scalar: false)
    }

    /// Sets a scalar numeric attribute, e.g. `setAttribute("alpha", 0.5)` (stored as float64).
    public func setAttribute<T: HDF5Scalar>(_ name: String, _ value: T) throws {
        try setAttribute(name, numbers: [value], scalar: true)
    }

    /// Sets a 1-D numeric array attribute, e.g. `setAttribute("pressures", [80.0, 120.0])`.
    public func setAttribute<T: HDF5Scalar>(_ name: String, _ values: [T]) throws {
        try setAttribute(name, numbers: values, scalar: false)
    }

    private func setAttribute<T: HDF5Scalar>(_ name: String, numbers: [T], scalar: Bool) throws {
        let site = site.attribute(name), id = handle.id
        try requireWritable(site)
        try Self.requireValidName(name, site)
        try site.checkLayout(of: T.self)
        try HDF5Library.withLock {
            let space = try Self.createSpace(count: numbers.count, scalar: scalar, site)
            defer { H5Sclose(space) }
            let attribute = try Self.recreateAttribute(id, name, type: T.elementType.fileTypeID, space: space, site)
            defer { H5Aclose(attribute) }
            let status = numbers.withUnsafeBytes { H5Awrite(attribute, T.elementType.nativeTypeID, $0.baseAddress) }
            try site.check(status, "H5Awrite")
        }
    }

    private func setAttribute(_ name: String, strings: [String], scalar: Bool) throws {
        let site = site.attribute(name), id = handle.id
        try requireWritable(site)
        try Self.requireValidName(name, site)
        guard strings.allSatisfy({ !$0.utf8.contains(0) }) else {
            throw HDF5Error.invalidArgument(file: site.file, object: site.object,
                                            detail: "HDF5 strings cannot contain NUL characters")
        }
        // C copies of the strings; HDF5 reads `char *` pointers for variable-length strings.
        let copies: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        try HDF5Library.withLock {
            let type = try site.check(H5Tcopy(ls_h5t_c_s1()), "H5Tcopy")
            defer { H5Tclose(type) }
            try site.check(H5Tset_size(type, ls_h5t_variable()), "H5Tset_size")
            try site.check(H5Tset_cset(type, H5T_CSET_UTF8), "H5Tset_cset")
            let space = try Self.createSpace(count: strings.count, scalar: scalar, site)
            defer { H5Sclose(space) }
            let attribute = try Self.recreateAttribute(id, name, type: type, space: space, site)
            defer { H5Aclose(attribute) }
            let status = copies.withUnsafeBytes { H5Awrite(attribute, type, $0.baseAddress) }
            try site.check(status, "H5Awrite")
        }
    }

    // MARK: Reading attributes

    /// Reads a string attribute, stored as a fixed-length or variable-length string
    /// (ASCII or UTF-8; trailing NUL padding is removed).
    public func stringAttribute(_ name: String) throws -> String {
        let values = try stringArrayAttribute(name)
        guard values.count == 1 else {
            throw HDF5Error.shapeMismatch(file: site.file, object: site.attribute(name).object,
                                          detail: "expected one string, found \(values.count)")
        }
        return values[0]
    }

    /// Reads a string attribute as an array of strings (a scalar string gives one element).
    public func stringArrayAttribute(_ name: String) throws -> [String] {
        let site = site.attribute(name), id = handle.id
        return try HDF5Library.withLock {
            try Self.requireAttribute(id, name, site)
            let attribute = try site.check(H5Aopen(id, name, ls_h5p_default()), "H5Aopen")
            defer { H5Aclose(attribute) }
            let stored = try site.check(H5Aget_type(attribute), "H5Aget_type")
            defer { H5Tclose(stored) }
            guard H5Tget_class(stored) == H5T_STRING else {
                throw HDF5Error.elementTypeMismatch(file: site.file, object: site.object, requested: "string",
                                                    stored: HDF5ElementType.classify(stored).1)
            }
            let count = try Self.pointCount(attribute, site)
            let memory = try site.check(H5Tcopy(ls_h5t_c_s1()), "H5Tcopy")
            defer { H5Tclose(memory) }
            _ = H5Tset_cset(memory, H5Tget_cset(stored))
            if H5Tis_variable_str(stored) > 0 {
                try site.check(H5Tset_size(memory, ls_h5t_variable()), "H5Tset_size")
                var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
                let status = pointers.withUnsafeMutableBytes { H5Aread(attribute, memory, $0.baseAddress) }
                defer { pointers.forEach { if let p = $0 { H5free_memory(p) } } }
                try site.check(status, "H5Aread")
                return pointers.map { $0.map { String(cString: $0) } ?? "" }
            } else {
                // One extra byte per string so a NUL-padded string of full width keeps its last character.
                let width = H5Tget_size(stored) + 1
                try site.check(H5Tset_size(memory, width), "H5Tset_size")
                try site.check(H5Tset_strpad(memory, H5T_STR_NULLTERM), "H5Tset_strpad")
                var bytes = [UInt8](repeating: 0, count: try HDF5Limits.byteCheckedCount([width, count], elementSize: 1, site))
                let status = bytes.withUnsafeMutableBytes { H5Aread(attribute, memory, $0.baseAddress) }
                try site.check(status, "H5Aread")
                return (0..<count).map { i in
                    let slot = bytes[(i * width)..<((i + 1) * width)]
                    return String(decoding: slot.prefix { $0 != 0 }, as: UTF8.self)
                }
            }
        }
    }

    /// Reads a scalar (or one-element) numeric attribute stored exactly as `T`'s element type.
    public func attribute<T: HDF5Scalar>(_ name: String, as type: T.Type) throws -> T {
        try single(attributeValues(name, as: type), name)
    }

    /// Reads a numeric attribute (scalar or array, any rank, flattened) stored exactly as `T`'s element type.
    public func attributeValues<T: HDF5Scalar>(_ name: String, as type: T.Type) throws -> [T] {
        try readNumbers(name, as: type) { $0 == T.elementType }
    }

    /// Reads a scalar floating-point attribute as `Double` (float32 is widened exactly; integers are rejected).
    public func doubleAttribute(_ name: String) throws -> Double {
        try single(doubleArrayAttribute(name), name)
    }

    /// Reads a floating-point array attribute as `[Double]` (float32 is widened exactly; a scalar gives one element).
    public func doubleArrayAttribute(_ name: String) throws -> [Double] {
        try readNumbers(name, as: Double.self) { $0 == .float32 || $0 == .float64 }
    }

    /// Reads a scalar integer attribute as `Int` (int32, int64 and uint8 are converted exactly; floats are rejected).
    public func intAttribute(_ name: String) throws -> Int {
        try single(intArrayAttribute(name), name)
    }

    /// Reads an integer array attribute as `[Int]` (int32, int64 and uint8 are converted exactly; a scalar gives one element).
    public func intArrayAttribute(_ name: String) throws -> [Int] {
        try readNumbers(name, as: Int.self) { $0 == .int32 || $0 == .int64 || $0 == .uint8 }
    }

    private func single<T>(_ values: [T], _ name: String) throws -> T {
        guard values.count == 1 else {
            throw HDF5Error.shapeMismatch(file: site.file, object: site.attribute(name).object,
                                          detail: "expected a single value, found \(values.count)")
        }
        return values[0]
    }

    /// Reads all values of a numeric attribute as `T`, if `accepts` admits the stored type.
    private func readNumbers<T: HDF5Scalar>(
        _ name: String, as _: T.Type, accepts: (HDF5ElementType) -> Bool
    ) throws -> [T] {
        let site = site.attribute(name), id = handle.id
        try site.checkLayout(of: T.self)
        return try HDF5Library.withLock {
            try Self.requireAttribute(id, name, site)
            let attribute = try site.check(H5Aopen(id, name, ls_h5p_default()), "H5Aopen")
            defer { H5Aclose(attribute) }
            let stored = try site.check(H5Aget_type(attribute), "H5Aget_type")
            defer { H5Tclose(stored) }
            let (kind, description) = HDF5ElementType.classify(stored)
            guard let kind, accepts(kind) else {
                throw HDF5Error.elementTypeMismatch(file: site.file, object: site.object,
                                                    requested: "\(T.self)", stored: description)
            }
            let count = try Self.pointCount(attribute, site)
            var status: herr_t = 0
            let values = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                if count > 0 { status = H5Aread(attribute, T.elementType.nativeTypeID, buffer.baseAddress) }
                // Plain numbers: every bit pattern is a valid value even if the read failed.
                initialized = count
            }
            try site.check(status, "H5Aread")
            return values
        }
    }

    // MARK: Unlocked helpers (call inside the lock)

    static func requireValidName(_ name: String, _ site: HDF5Site) throws {
        guard !name.isEmpty, !name.contains("\0") else {
            throw HDF5Error.invalidArgument(file: site.file, object: site.object,
                                            detail: "an attribute name must be non-empty without NUL characters")
        }
    }

    static func requireAttribute(_ id: hid_t, _ name: String, _ site: HDF5Site) throws {
        guard !name.isEmpty, H5Aexists(id, name) > 0 else {
            throw HDF5Error.objectNotFound(file: site.file, object: site.object)
        }
    }

    /// A scalar dataspace, or a 1-D one of `count` elements.
    static func createSpace(count: Int, scalar: Bool, _ site: HDF5Site) throws -> hid_t {
        if scalar { return try site.check(H5Screate(H5S_SCALAR), "H5Screate") }
        var dims = [hsize_t(count)]
        return try site.check(H5Screate_simple(1, &dims, nil), "H5Screate_simple")
    }

    /// Deletes attribute `name` if present and creates it anew with `type` and `space`.
    static func recreateAttribute(_ id: hid_t, _ name: String, type: hid_t, space: hid_t, _ site: HDF5Site) throws -> hid_t {
        if H5Aexists(id, name) > 0 { try site.check(H5Adelete(id, name), "H5Adelete") }
        return try site.check(H5Acreate2(id, name, type, space, ls_h5p_default(), ls_h5p_default()), "H5Acreate2")
    }

    /// The number of elements of an attribute (1 for a scalar).
    static func pointCount(_ attribute: hid_t, _ site: HDF5Site) throws -> Int {
        let space = try site.check(H5Aget_space(attribute), "H5Aget_space")
        defer { H5Sclose(space) }
        let count = Int(try site.check(H5Sget_simple_extent_npoints(space), "H5Sget_simple_extent_npoints"))
        return try HDF5Limits.byteCheckedCount([count], elementSize: 8, site)
    }
}
