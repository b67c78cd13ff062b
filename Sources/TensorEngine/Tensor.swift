/// A dense, contiguous, row-major array of `Float` values with a shape.
///
/// Images are stored NCHW: batch, channels, height, width, with the width varying
/// fastest. `Tensor` is a value type (copy-on-write through its `scalars` array), so
/// passing it around is cheap and mutation never leaks into another copy.
///
/// Operations check shapes with preconditions whose messages name the operation and
/// the shapes involved: a shape mismatch is a programming error, like an array index
/// out of range. Data that comes from outside the program (files, user input) should
/// go through ``Tensor/init(validatingShape:scalars:)``, which throws instead.
public struct Tensor: Sendable, Equatable, CustomStringConvertible {
    /// The extent of each dimension, outermost first (for images: N, C, H, W).
    public private(set) var shape: [Int]
    /// The values in row-major order; `scalars.count == shape.reduce(1, *)`.
    public var scalars: [Float]

    /// Creates a tensor from a shape and its row-major values.
    ///
    /// - Precondition: every dimension is ≥ 0 and `scalars.count` equals the product of `shape`.
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in shape \(shape)")
        precondition(
            scalars.count == Tensor.elementCount(shape),
            "Tensor: \(scalars.count) values do not fill shape \(shape) (\(Tensor.elementCount(shape)) needed)")
        self.shape = shape
        self.scalars = scalars
    }

    /// Creates a tensor from untrusted data, throwing ``TensorError/shapeMismatch(operation:expected:actual:)``
    /// when the values do not fill the shape or a dimension is negative.
    public init(validatingShape shape: [Int], scalars: [Float]) throws {
        guard shape.allSatisfy({ $0 >= 0 }), scalars.count == Tensor.elementCount(shape) else {
            throw TensorError.shapeMismatch(
                operation: "Tensor(validatingShape:scalars:)", expected: shape, actual: [scalars.count])
        }
        self.shape = shape
        self.scalars = scalars
    }

    /// Creates a tensor of the given shape with every element equal to `value`.
    public init(shape: [Int], repeating value: Float) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in shape \(shape)")
        self.shape = shape
        self.scalars = [Float](repeating: value, count: Tensor.elementCount(shape))
    }

    /// Creates a tensor of zeros.
    public init(zeros shape: [Int]) { self.init(shape: shape, repeating: 0) }

    /// Creates a rank-0 tensor holding one value.
    public init(scalar value: Float) { self.init(shape: [], scalars: [value]) }

    /// Number of elements (the product of the shape).
    @inlinable public var count: Int { scalars.count }
    /// Number of dimensions.
    @inlinable public var rank: Int { shape.count }

    /// The only value of a one-element tensor.
    public var scalar: Float {
        precondition(count == 1, "Tensor.scalar: tensor of shape \(shape) has \(count) elements, not 1")
        return scalars[0]
    }

    /// The same values viewed with another shape of equal element count (no copy).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(
            Tensor.elementCount(newShape) == count,
            "Tensor.reshaped: cannot view \(shape) (\(count) elements) as \(newShape)")
        var copy = self
        copy.shape = newShape
        return copy
    }

    /// Product of the dimensions of `shape` (1 for a scalar).
    @inlinable public static func elementCount(_ shape: [Int]) -> Int { shape.reduce(1, *) }

    public var description: String {
        let preview = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(preview)\(count > 8 ? ", …" : "")])"
    }

    // MARK: In-place arithmetic used by optimizers and gradient accumulation

    /// Adds `other` element-wise into `self` (shapes must have equal element counts).
    public mutating func add(_ other: Tensor) {
        precondition(other.count == count, "Tensor.add: shapes \(shape) and \(other.shape) differ")
        scalars.withUnsafeMutableBufferPointer { a in
            other.scalars.withUnsafeBufferPointer { b in
                for i in 0..<a.count { a[i] += b[i] }
            }
        }
    }

    /// Multiplies every element by `factor`.
    public mutating func scale(by factor: Float) {
        scalars.withUnsafeMutableBufferPointer { a in
            for i in 0..<a.count { a[i] *= factor }
        }
    }

    /// Sets every element to zero, keeping the storage.
    public mutating func setZero() {
        scalars.withUnsafeMutableBufferPointer { a in
            a.update(repeating: 0)
        }
    }

    /// Sum of all elements, accumulated in `Double`.
    public func sum() -> Double {
        scalars.withUnsafeBufferPointer { a in
            var s = 0.0
            for v in a { s += Double(v) }
            return s
        }
    }

    /// Largest absolute element-wise difference to `other` (same element count).
    public func maxAbsoluteDifference(to other: Tensor) -> Float {
        precondition(other.count == count, "Tensor.maxAbsoluteDifference: shapes \(shape) and \(other.shape) differ")
        var m: Float = 0
        for i in 0..<count { m = Swift.max(m, abs(scalars[i] - other.scalars[i])) }
        return m
    }
}

/// Errors raised when tensors are built from untrusted data.
public enum TensorError: Error, Equatable, CustomStringConvertible {
    /// The data did not match the shape required by `operation`.
    case shapeMismatch(operation: String, expected: [Int], actual: [Int])
    /// A value was outside the allowed range (e.g. a class label ≥ the class count).
    case valueOutOfRange(operation: String, detail: String)

    public var description: String {
        switch self {
        case let .shapeMismatch(op, expected, actual):
            return "\(op): expected shape \(expected), got \(actual)"
        case let .valueOutOfRange(op, detail):
            return "\(op): \(detail)"
        }
    }
}

/// A `[Float]` of `count` elements whose contents are unspecified: for buffers that the
/// caller overwrites completely (saves the zero-fill pass of `[Float](repeating:count:)`).
@inlinable
func uninitializedFloats(_ count: Int) -> [Float] {
    [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
}
