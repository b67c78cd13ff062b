import CHDF5

/// A group in an HDF5 file: a container of named groups and datasets, like a directory.
///
/// Paths are relative to the group (`"a/b/x"`) or absolute from the file's root
/// (`"/a/b/x"`). Creating a group or dataset creates missing intermediate groups.
/// ``HDF5File`` is a group too (its root group), so everything here works on files.
public class HDF5Group: HDF5Object, @unchecked Sendable {

    // MARK: Navigating

    /// Whether an object (group, dataset, ...) exists at `path`. Never throws: a path
    /// through a missing group or through a dataset simply gives `false`.
    public func contains(_ path: String) -> Bool {
        let id = handle.id
        return HDF5Library.withLock { Self.exists(id, path) }
    }

    /// The kind of the object at `path`. Throws ``HDF5Error/objectNotFound(file:object:)`` if there is none.
    public func objectKind(at path: String) throws -> HDF5ObjectKind {
        let site = site.appending(path), id = handle.id
        return try HDF5Library.withLock {
            let object = try Self.openObject(id, path, site)
            defer { H5Oclose(object) }
            return Self.kind(of: object)
        }
    }

    /// The names of the group's direct members (groups, datasets and other links), in alphabetical (byte) order.
    public func memberNames() throws -> [String] {
        let id = handle.id, site = site
        return try HDF5Library.withLock {
            var info = H5G_info_t()
            try site.check(H5Gget_info(id, &info), "H5Gget_info")
            return try (0..<info.nlinks).map { index in
                let length = try site.check(
                    H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, ls_h5p_default()),
                    "H5Lget_name_by_idx")
                var buffer = [CChar](repeating: 0, count: Int(length) + 1)
                try site.check(
                    H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count,
                                       ls_h5p_default()),
                    "H5Lget_name_by_idx")
                return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        }
    }

    /// Opens the group at `path`.
    ///
    /// Throws ``HDF5Error/objectNotFound(file:object:)`` or, if a dataset is there,
    /// ``HDF5Error/wrongObjectKind(file:object:expected:actual:)``.
    public func group(_ path: String) throws -> HDF5Group {
        let site = site.appending(path), id = handle.id
        let object = try HDF5Library.withLock { try Self.openObject(id, path, site, expecting: .group) }
        return HDF5Group(handle: HDF5Handle(object, kind: .object), site: site, isWritable: isWritable)
    }

    /// Opens the dataset at `path`.
    ///
    /// Throws ``HDF5Error/objectNotFound(file:object:)`` or, if a group is there,
    /// ``HDF5Error/wrongObjectKind(file:object:expected:actual:)``.
    public func dataset(_ path: String) throws -> HDF5Dataset {
        let site = site.appending(path), id = handle.id
        let (object, type, description) = try HDF5Library.withLock {
            let object = try Self.openObject(id, path, site, expecting: .dataset)
            let stored = H5Dget_type(object)
            guard stored >= 0 else {
                let error = site.failure("H5Dget_type")
                H5Oclose(object)
                throw error
            }
            defer { H5Tclose(stored) }
            let (type, description) = HDF5ElementType.classify(stored)
            return (object, type, description)
        }
        return HDF5Dataset(handle: HDF5Handle(object, kind: .object), site: site, isWritable: isWritable,
                           elementType: type, storedTypeDescription: description)
    }

    // MARK: Creating and removing

    /// Creates the group at `path` and any missing intermediate groups, like `mkdir -p`
    /// except that the final group must not exist yet (``HDF5Error/objectExists(file:object:)``).
    @discardableResult
    public func createGroup(_ path: String) throws -> HDF5Group {
        let site = site.appending(path), id = handle.id
        try requireWritable(site)
        let object = try HDF5Library.withLock {
            try Self.prepareCreation(id, path, site)
            let linkProperties = try Self.intermediateGroupCreation(site)
            defer { H5Pclose(linkProperties) }
            return try site.check(H5Gcreate2(id, path, linkProperties, ls_h5p_default(), ls_h5p_default()),
                                  "H5Gcreate2")
        }
        return HDF5Group(handle: HDF5Handle(object, kind: .object), site: site, isWritable: isWritable)
    }

    /// Creates an empty (zero-filled) n-dimensional dataset of `T` at `path`.
    ///
    /// - Parameters:
    ///   - path: Where to create it; missing intermediate groups are created.
    ///   - type: The element type, e.g. `Float.self`.
    ///   - shape: Dimensions, outermost first (row-major); at least one. For an extendible
    ///     dataset, `shape[0]` is the initial number of rows and may be 0.
    ///   - chunkShape: Chunk dimensions (same rank, each ≥ 1, trailing ones at most the
    ///     dataset's). `nil` chooses chunks of about 256 KiB when chunking is needed.
    ///   - compressionLevel: Deflate (gzip) level 0...9, or `nil` for no compression.
    ///     Compressed datasets also get HDF5's byte-shuffle filter before deflate, which
    ///     about halves the size of float data again and speeds up compression; h5py
    ///     (`compression == "gzip"`, `shuffle == True`) and h5dump read it transparently.
    ///   - extendible: Whether the first axis can grow with ``HDF5Dataset/append(_:shape:)``
    ///     (maximum size unlimited).
    ///
    /// Compression and extendibility need chunked storage, which is then used; without
    /// them the data is stored contiguously unless `chunkShape` is given. A dataset
    /// with no elements and a fixed shape is always stored contiguously (without compression).
    @discardableResult
    public func createDataset<T: HDF5Scalar>(
        _ path: String, of type: T.Type, shape: [Int], chunkShape: [Int]? = nil,
        compressionLevel: Int? = nil, extendible: Bool = false
    ) throws -> HDF5Dataset {
        try makeDataset(path, T.self, shape: shape, chunkShape: chunkShape, compressionLevel: compressionLevel,
                        extendible: extendible, values: nil as [T]?)
    }

    /// Creates a dataset at `path` holding `values` (row-major, `values.count` equal to the
    /// product of `shape`). Parameters as in ``createDataset(_:of:shape:chunkShape:compressionLevel:extendible:)``.
    @discardableResult
    public func createDataset<T: HDF5Scalar>(
        _ path: String, values: [T], shape: [Int], chunkShape: [Int]? = nil,
        compressionLevel: Int? = nil, extendible: Bool = false
    ) throws -> HDF5Dataset {
        try makeDataset(path, T.self, shape: shape, chunkShape: chunkShape, compressionLevel: compressionLevel,
                        extendible: extendible, values: values)
    }

    /// Removes the link at `path` (a group with everything below it, or a dataset).
    ///
    /// HDF5 does not reclaim the space in the file; `h5repack` compacts a file.
    public func remove(_ path: String) throws {
        let site = site.appending(path), id = handle.id
        try requireWritable(site)
        try HDF5Library.withLock {
            guard Self.exists(id, path) else { throw HDF5Error.objectNotFound(file: site.file, object: site.object) }
            try site.check(H5Ldelete(id, path, ls_h5p_default()), "H5Ldelete")
        }
    }

    private func makeDataset<T: HDF5Scalar>(
        _ path: String, _: T.Type, shape: [Int], chunkShape: [Int]?, compressionLevel: Int?,
        extendible: Bool, values: [T]?
    ) throws -> HDF5Dataset {
        let site = site.appending(path), id = handle.id
        try requireWritable(site)
        try site.checkLayout(of: T.self)
        let layout = try DatasetLayout(shape: shape, chunkShape: chunkShape, compressionLevel: compressionLevel,
                                       extendible: extendible, elementSize: T.elementType.byteCount, site)
        if let values, values.count != layout.elementCount {
            throw HDF5Error.shapeMismatch(
                file: site.file, object: site.object,
                detail: "\(values.count) values for shape \(shape) (\(layout.elementCount) elements)")
        }
        let object = try HDF5Library.withLock {
            try Self.prepareCreation(id, path, site)
            var dims = shape.map { hsize_t($0) }
            var maxDims = dims
            if extendible { maxDims[0] = ls_h5s_unlimited() }
            let space = try site.check(H5Screate_simple(Int32(dims.count), &dims, &maxDims), "H5Screate_simple")
            defer { H5Sclose(space) }
            let creation = try site.check(H5Pcreate(ls_h5p_dataset_create()), "H5Pcreate")
            defer { H5Pclose(creation) }
            if let chunk = layout.chunkShape {
                var chunkDims = chunk.map { hsize_t($0) }
                try site.check(H5Pset_chunk(creation, Int32(chunkDims.count), &chunkDims), "H5Pset_chunk")
                if let level = layout.compressionLevel {
                    try site.check(H5Pset_shuffle(creation), "H5Pset_shuffle")
                    try site.check(H5Pset_deflate(creation, UInt32(level)), "H5Pset_deflate")
                }
            }
            let linkProperties = try Self.intermediateGroupCreation(site)
            defer { H5Pclose(linkProperties) }
            let dataset = try site.check(
                H5Dcreate2(id, path, T.elementType.fileTypeID, space, linkProperties, creation, ls_h5p_default()),
                "H5Dcreate2")
            if let values, !values.isEmpty {
                let status = values.withUnsafeBytes {
                    H5Dwrite(dataset, T.elementType.nativeTypeID, ls_h5s_all(), ls_h5s_all(), ls_h5p_default(),
                             $0.baseAddress)
                }
                if status < 0 {
                    let error = site.failure("H5Dwrite")
                    H5Dclose(dataset)
                    _ = H5Ldelete(id, path, ls_h5p_default())
                    throw error
                }
            }
            return dataset
        }
        return HDF5Dataset(handle: HDF5Handle(object, kind: .object), site: site, isWritable: isWritable,
                           elementType: T.elementType, storedTypeDescription: T.elementType.rawValue)
    }

    // MARK: Unlocked helpers (call inside the lock)

    /// Whether `path` resolves to an object below `id`, checking each link on the way
    /// (HDF5 fails rather than answering "no" when an intermediate link is missing).
    static func exists(_ id: hid_t, _ path: String) -> Bool {
        let components = path.split(separator: "/")
        if components.isEmpty { return path.hasPrefix("/") || path == "." }
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in components {
            prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + component
            guard H5Lexists(id, prefix, ls_h5p_default()) > 0, H5Oexists_by_name(id, prefix, ls_h5p_default()) > 0
            else { return false }
        }
        return true
    }

    /// The kind of an open object.
    static func kind(of object: hid_t) -> HDF5ObjectKind {
        switch H5Iget_type(object) {
        case H5I_GROUP, H5I_FILE: return .group
        case H5I_DATASET: return .dataset
        default: return .other
        }
    }

    /// Opens the object at `path`, checking that it exists and, if given, its kind.
    static func openObject(_ id: hid_t, _ path: String, _ site: HDF5Site,
                           expecting expected: HDF5ObjectKind? = nil) throws -> hid_t {
        guard exists(id, path) else { throw HDF5Error.objectNotFound(file: site.file, object: site.object) }
        let object = try site.check(H5Oopen(id, path, ls_h5p_default()), "H5Oopen")
        if let expected, kind(of: object) != expected {
            let actual = kind(of: object)
            H5Oclose(object)
            throw HDF5Error.wrongObjectKind(file: site.file, object: site.object, expected: expected, actual: actual)
        }
        return object
    }

    /// Checks that nothing exists at `path` and that every existing prefix is a group.
    static func prepareCreation(_ id: hid_t, _ path: String, _ site: HDF5Site) throws {
        let components = path.split(separator: "/")
        guard !components.isEmpty, !path.contains("\0") else {
            throw HDF5Error.invalidArgument(file: site.file, object: site.object,
                                            detail: "a new object needs a non-empty name")
        }
        var prefix = path.hasPrefix("/") ? "/" : ""
        for (index, component) in components.enumerated() {
            prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + component
            guard exists(id, prefix) else { return }
            if index == components.count - 1 {
                throw HDF5Error.objectExists(file: site.file, object: site.object)
            }
            let object = try site.check(H5Oopen(id, prefix, ls_h5p_default()), "H5Oopen")
            let actual = kind(of: object)
            H5Oclose(object)
            if actual != .group {
                let base = HDF5Site(file: site.file, object: "/")
                throw HDF5Error.wrongObjectKind(file: site.file, object: base.appending(prefix).object,
                                                expected: .group, actual: actual)
            }
        }
    }

    /// Link-creation properties that create missing intermediate groups. Close with `H5Pclose`.
    static func intermediateGroupCreation(_ site: HDF5Site) throws -> hid_t {
        let properties = try site.check(H5Pcreate(ls_h5p_link_create()), "H5Pcreate")
        guard H5Pset_create_intermediate_group(properties, 1) >= 0 else {
            let error = site.failure("H5Pset_create_intermediate_group")
            H5Pclose(properties)
            throw error
        }
        return properties
    }
}

/// Validated storage settings of a new dataset.
struct DatasetLayout {
    /// The number of elements of the initial shape.
    let elementCount: Int
    /// Chunk dimensions, or `nil` for contiguous storage.
    let chunkShape: [Int]?
    /// Deflate level, or `nil` for none (only with chunks).
    let compressionLevel: Int?

    /// Bytes a chunk chosen by default aims at: small enough for HDF5's 1 MiB chunk cache.
    static let defaultChunkBytes = 256 * 1024

    init(shape: [Int], chunkShape: [Int]?, compressionLevel: Int?, extendible: Bool, elementSize: Int,
         _ site: HDF5Site) throws {
        func invalid(_ detail: String) -> HDF5Error {
            .invalidArgument(file: site.file, object: site.object, detail: detail)
        }
        guard !shape.isEmpty, shape.allSatisfy({ $0 >= 0 }) else {
            throw invalid("shape \(shape) must have at least one dimension, none negative")
        }
        if let level = compressionLevel, !(0...9).contains(level) {
            throw invalid("compression level \(level) outside 0...9")
        }
        let (count, overflow) = shape.reduce((1, false)) { partial, dim in
            let (product, o) = partial.0.multipliedReportingOverflow(by: dim)
            return (product, partial.1 || o)
        }
        guard !overflow else { throw invalid("shape \(shape) has too many elements") }
        elementCount = count

        let trailing = shape.dropFirst()
        let chunked = chunkShape != nil || compressionLevel != nil || extendible
        if !chunked || (count == 0 && !extendible) {
            self.chunkShape = nil
            self.compressionLevel = nil
            return
        }
        guard trailing.allSatisfy({ $0 > 0 }) else {
            throw invalid("chunked storage needs non-zero trailing dimensions, got shape \(shape)")
        }
        if let chunk = chunkShape {
            guard chunk.count == shape.count, chunk.allSatisfy({ $0 > 0 }) else {
                throw invalid("chunk shape \(chunk) must have rank \(shape.count) and positive dimensions")
            }
            for axis in chunk.indices where (axis > 0 || !extendible) && chunk[axis] > shape[axis] {
                throw invalid("chunk shape \(chunk) exceeds fixed dimension \(axis) of shape \(shape)")
            }
            self.chunkShape = chunk
        } else {
            self.chunkShape = DatasetLayout.defaultChunk(shape: shape, extendible: extendible, elementSize: elementSize)
        }
        self.compressionLevel = compressionLevel
    }

    /// Whole trailing dimensions and as many rows as fit in ``defaultChunkBytes``; if one
    /// row is larger, the largest trailing dimensions are halved until a chunk fits.
    static func defaultChunk(shape: [Int], extendible: Bool, elementSize: Int) -> [Int] {
        var chunk = shape
        let rowBytes = shape.dropFirst().reduce(elementSize, *)
        let rows = max(1, defaultChunkBytes / max(rowBytes, 1))
        chunk[0] = extendible ? rows : min(max(shape[0], 1), rows)
        while chunk.reduce(elementSize, *) > defaultChunkBytes,
              let axis = chunk.indices.dropFirst().max(by: { chunk[$0] < chunk[$1] }), chunk[axis] > 1 {
            chunk[axis] = (chunk[axis] + 1) / 2
        }
        return chunk
    }
}
