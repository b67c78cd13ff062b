import Dispatch

/// One neighbour found in a ``KDTree`` search.
public struct Neighbor: Sendable, Hashable {
    /// The point's index in the pool, as given to ``KDTree/init(points:dimension:)``.
    public var index: Int
    /// The Euclidean distance from the query to the point, in latent units.
    public var distance: Float

    /// Creates a neighbour record.
    public init(index: Int, distance: Float) {
        self.index = index
        self.distance = distance
    }
}

/// Why a nearest-neighbour index could not be built or searched.
public enum NearestNeighborError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The point dimension d is not positive.
    case invalidDimension(Int)
    /// A flat coordinate array whose length is not a multiple of the dimension d.
    case coordinateCountMismatch(count: Int, dimension: Int)
    /// The pool holds no points: no neighbour can exist.
    case emptyPool
    /// A NaN or infinite coordinate in pool point `point` (axis `axis`).
    case nonFinitePoolCoordinate(point: Int, axis: Int)
    /// A NaN or infinite coordinate in query `query` (axis `axis`).
    case nonFiniteQueryCoordinate(query: Int, axis: Int)
    /// An excluded index outside `0 ..< count`.
    case excludedIndexOutOfRange(index: Int, count: Int)
    /// Every pool point is excluded, so no neighbour is left to return.
    case allPointsExcluded

    /// A one-line message naming what was wrong.
    public var description: String {
        switch self {
        case let .invalidDimension(dimension):
            return "point dimension \(dimension) is not positive"
        case let .coordinateCountMismatch(count, dimension):
            return "\(count) coordinates do not make whole points of dimension \(dimension)"
        case .emptyPool:
            return "the pool of points is empty"
        case let .nonFinitePoolCoordinate(point, axis):
            return "pool point \(point) has a NaN or infinite coordinate on axis \(axis)"
        case let .nonFiniteQueryCoordinate(query, axis):
            return "query \(query) has a NaN or infinite coordinate on axis \(axis)"
        case let .excludedIndexOutOfRange(index, count):
            return "excluded index \(index) is outside the pool 0..<\(count)"
        case .allPointsExcluded:
            return "every point of the pool is excluded; no neighbour is left"
        }
    }
}

/// An exact nearest-neighbour index (a k-d tree) over a pool of points in ℝᵈ.
///
/// In SNN sampling (the paper's Algorithm 1) the pool is the embedded dataset
/// E(D), N points of the latent dimension d (3 by default), and each moved latent
/// point p' is replaced by the real sample whose code is nearest to p' in the
/// Euclidean norm. This index answers that question exactly, without any N×N
/// matrix: building takes O(N log N) time and O(N) memory, and a query in low
/// dimension visits O(log N) points on typical data.
///
/// **Ties** are broken deterministically: among points at the same distance the
/// lowest pool index wins (duplicates included). Distances are computed in
/// `Double` from the `Float` coordinates, so ties are exact ties of the inputs.
///
/// **Exclusion.** Every search can skip a set of pool indices, for instance the
/// samples already selected into the training set, so that the nearest
/// *unselected* sample is returned. Excluded points stay in the tree; the search
/// only ignores them as candidates, so excluding many points near a query makes
/// that query slower but never wrong.
///
/// The tree is immutable after construction and safe to share between threads.
public struct KDTree: Sendable {
    /// The dimension d of every point.
    public let dimension: Int
    /// The number of pool points, N.
    public let count: Int

    /// Points in tree order (count × dimension, row-major).
    private let points: [Float]
    /// Pool index of the point at each tree position.
    private let poolIndices: [Int]
    /// Splitting axis of the internal node whose median sits at each tree position.
    private let splitAxes: [UInt32]
    /// Ranges this small are leaves, searched by scanning.
    static let leafSize = 8

    /// Builds the index over `points`, a flat row-major array of N×d coordinates.
    ///
    /// Each internal node splits its points at the median along the axis of widest
    /// spread, found by a three-way-partition quickselect (median-of-three pivot,
    /// linear time on duplicates).
    ///
    /// - Parameters:
    ///   - points: N·d coordinates, point i at `points[i*d ..< (i+1)*d]`.
    ///   - dimension: d ≥ 1.
    /// - Throws: ``NearestNeighborError/invalidDimension(_:)``,
    ///   ``NearestNeighborError/coordinateCountMismatch(count:dimension:)``,
    ///   ``NearestNeighborError/emptyPool``, or
    ///   ``NearestNeighborError/nonFinitePoolCoordinate(point:axis:)`` for NaN or ±∞.
    public init(points: [Float], dimension: Int) throws(NearestNeighborError) {
        guard dimension >= 1, dimension <= Int(UInt32.max) else { throw .invalidDimension(dimension) }
        guard points.count % dimension == 0 else {
            throw .coordinateCountMismatch(count: points.count, dimension: dimension)
        }
        guard !points.isEmpty else { throw .emptyPool }
        if let bad = points.firstIndex(where: { !$0.isFinite }) {
            throw .nonFinitePoolCoordinate(point: bad / dimension, axis: bad % dimension)
        }
        let count = points.count / dimension
        var order = Array(0 ..< count)
        var axes = [UInt32](repeating: 0, count: count)
        points.withUnsafeBufferPointer { source in
            order.withUnsafeMutableBufferPointer { order in
                axes.withUnsafeMutableBufferPointer { axes in
                    var builder = TreeBuilder(points: source.baseAddress!, dimension: dimension,
                                              order: order.baseAddress!, axes: axes.baseAddress!)
                    builder.build(0, count)
                }
            }
        }
        var reordered = [Float](repeating: 0, count: points.count)
        reordered.withUnsafeMutableBufferPointer { target in
            points.withUnsafeBufferPointer { source in
                for (position, index) in order.enumerated() {
                    for axis in 0 ..< dimension {
                        target[position * dimension + axis] = source[index * dimension + axis]
                    }
                }
            }
        }
        self.dimension = dimension
        self.count = count
        self.points = reordered
        self.poolIndices = order
        self.splitAxes = axes
    }

    /// The nearest pool point to `query` that is not excluded.
    ///
    /// Checking `excluded` costs O(|excluded|) per call; for many queries against
    /// the same exclusion set, ``nearest(toEach:excluding:distinct:parallel:)`` checks it once.
    ///
    /// - Parameters:
    ///   - query: d coordinates (a moved latent point p').
    ///   - excluded: pool indices to skip (e.g. samples already selected).
    /// - Returns: the nearest point's pool index and its Euclidean distance; among
    ///   equally near points, the lowest index.
    /// - Throws: ``NearestNeighborError/coordinateCountMismatch(count:dimension:)`` when
    ///   `query.count != d`, ``NearestNeighborError/nonFiniteQueryCoordinate(query:axis:)``,
    ///   ``NearestNeighborError/excludedIndexOutOfRange(index:count:)``, or
    ///   ``NearestNeighborError/allPointsExcluded``.
    public func nearest(to query: [Float], excluding excluded: Set<Int> = []) throws(NearestNeighborError)
        -> Neighbor
    {
        guard query.count == dimension else {
            throw .coordinateCountMismatch(count: query.count, dimension: dimension)
        }
        try Self.checkFinite(query, dimension: dimension)
        try checkExclusion(excluded)
        return query.withUnsafeBufferPointer { query in
            excluded.isEmpty
                ? search(query.baseAddress!, NoExclusion())
                : search(query.baseAddress!, SetExclusion(set: excluded))
        }
    }

    /// The nearest pool point to each of a batch of queries.
    ///
    /// - Parameters:
    ///   - queries: M·d coordinates, query j at `queries[j*d ..< (j+1)*d]`.
    ///   - excluded: pool indices to skip for every query.
    ///   - distinct: when `true`, queries are answered in order and each answer is
    ///     excluded from the later ones, so the M answers are M different pool points
    ///     (greedy; SNN selection without duplicates). This runs sequentially.
    ///   - parallel: when `true` (and `distinct` is `false`), large batches are split
    ///     over the available cores. Results do not depend on this flag.
    /// - Returns: M neighbours, in query order.
    /// - Throws: as ``nearest(to:excluding:)``; ``NearestNeighborError/allPointsExcluded``
    ///   also when `distinct` asks for more answers than there are unexcluded points.
    public func nearest(
        toEach queries: [Float], excluding excluded: Set<Int> = [], distinct: Bool = false, parallel: Bool = true
    ) throws(NearestNeighborError) -> [Neighbor] {
        guard queries.count % dimension == 0 else {
            throw .coordinateCountMismatch(count: queries.count, dimension: dimension)
        }
        try Self.checkFinite(queries, dimension: dimension)
        try checkExclusion(excluded)
        let queryCount = queries.count / dimension
        if queryCount == 0 { return [] }
        var mask = [Bool](repeating: false, count: excluded.isEmpty && !distinct ? 0 : count)
        for index in excluded { mask[index] = true }

        if distinct {
            guard queryCount <= count - excluded.count else { throw .allPointsExcluded }
            var results: [Neighbor] = []
            results.reserveCapacity(queryCount)
            queries.withUnsafeBufferPointer { queries in
                mask.withUnsafeMutableBufferPointer { mask in
                    for query in 0 ..< queryCount {
                        let found = search(queries.baseAddress! + query * dimension,
                                           MaskExclusion(mask: UnsafePointer(mask.baseAddress!)))
                        mask[found.index] = true
                        results.append(found)
                    }
                }
            }
            return results
        }

        let chunkSize = 256
        let chunks = (queryCount + chunkSize - 1) / chunkSize
        return [Neighbor](unsafeUninitializedCapacity: queryCount) { output, initialized in
            queries.withUnsafeBufferPointer { queries in
                mask.withUnsafeBufferPointer { mask in
                    nonisolated(unsafe) let target = output.baseAddress!
                    nonisolated(unsafe) let source = queries.baseAddress!
                    // An empty array's buffer may still have a base address; no mask means no exclusion.
                    nonisolated(unsafe) let excludedMask = mask.isEmpty ? nil : mask.baseAddress
                    let answer: @Sendable (Int) -> Void = { chunk in
                        let end = min((chunk + 1) * chunkSize, queryCount)
                        for query in chunk * chunkSize ..< end {
                            let point = source + query * dimension
                            let found = excludedMask.map { search(point, MaskExclusion(mask: $0)) }
                                ?? search(point, NoExclusion())
                            (target + query).initialize(to: found)
                        }
                    }
                    if parallel && chunks > 1 {
                        DispatchQueue.concurrentPerform(iterations: chunks, execute: answer)
                    } else {
                        for chunk in 0 ..< chunks { answer(chunk) }
                    }
                }
            }
            initialized = queryCount
        }
    }

    // MARK: Validation

    private static func checkFinite(_ coordinates: [Float], dimension: Int) throws(NearestNeighborError) {
        if let bad = coordinates.firstIndex(where: { !$0.isFinite }) {
            throw .nonFiniteQueryCoordinate(query: bad / dimension, axis: bad % dimension)
        }
    }

    private func checkExclusion(_ excluded: Set<Int>) throws(NearestNeighborError) {
        if let bad = excluded.first(where: { $0 < 0 || $0 >= count }) {
            throw .excludedIndexOutOfRange(index: bad, count: count)
        }
        guard excluded.count < count else { throw .allPointsExcluded }
    }

    // MARK: Search

    /// Searches the whole tree; at least one point must not be excluded.
    private func search<Exclusion: ExclusionTest>(_ query: UnsafePointer<Float>, _ exclusion: Exclusion)
        -> Neighbor
    {
        points.withUnsafeBufferPointer { points in
            poolIndices.withUnsafeBufferPointer { indices in
                splitAxes.withUnsafeBufferPointer { axes in
                    var search = TreeSearch(
                        points: points.baseAddress!, indices: indices.baseAddress!, axes: axes.baseAddress!,
                        dimension: dimension, query: query, exclusion: exclusion)
                    search.visit(0, count)
                    return Neighbor(index: search.bestIndex, distance: Float(search.bestSquaredDistance.squareRoot()))
                }
            }
        }
    }
}

// MARK: - Building

/// Builds the implicit tree: the node over tree positions `lo ..< hi` has its median
/// point at `(lo + hi) / 2`, its left subtree over `lo ..< mid`, its right over
/// `mid + 1 ..< hi`, and its splitting axis stored at `axes[mid]`.
private struct TreeBuilder {
    let points: UnsafePointer<Float>
    let dimension: Int
    let order: UnsafeMutablePointer<Int>
    let axes: UnsafeMutablePointer<UInt32>

    func coordinate(_ position: Int, _ axis: Int) -> Float {
        points[order[position] * dimension + axis]
    }

    mutating func build(_ lo: Int, _ hi: Int) {
        guard hi - lo > KDTree.leafSize else { return }
        var axis = 0
        var widest: Float = -1
        for candidate in 0 ..< dimension {
            var low = Float.infinity, high = -Float.infinity
            for position in lo ..< hi {
                let value = coordinate(position, candidate)
                low = min(low, value)
                high = max(high, value)
            }
            if high - low > widest {
                widest = high - low
                axis = candidate
            }
        }
        let mid = (lo + hi) / 2
        select(mid, in: lo, hi, axis: axis)
        axes[mid] = UInt32(axis)
        build(lo, mid)
        build(mid + 1, hi)
    }

    /// Reorders `order[lo ..< hi]` so that position `k` holds the element of rank `k`
    /// along `axis`, everything before it is ≤ and everything after it is ≥.
    func select(_ k: Int, in lo: Int, _ hi: Int, axis: Int) {
        var lo = lo, hi = hi
        while hi - lo > 1 {
            let a = coordinate(lo, axis), b = coordinate((lo + hi) / 2, axis), c = coordinate(hi - 1, axis)
            let pivot = max(min(a, b), min(max(a, b), c))
            // Three-way partition: [lo, less) < pivot, [less, greater) == pivot, [greater, hi) > pivot.
            var less = lo, current = lo, greater = hi
            while current < greater {
                let value = coordinate(current, axis)
                if value < pivot {
                    order.swapAt(less, current)
                    less += 1
                    current += 1
                } else if value > pivot {
                    greater -= 1
                    order.swapAt(current, greater)
                } else {
                    current += 1
                }
            }
            if k < less {
                hi = less
            } else if k >= greater {
                lo = greater
            } else {
                return
            }
        }
    }
}

extension UnsafeMutablePointer {
    fileprivate func swapAt(_ i: Int, _ j: Int) {
        let held = self[i]
        self[i] = self[j]
        self[j] = held
    }
}

// MARK: - Searching

/// Which pool indices a search must skip.
private protocol ExclusionTest {
    func excludes(_ index: Int) -> Bool
}

private struct NoExclusion: ExclusionTest {
    func excludes(_ index: Int) -> Bool { false }
}

private struct SetExclusion: ExclusionTest {
    let set: Set<Int>
    func excludes(_ index: Int) -> Bool { set.contains(index) }
}

private struct MaskExclusion: ExclusionTest {
    let mask: UnsafePointer<Bool>
    func excludes(_ index: Int) -> Bool { mask[index] }
}

/// One depth-first branch-and-bound search for the nearest unexcluded point.
private struct TreeSearch<Exclusion: ExclusionTest> {
    let points: UnsafePointer<Float>
    let indices: UnsafePointer<Int>
    let axes: UnsafePointer<UInt32>
    let dimension: Int
    let query: UnsafePointer<Float>
    let exclusion: Exclusion
    var bestSquaredDistance = Double.infinity
    var bestIndex = Int.max

    mutating func consider(_ position: Int) {
        let index = indices[position]
        guard !exclusion.excludes(index) else { return }
        let point = points + position * dimension
        var squared = 0.0
        for axis in 0 ..< dimension {
            let difference = Double(query[axis]) - Double(point[axis])
            squared += difference * difference
        }
        if squared < bestSquaredDistance || (squared == bestSquaredDistance && index < bestIndex) {
            bestSquaredDistance = squared
            bestIndex = index
        }
    }

    mutating func visit(_ lo: Int, _ hi: Int) {
        if hi - lo <= KDTree.leafSize {
            for position in lo ..< hi { consider(position) }
            return
        }
        let mid = (lo + hi) / 2
        consider(mid)
        let axis = Int(axes[mid])
        let offset = Double(query[axis]) - Double(points[mid * dimension + axis])
        // Points left of `mid` have coordinate ≤ the split, right ones ≥; the far side
        // lies at least |offset| away. `<=` keeps equally near, lower-index points reachable.
        if offset < 0 {
            visit(lo, mid)
            if offset * offset <= bestSquaredDistance { visit(mid + 1, hi) }
        } else {
            visit(mid + 1, hi)
            if offset * offset <= bestSquaredDistance { visit(lo, mid) }
        }
    }
}
