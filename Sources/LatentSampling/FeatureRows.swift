import Dispatch

/// A dense N×D matrix of Float32 rows, stored row-major: one feature vector per sample
/// (class probabilities, a network's penultimate embedding, latent codes).
///
/// The active-learning strategies work on these; their distance helpers compute in
/// blocks of rows, so no N×N matrix is ever formed.
public struct FeatureRows: Sendable, Hashable {
    /// The number of columns D.
    public let columns: Int
    /// All values, row after row.
    public private(set) var values: [Float]

    /// The number of rows N.
    public var count: Int { columns == 0 ? 0 : values.count / columns }

    /// Rows from flat values.
    ///
    /// - Precondition: `columns > 0` and `values.count` is a multiple of it.
    public init(columns: Int, values: [Float]) {
        precondition(columns > 0, "feature rows need at least one column, not \(columns)")
        precondition(values.count % columns == 0, "\(values.count) values do not make whole rows of \(columns)")
        self.columns = columns
        self.values = values
    }

    /// Latent codes as feature rows (one row per point, D = d).
    public init(_ points: LatentPoints) {
        self.init(columns: points.dimension, values: points.values)
    }

    /// Row `index`.
    public func row(_ index: Int) -> ArraySlice<Float> {
        precondition(index >= 0 && index < count, "row \(index) is outside 0..<\(count)")
        return values[index * columns ..< (index + 1) * columns]
    }

    /// The rows at `indices`, in that order.
    public func selecting(_ indices: [Int]) -> FeatureRows {
        var selected: [Float] = []
        selected.reserveCapacity(indices.count * columns)
        for index in indices { selected.append(contentsOf: row(index)) }
        return FeatureRows(columns: columns, values: selected)
    }

    /// Appends the rows of `other`, which must have as many columns.
    public mutating func append(contentsOf other: FeatureRows) {
        precondition(other.columns == columns, "cannot append rows of \(other.columns) columns to rows of \(columns)")
        values.append(contentsOf: other.values)
    }

    /// The squared Euclidean norm of every row.
    public var squaredNorms: [Float] {
        (0..<count).map { i in
            var s: Float = 0
            for v in row(i) { s += v * v }
            return s
        }
    }

    /// The squared Euclidean distance from every row to row `index` of `other`.
    public func squaredDistances(to index: Int, of other: FeatureRows) -> [Float] {
        precondition(other.columns == columns, "rows of \(columns) and \(other.columns) columns")
        let d = columns
        return values.withUnsafeBufferPointer { mine in
            other.values.withUnsafeBufferPointer { theirs in
                let q = theirs.baseAddress! + index * d
                return (0..<count).map { i in
                    let r = mine.baseAddress! + i * d
                    var s: Float = 0
                    for j in 0..<d { let t = r[j] - q[j]; s += t * t }
                    return s
                }
            }
        }
    }

    /// For every row, the squared Euclidean distance to the nearest row of `centers`
    /// (+∞ when `centers` is empty), computed as ‖a‖² + ‖b‖² − 2 a·b (clamped at zero) in
    /// blocks of `blockSize` rows spread over the cores: memory O(N + |centers|), never N×N.
    public func minimumSquaredDistances(to centers: FeatureRows, blockSize: Int = 1024) -> [Float] {
        nearestCenters(centers, blockSize: blockSize).distances
    }

    /// For every row, the nearest row of `centers` (ties: the smaller one; −1 when
    /// `centers` is empty) and the squared distance to it, computed as
    /// ``minimumSquaredDistances(to:blockSize:)`` does.
    ///
    /// Plain Swift, so the core needs no BLAS: the dot products of one row with four
    /// centers at a time in 8-wide SIMD sums, blocks of rows on all cores. (20,000 rows ×
    /// 1,000 centers × 128 columns: 0.65 s, against 0.28 s for the earlier search on
    /// OpenBLAS's sgemm; 2 shared cores, load average 8.)
    public func nearestCenters(_ centers: FeatureRows, blockSize: Int = 1024) -> (indices: [Int], distances: [Float]) {
        precondition(centers.columns == columns, "rows of \(columns) and centers of \(centers.columns) columns")
        precondition(blockSize > 0, "block size \(blockSize) is not positive")
        let n = count, m = centers.count, d = columns
        guard m > 0, n > 0 else {
            return ([Int](repeating: -1, count: n), [Float](repeating: .infinity, count: n))
        }
        let rowNorms = squaredNorms, centerNorms = centers.squaredNorms
        var distances = [Float](repeating: .infinity, count: n)
        var nearest = [Int](repeating: -1, count: n)
        let blocks = (n + blockSize - 1) / blockSize
        values.withUnsafeBufferPointer { rows in
            centers.values.withUnsafeBufferPointer { centerValues in
                rowNorms.withUnsafeBufferPointer { rowNorms in
                    centerNorms.withUnsafeBufferPointer { centerNorms in
                        distances.withUnsafeMutableBufferPointer { distanceOutput in
                            nearest.withUnsafeMutableBufferPointer { indexOutput in
                                nonisolated(unsafe) let kernel = NearestCenterKernel(
                                    rows: rows.baseAddress!, centers: centerValues.baseAddress!, centerCount: m,
                                    columns: d, rowNorms: rowNorms.baseAddress!, centerNorms: centerNorms.baseAddress!,
                                    distances: distanceOutput.baseAddress!, indices: indexOutput.baseAddress!)
                                let searchBlock: @Sendable (Int) -> Void = { block in
                                    kernel.search(rows: block * blockSize ..< Swift.min((block + 1) * blockSize, n))
                                }
                                if blocks > 1 && n * m * d >= 1 << 20 {
                                    DispatchQueue.concurrentPerform(iterations: blocks, execute: searchBlock)
                                } else {
                                    for block in 0..<blocks { searchBlock(block) }
                                }
                            }
                        }
                    }
                }
            }
        }
        return (nearest, distances)
    }
}

/// The inner loops of ``FeatureRows/nearestCenters(_:blockSize:)`` over raw buffers that
/// outlive every call of ``search(rows:)``.
private struct NearestCenterKernel {
    let rows: UnsafePointer<Float>, centers: UnsafePointer<Float>
    let centerCount: Int, columns: Int
    let rowNorms: UnsafePointer<Float>, centerNorms: UnsafePointer<Float>
    let distances: UnsafeMutablePointer<Float>, indices: UnsafeMutablePointer<Int>

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }

    /// Writes the nearest center and its squared distance for every row in `range`.
    /// (Sums are `s += x * y`, not `addProduct`: without FMA in the compile target,
    /// `addProduct` is a scalar `fmaf` call per lane, 30 times slower.)
    func search(rows range: Range<Int>) {
        let d = columns, m = centerCount, d8 = columns & ~7
        for i in range {
            let row = rows + i * d
            var best = Float.infinity, bestIndex = 0
            var j = 0
            while j + 4 <= m {
                let c0 = centers + j * d, c1 = c0 + d, c2 = c1 + d, c3 = c2 + d
                var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
                var k = 0
                while k < d8 {
                    let x = Self.load(row + k)
                    s0 += x * Self.load(c0 + k); s1 += x * Self.load(c1 + k)
                    s2 += x * Self.load(c2 + k); s3 += x * Self.load(c3 + k)
                    k += 8
                }
                var dots = SIMD4<Float>(s0.sum(), s1.sum(), s2.sum(), s3.sum())
                while k < d {
                    let x = row[k]
                    dots += SIMD4(x * c0[k], x * c1[k], x * c2[k], x * c3[k])
                    k += 1
                }
                for t in 0..<4 {
                    let distance = rowNorms[i] + centerNorms[j + t] - 2 * dots[t]
                    if distance < best { best = distance; bestIndex = j + t }
                }
                j += 4
            }
            while j < m {
                let c = centers + j * d
                var s = SIMD8<Float>()
                var k = 0
                while k < d8 { s += Self.load(row + k) * Self.load(c + k); k += 8 }
                var dot = s.sum()
                while k < d { dot += row[k] * c[k]; k += 1 }
                let distance = rowNorms[i] + centerNorms[j] - 2 * dot
                if distance < best { best = distance; bestIndex = j }
                j += 1
            }
            distances[i] = Swift.max(0, best)
            indices[i] = bestIndex
        }
    }
}

extension FeatureRows {
    /// k-center greedy (Gonzalez, 1985): `count` rows, each the one farthest
    /// (Euclidean) from `centers` and the rows chosen before it (ties: the smaller row).
    /// Its cover radius is at most twice the best of any `count` rows.
    ///
    /// - Returns: the chosen rows in order, and the cover radius afterwards (the
    ///   largest distance from a row to its nearest center or chosen row).
    public func kCenterGreedy(count: Int, around centers: FeatureRows) -> (rows: [Int], radius: Float) {
        var distances = minimumSquaredDistances(to: centers)
        var chosen: [Int] = []
        for _ in 0..<Swift.min(count, self.count) {
            var best = 0
            for i in distances.indices where distances[i] > distances[best] { best = i }
            chosen.append(best)
            let update = squaredDistances(to: best, of: self)
            for i in distances.indices where update[i] < distances[i] { distances[i] = update[i] }
            distances[best] = 0
        }
        return (chosen, (distances.max() ?? 0).squareRoot())
    }
}

/// A target model that gives class probabilities: what the uncertainty strategies
/// (least confidence, margin, entropy) need.
public protocol ClassProbabilityModel: TargetModel {
    /// softmax(F(x)) in evaluation mode: one row of K class probabilities per sample.
    func classProbabilities(_ samples: SampleBatch) throws -> FeatureRows
}

/// A target model that exposes its penultimate-layer embedding h(x), the input of its
/// last (linear) layer: what core-set and TypiClust on the model's features need, and,
/// with the probabilities, BADGE's gradient embeddings.
public protocol EmbeddingModel: ClassProbabilityModel {
    /// h(x) and softmax(F(x)) from one forward pass in evaluation mode.
    func embeddingsAndProbabilities(_ samples: SampleBatch) throws -> (embeddings: FeatureRows, probabilities: FeatureRows)
}

/// A target model that can predict with Monte-Carlo dropout: what BALD needs.
public protocol MonteCarloDropoutModel: ClassProbabilityModel {
    /// `passes` stochastic forward passes with dropout active (weights fixed), each one
    /// row of K class probabilities per sample. `seed` fixes the dropout masks.
    func dropoutProbabilities(_ samples: SampleBatch, passes: Int, seed: UInt64) throws -> [FeatureRows]
}

extension EmbeddingModel {
    /// The per-sample gradient of the cross-entropy at the predicted label ŷ with respect
    /// to the last linear layer's weights, in factored form: g = a ⊗ h with
    /// a = p − e_ŷ (K values) and h the penultimate embedding (D values). This is BADGE's
    /// gradient embedding (Ash et al., 2020) for a softmax classifier whose last layer is
    /// linear; ‖g‖ = ‖a‖·‖h‖ and g·g' = (a·a')(h·h'), so the K·D vector is never formed.
    public func gradientEmbeddingFactors(_ samples: SampleBatch) throws -> (logitGradients: FeatureRows, embeddings: FeatureRows) {
        let (embeddings, probabilities) = try embeddingsAndProbabilities(samples)
        var a = probabilities.values
        let k = probabilities.columns
        for i in 0..<probabilities.count {
            var best = 0
            for j in 1..<k where a[i * k + j] > a[i * k + best] { best = j }
            a[i * k + best] -= 1
        }
        return (FeatureRows(columns: k, values: a), embeddings)
    }
}
