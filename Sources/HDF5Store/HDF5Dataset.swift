import CHDF5

/// An n-dimensional array of numbers stored in an HDF5 file.
///
/// Values are exchanged as flat Swift arrays in row-major (C) order: the last axis
/// varies fastest, as in NumPy and h5py. The first axis is the *row* axis: slabs of
/// rows can be read and written without touching the rest, and an extendible dataset
/// grows along it with ``append(_:shape:)``.
///
/// Element types are never converted: reading a float64 dataset as `Float` throws
/// ``HDF5Error/elementTypeMismatch(file:object:requested:stored:)``; read it as
/// `Double` and convert explicitly if that is what you mean.
public final class HDF5Dataset: HDF5Object, @unchecked Sendable {
    /// The stored element type, or `nil` if it is none of the five supported ones
    /// (e.g. int16 or strings written by another program); such a dataset can be
    /// inspected but not read.
    public let elementType: HDF5ElementType?

    /// A readable name of the stored type, e.g. `"float32"` or `"16-bit signed integer"`.
    public let storedTypeDescription: String

    init(handle: HDF5Handle, site: HDF5Site, isWritable: Bool, elementType: HDF5ElementType?,
         storedTypeDescription: String) {
        self.elementType = elementType
        self.storedTypeDescription = storedTypeDescription
        super.init(handle: handle, site: site, isWritable: isWritable)
    }

    // MARK: Shape and storage

    /// The current dimensions, outermost first (`[]` for a scalar dataset). Appends change `shape[0]`.
    public var shape: [Int] {
        get throws {
            let id = handle.id, site = site
            return try HDF5Library.withLock { try Self.extent(id, site).shape }
        }
    }

    /// The maximum dimensions; `nil` marks an unlimited axis (the first axis of an extendible dataset).
    public var maximumShape: [Int?] {
        get throws {
            let id = handle.id, site = site
            return try HDF5Library.withLock { try Self.extent(id, site).maximum }
        }
    }

    /// The number of elements, the product of ``shape``.
    public var elementCount: Int {
        get throws { try shape.reduce(1, *) }
    }

    /// The chunk dimensions, or `nil` if the dataset is stored contiguously (or compactly).
    public var chunkShape: [Int]? {
        get throws {
            let id = handle.id, site = site
            return try HDF5Library.withLock { try Self.storage(id, site).chunk }
        }
    }

    /// The deflate (gzip) level 0...9, or `nil` if the dataset is not deflate-compressed.
    public var compressionLevel: Int? {
        get throws {
            let id = handle.id, site = site
            return try HDF5Library.withLock { try Self.storage(id, site).deflate }
        }
    }

    // MARK: Reading

    /// Reads every element, row-major.
    ///
    /// Throws ``HDF5Error/elementTypeMismatch(file:object:requested:stored:)`` unless the
    /// stored type is `T`'s ``HDF5Scalar/elementType``.
    public func read<T: HDF5Scalar>(as type: T.Type) throws -> [T] {
        try readWithShape(as: type).values
    }

    /// Reads every element, row-major, together with the shape they were read with.
    ///
    /// Shape and values come from one locked step, so they agree even while other
    /// tasks append to the dataset. Throws like ``read(as:)``.
    public func readWithShape<T: HDF5Scalar>(as type: T.Type) throws -> (values: [T], shape: [Int]) {
        let id = handle.id, site = site
        try checkType(T.self)
        return try HDF5Library.withLock {
            let shape = try Self.extent(id, site).shape
            let count = try HDF5Limits.byteCheckedCount(shape, elementSize: MemoryLayout<T>.stride, site)
            var status: herr_t = 0
            let values = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                if count > 0 {
                    status = H5Dread(id, T.elementType.nativeTypeID, ls_h5s_all(), ls_h5s_all(), ls_h5p_default(),
                                     buffer.baseAddress)
                }
                initialized = count  // plain numbers: any bit pattern is valid, even after a failed read
            }
            try site.check(status, "H5Dread")
            return (values, shape)
        }
    }

    /// Reads rows `rows` along the first axis (a hyperslab), row-major; the rest of the
    /// dataset is not read. `rows` must lie within `0..<shape[0]` (an empty range gives `[]`).
    public func read<T: HDF5Scalar>(as type: T.Type, rows: Range<Int>) throws -> [T] {
        let id = handle.id, site = site
        try checkType(T.self)
        return try HDF5Library.withLock {
            let shape = try Self.extent(id, site).shape
            try Self.checkRows(rows, shape: shape, site)
            let count = try HDF5Limits.byteCheckedCount([rows.count] + shape.dropFirst(),
                                                        elementSize: MemoryLayout<T>.stride, site)
            guard count > 0 else { return [] }
            let (fileSpace, memorySpace) = try Self.selectRows(id, rows, shape: shape, site)
            defer { H5Sclose(fileSpace); H5Sclose(memorySpace) }
            var status: herr_t = 0
            let values = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                status = H5Dread(id, T.elementType.nativeTypeID, memorySpace, fileSpace, ls_h5p_default(),
                                 buffer.baseAddress)
                initialized = count
            }
            try site.check(status, "H5Dread")
            return values
        }
    }

    // MARK: Writing

    /// Overwrites every element with `values` (row-major; `values.count` must equal ``elementCount``).
    public func write<T: HDF5Scalar>(_ values: [T]) throws {
        let id = handle.id, site = site
        try requireWritable(site)
        try checkType(T.self)
        try HDF5Library.withLock {
            let shape = try Self.extent(id, site).shape
            let count = shape.reduce(1, *)
            guard values.count == count else {
                throw HDF5Error.shapeMismatch(file: site.file, object: site.object,
                                              detail: "\(values.count) values for shape \(shape) (\(count) elements)")
            }
            guard count > 0 else { return }
            let status = values.withUnsafeBytes {
                H5Dwrite(id, T.elementType.nativeTypeID, ls_h5s_all(), ls_h5s_all(), ls_h5p_default(), $0.baseAddress)
            }
            try site.check(status, "H5Dwrite")
        }
    }

    /// Overwrites rows `rows` along the first axis with `values` (row-major, `rows.count`
    /// rows of the trailing shape); `rows` must lie within `0..<shape[0]`.
    public func write<T: HDF5Scalar>(_ values: [T], rows: Range<Int>) throws {
        let id = handle.id, site = site
        try requireWritable(site)
        try checkType(T.self)
        try HDF5Library.withLock {
            let shape = try Self.extent(id, site).shape
            try Self.checkRows(rows, shape: shape, site)
            try Self.writeRows(id, values, rows, shape: shape, site)
        }
    }

    /// Appends rows along the first axis of an extendible dataset and returns the rows written.
    ///
    /// - Parameters:
    ///   - values: Row-major values of whole rows.
    ///   - shape: The shape of `values`, `[k] + trailing shape`; checked against the
    ///     dataset's trailing shape. If `nil`, `k` is inferred from `values.count`,
    ///     which must then be a multiple of the row size.
    /// - Returns: The range of the new rows, e.g. `10..<12` after appending 2 rows to 10.
    ///
    /// The extent change and the write happen under one lock, so concurrent appends
    /// to one dataset from several tasks never interleave.
    @discardableResult
    public func append<T: HDF5Scalar>(_ values: [T], shape: [Int]? = nil) throws -> Range<Int> {
        let id = handle.id, site = site
        try requireWritable(site)
        try checkType(T.self)
        return try HDF5Library.withLock {
            let extent = try Self.extent(id, site)
            guard !extent.shape.isEmpty, extent.maximum[0] == nil else {
                throw HDF5Error.notExtendible(file: site.file, object: site.object)
            }
            let trailing = Array(extent.shape.dropFirst())
            let rowSize = trailing.reduce(1, *)
            let newRows: Int
            if let shape {
                guard shape.count == extent.shape.count, Array(shape.dropFirst()) == trailing, shape[0] >= 0,
                      shape.reduce(1, *) == values.count else {
                    throw HDF5Error.shapeMismatch(
                        file: site.file, object: site.object,
                        detail: "appending \(values.count) values of shape \(shape) to rows of shape \(trailing)")
                }
                newRows = shape[0]
            } else {
                guard rowSize > 0, values.count % rowSize == 0 else {
                    throw HDF5Error.shapeMismatch(
                        file: site.file, object: site.object,
                        detail: "\(values.count) values are not whole rows of shape \(trailing) (\(rowSize) each)")
                }
                newRows = values.count / rowSize
            }
            let start = extent.shape[0]
            let rows = start..<(start + newRows)
            guard newRows > 0 else { return rows }
            var dims = ([rows.upperBound] + trailing).map { hsize_t($0) }
            try site.check(H5Dset_extent(id, &dims), "H5Dset_extent")
            do {
                try Self.writeRows(id, values, rows, shape: [rows.upperBound] + trailing, site)
            } catch {
                // Undo the extension so a failed append leaves no rows of fill values behind.
                var oldDims = extent.shape.map { hsize_t($0) }
                _ = H5Dset_extent(id, &oldDims)
                throw error
            }
            return rows
        }
    }

    /// Shrinks an extendible dataset to its first `rowCount` rows, discarding the rest.
    ///
    /// A resumed computation uses this to drop rows that an interrupted run appended
    /// after its last consistent checkpoint.
    ///
    /// - Throws: ``HDF5Error/notExtendible(file:object:)`` for a fixed-size dataset,
    ///   ``HDF5Error/rowsOutOfRange(file:object:rows:rowCount:)`` when `rowCount` is
    ///   negative or larger than the current row count.
    public func truncate(toRows rowCount: Int) throws {
        let id = handle.id, site = site
        try requireWritable(site)
        try HDF5Library.withLock {
            let extent = try Self.extent(id, site)
            guard !extent.shape.isEmpty, extent.maximum[0] == nil else {
                throw HDF5Error.notExtendible(file: site.file, object: site.object)
            }
            guard rowCount >= 0, rowCount <= extent.shape[0] else {
                throw HDF5Error.rowsOutOfRange(file: site.file, object: site.object,
                                               rows: 0..<max(rowCount, 0), rowCount: extent.shape[0])
            }
            var dims = ([rowCount] + extent.shape.dropFirst()).map { hsize_t($0) }
            try site.check(H5Dset_extent(id, &dims), "H5Dset_extent")
        }
    }

    // MARK: Helpers

    private func checkType<T: HDF5Scalar>(_: T.Type) throws {
        try site.checkLayout(of: T.self)
        guard elementType == T.elementType else {
            throw HDF5Error.elementTypeMismatch(file: site.file, object: site.object,
                                                requested: "\(T.self) (\(T.elementType))",
                                                stored: storedTypeDescription)
        }
    }

    /// Current and maximum dimensions (`nil` = unlimited). Call inside the lock.
    static func extent(_ id: hid_t, _ site: HDF5Site) throws -> (shape: [Int], maximum: [Int?]) {
        let space = try site.check(H5Dget_space(id), "H5Dget_space")
        defer { H5Sclose(space) }
        let rank = Int(try site.check(H5Sget_simple_extent_ndims(space), "H5Sget_simple_extent_ndims"))
        var dims = [hsize_t](repeating: 0, count: rank), maxDims = dims
        try site.check(H5Sget_simple_extent_dims(space, &dims, &maxDims), "H5Sget_simple_extent_dims")
        // A damaged file can declare extents beyond Int.max (they used to trap on conversion).
        guard dims.allSatisfy({ $0 <= hsize_t(Int.max) }),
              maxDims.allSatisfy({ $0 == ls_h5s_unlimited() || $0 <= hsize_t(Int.max) }) else {
            throw HDF5Error.shapeMismatch(file: site.file, object: site.object,
                                          detail: "extents \(dims) (maximum \(maxDims)) exceed Int.max; the file may be damaged")
        }
        return (dims.map { Int($0) }, maxDims.map { $0 == ls_h5s_unlimited() ? nil : Int($0) })
    }

    /// Chunk dimensions and deflate level from the creation properties. Call inside the lock.
    static func storage(_ id: hid_t, _ site: HDF5Site) throws -> (chunk: [Int]?, deflate: Int?) {
        let properties = try site.check(H5Dget_create_plist(id), "H5Dget_create_plist")
        defer { H5Pclose(properties) }
        guard H5Pget_layout(properties) == H5D_CHUNKED else { return (nil, nil) }
        var chunk = [hsize_t](repeating: 0, count: 32)
        let rank = Int(try site.check(H5Pget_chunk(properties, Int32(chunk.count), &chunk), "H5Pget_chunk"))
        let filters = try site.check(H5Pget_nfilters(properties), "H5Pget_nfilters")
        var deflate: Int?
        for index in 0..<UInt32(filters) {
            var flags: UInt32 = 0, valueCount = 8, config: UInt32 = 0
            var values = [UInt32](repeating: 0, count: 8)
            var name = [CChar](repeating: 0, count: 64)
            let filter = H5Pget_filter2(properties, index, &flags, &valueCount, &values, name.count, &name, &config)
            if filter == ls_h5z_filter_deflate() { deflate = valueCount > 0 ? Int(values[0]) : 6 }
        }
        return (chunk.prefix(rank).map { Int($0) }, deflate)
    }

    /// Throws unless `rows` lies within the first axis of `shape`. Pure Swift.
    static func checkRows(_ rows: Range<Int>, shape: [Int], _ site: HDF5Site) throws {
        guard !shape.isEmpty else {
            throw HDF5Error.invalidArgument(file: site.file, object: site.object,
                                            detail: "a scalar dataset has no rows")
        }
        guard rows.lowerBound >= 0, rows.upperBound <= shape[0] else {
            throw HDF5Error.rowsOutOfRange(file: site.file, object: site.object, rows: rows, rowCount: shape[0])
        }
    }

    /// A file dataspace with `rows` selected and a matching memory dataspace. Call inside the lock.
    static func selectRows(_ id: hid_t, _ rows: Range<Int>, shape: [Int], _ site: HDF5Site) throws
        -> (file: hid_t, memory: hid_t) {
        let fileSpace = try site.check(H5Dget_space(id), "H5Dget_space")
        var start = [hsize_t](repeating: 0, count: shape.count)
        start[0] = hsize_t(rows.lowerBound)
        var count = shape.map { hsize_t($0) }
        count[0] = hsize_t(rows.count)
        guard H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &start, nil, &count, nil) >= 0 else {
            let error = site.failure("H5Sselect_hyperslab")
            H5Sclose(fileSpace)
            throw error
        }
        let memorySpace = H5Screate_simple(Int32(count.count), &count, nil)
        guard memorySpace >= 0 else {
            let error = site.failure("H5Screate_simple")
            H5Sclose(fileSpace)
            throw error
        }
        return (fileSpace, memorySpace)
    }

    /// Writes `values` into `rows` (already within `shape`). Call inside the lock.
    static func writeRows<T: HDF5Scalar>(_ id: hid_t, _ values: [T], _ rows: Range<Int>, shape: [Int],
                                         _ site: HDF5Site) throws {
        let count = rows.count * shape.dropFirst().reduce(1, *)
        guard values.count == count else {
            throw HDF5Error.shapeMismatch(
                file: site.file, object: site.object,
                detail: "\(values.count) values for rows \(rows) of shape \(Array(shape.dropFirst())) (\(count) elements)")
        }
        guard count > 0 else { return }
        let (fileSpace, memorySpace) = try selectRows(id, rows, shape: shape, site)
        defer { H5Sclose(fileSpace); H5Sclose(memorySpace) }
        let status = values.withUnsafeBytes {
            H5Dwrite(id, T.elementType.nativeTypeID, memorySpace, fileSpace, ls_h5p_default(), $0.baseAddress)
        }
        try site.check(status, "H5Dwrite")
    }
}
