/// A batch of samples of one shape, stored contiguously as Float32 in row-major
/// order (N×C×H×W for images): the currency between the sampling core and the
/// models it drives.
///
/// The core never looks inside a sample; it selects, concatenates and hands
/// batches to a ``LatentEncoder``, a ``Generator`` or a ``TargetModel``.
public struct SampleBatch: Sendable, Hashable {
    /// The shape of one sample, e.g. `[1, 28, 28]`.
    public let sampleShape: [Int]
    /// All values, sample after sample.
    public private(set) var values: [Float]

    /// The number of scalars in one sample (the product of ``sampleShape``).
    public var scalarsPerSample: Int { sampleShape.reduce(1, *) }
    /// The number of samples, N.
    public var count: Int { scalarsPerSample == 0 ? 0 : values.count / scalarsPerSample }
    /// The shape of the whole batch, `[N] + sampleShape`.
    public var shape: [Int] { [count] + sampleShape }

    /// Creates a batch from flat values.
    ///
    /// - Precondition: `values.count` is a multiple of the sample size.
    public init(sampleShape: [Int], values: [Float]) {
        precondition(sampleShape.allSatisfy { $0 > 0 }, "sample shape \(sampleShape) has a non-positive extent")
        let size = sampleShape.reduce(1, *)
        precondition(values.count % size == 0,
                     "\(values.count) values do not make whole samples of shape \(sampleShape)")
        self.sampleShape = sampleShape
        self.values = values
    }

    /// An empty batch of samples of the given shape.
    public init(sampleShape: [Int]) {
        self.init(sampleShape: sampleShape, values: [])
    }

    /// The values of sample `index`.
    public func sample(at index: Int) -> [Float] {
        precondition(index >= 0 && index < count, "sample index \(index) is outside 0..<\(count)")
        let size = scalarsPerSample
        return Array(values[index * size ..< (index + 1) * size])
    }

    /// The samples at `indices`, in that order (repeats allowed).
    public func selecting(_ indices: [Int]) -> SampleBatch {
        let size = scalarsPerSample, n = count
        var selected = [Float](repeating: 0, count: indices.count * size)
        values.withUnsafeBufferPointer { source in
            selected.withUnsafeMutableBufferPointer { target in
                for (row, index) in indices.enumerated() {
                    precondition(index >= 0 && index < n, "sample index \(index) is outside 0..<\(n)")
                    let from = source.baseAddress! + index * size
                    (target.baseAddress! + row * size).update(from: from, count: size)
                }
            }
        }
        return SampleBatch(sampleShape: sampleShape, values: selected)
    }

    /// Appends the samples of `other`, which must have the same sample shape.
    public mutating func append(contentsOf other: SampleBatch) {
        precondition(other.sampleShape == sampleShape,
                     "cannot append samples of shape \(other.sampleShape) to a batch of shape \(sampleShape)")
        values.append(contentsOf: other.values)
    }

    /// Appends one sample given by its values.
    public mutating func append(sample: [Float]) {
        precondition(sample.count == scalarsPerSample,
                     "a sample of \(sample.count) values does not have shape \(sampleShape)")
        values.append(contentsOf: sample)
    }
}

/// Points in a d-dimensional latent space, stored row-major (N×d): the codes
/// p = E(x) of real samples, or the codes z from which a generator synthesizes.
public struct LatentPoints: Sendable, Hashable {
    /// The latent dimension d (3 by default in the paper).
    public let dimension: Int
    /// All coordinates, point after point.
    public private(set) var values: [Float]

    /// The number of points, N.
    public var count: Int { values.count / dimension }

    /// Creates points from flat coordinates.
    ///
    /// - Precondition: `dimension > 0` and `values.count` is a multiple of it.
    public init(dimension: Int, values: [Float]) {
        precondition(dimension > 0, "latent dimension \(dimension) is not positive")
        precondition(values.count % dimension == 0,
                     "\(values.count) coordinates do not make whole points of dimension \(dimension)")
        self.dimension = dimension
        self.values = values
    }

    /// The coordinates of point `index`.
    public func point(at index: Int) -> [Float] {
        precondition(index >= 0 && index < count, "point index \(index) is outside 0..<\(count)")
        return Array(values[index * dimension ..< (index + 1) * dimension])
    }

    /// The points at `indices`, in that order.
    public func selecting(_ indices: [Int]) -> LatentPoints {
        var selected: [Float] = []
        selected.reserveCapacity(indices.count * dimension)
        for index in indices { selected.append(contentsOf: point(at: index)) }
        return LatentPoints(dimension: dimension, values: selected)
    }

    /// Appends the points of `other`, which must have the same dimension.
    public mutating func append(contentsOf other: LatentPoints) {
        precondition(other.dimension == dimension,
                     "cannot append \(other.dimension)-D points to \(dimension)-D points")
        values.append(contentsOf: other.values)
    }
}
