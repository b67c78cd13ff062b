import CHDF5

/// The element types this module reads and writes, as stored in the file.
///
/// Files store them little-endian in IEEE or two's-complement form (`<f4`, `<f8`,
/// `<i4`, `<i8`, `|u1` in NumPy's notation); any byte order is accepted when reading.
public enum HDF5ElementType: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// 32-bit IEEE float (`Float`, NumPy `float32`).
    case float32
    /// 64-bit IEEE float (`Double`, NumPy `float64`).
    case float64
    /// 32-bit signed integer (`Int32`, NumPy `int32`).
    case int32
    /// 64-bit signed integer (`Int64` or `Int`, NumPy `int64`).
    case int64
    /// 8-bit unsigned integer (`UInt8`, NumPy `uint8`), e.g. image pixels or masks.
    case uint8

    /// Bytes per element.
    public var byteCount: Int {
        switch self {
        case .float32, .int32: return 4
        case .float64, .int64: return 8
        case .uint8: return 1
        }
    }

    /// The type's name, e.g. `"float32"`.
    public var description: String { rawValue }

    /// The native (in-memory) HDF5 type. Call inside the lock; do not close the id.
    var nativeTypeID: hid_t {
        switch self {
        case .float32: return ls_h5t_native_float()
        case .float64: return ls_h5t_native_double()
        case .int32: return ls_h5t_native_int32()
        case .int64: return ls_h5t_native_int64()
        case .uint8: return ls_h5t_native_uint8()
        }
    }

    /// The HDF5 type written to files (little-endian). Call inside the lock; do not close the id.
    var fileTypeID: hid_t {
        switch self {
        case .float32: return ls_h5t_ieee_f32le()
        case .float64: return ls_h5t_ieee_f64le()
        case .int32: return ls_h5t_std_i32le()
        case .int64: return ls_h5t_std_i64le()
        case .uint8: return ls_h5t_std_u8le()
        }
    }

    /// Classifies a stored HDF5 type: one of the five cases, or `nil` with a description
    /// of the unsupported type (e.g. `"16-bit signed integer"`). Call inside the lock.
    static func classify(_ type: hid_t) -> (HDF5ElementType?, String) {
        let size = H5Tget_size(type)
        switch H5Tget_class(type) {
        case H5T_FLOAT:
            switch size {
            case 4: return (.float32, "float32")
            case 8: return (.float64, "float64")
            default: return (nil, "\(size * 8)-bit float")
            }
        case H5T_INTEGER:
            let signed = H5Tget_sign(type) == H5T_SGN_2
            switch (signed, size) {
            case (true, 4): return (.int32, "int32")
            case (true, 8): return (.int64, "int64")
            case (false, 1): return (.uint8, "uint8")
            default: return (nil, "\(size * 8)-bit \(signed ? "signed" : "unsigned") integer")
            }
        case H5T_STRING: return (nil, "string")
        case H5T_COMPOUND: return (nil, "compound")
        case H5T_ENUM: return (nil, "enum")
        case H5T_ARRAY: return (nil, "array")
        case H5T_VLEN: return (nil, "variable-length sequence")
        case H5T_OPAQUE: return (nil, "opaque")
        case H5T_REFERENCE: return (nil, "reference")
        case H5T_BITFIELD: return (nil, "bitfield")
        default: return (nil, "unknown type")
        }
    }
}

/// A Swift number type that maps one-to-one onto an HDF5 element type.
///
/// `Float`, `Double`, `Int32`, `Int64`, `Int` (stored as 64-bit) and `UInt8` conform.
/// Do not add conformances: the module copies values as raw memory of
/// ``HDF5ElementType/byteCount`` bytes each (it checks the size and throws
/// ``HDF5Error/invalidArgument(file:object:detail:)`` on a mismatch).
public protocol HDF5Scalar: Sendable, BitwiseCopyable {
    /// The element type this Swift type is stored as.
    static var elementType: HDF5ElementType { get }
}

extension Float: HDF5Scalar {
    /// Stored as ``HDF5ElementType/float32``.
    public static var elementType: HDF5ElementType { .float32 }
}

extension Double: HDF5Scalar {
    /// Stored as ``HDF5ElementType/float64``.
    public static var elementType: HDF5ElementType { .float64 }
}

extension Int32: HDF5Scalar {
    /// Stored as ``HDF5ElementType/int32``.
    public static var elementType: HDF5ElementType { .int32 }
}

extension Int64: HDF5Scalar {
    /// Stored as ``HDF5ElementType/int64``.
    public static var elementType: HDF5ElementType { .int64 }
}

extension Int: HDF5Scalar {
    /// Stored as ``HDF5ElementType/int64`` (on 64-bit platforms, the only ones supported).
    public static var elementType: HDF5ElementType { .int64 }
}

extension UInt8: HDF5Scalar {
    /// Stored as ``HDF5ElementType/uint8``.
    public static var elementType: HDF5ElementType { .uint8 }
}

extension HDF5Site {
    /// Throws unless `T`'s memory layout matches its declared element type.
    func checkLayout<T: HDF5Scalar>(of _: T.Type) throws {
        guard MemoryLayout<T>.stride == T.elementType.byteCount else {
            throw HDF5Error.invalidArgument(
                file: file, object: object,
                detail: "\(T.self) has \(MemoryLayout<T>.stride) bytes but claims \(T.elementType)")
        }
    }
}
