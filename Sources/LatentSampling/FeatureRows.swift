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
    /// (+∞ when `centers` is empty), computed directly as Σₖ (aₖ − bₖ)² in blocks of
    /// `blockSize` rows spread over the cores: memory O(N + |centers|), never N×N.
    public func minimumSquaredDistances(to centers: FeatureRows, blockSize: Int = 1024) -> [Float] {
        nearestCenters(centers, blockSize: blockSize).distances
    }

    /// For every row, the nearest row of `centers` (ties: the smaller one; −1 when
    /// `centers` is empty) and the squared distance to it, computed as
    /// ``minimumSquaredDistances(to:blockSize:)`` does.
    ///
    /// Plain Swift (8-wide SIMD sums, blocks of rows on all cores), so the core needs no BLAS.
    public func nearestCenters(_ centers: FeatureRows, blockSize: Int = 1024) -> (indices: [Int], distances: [Float]) {
        precondition(centers.columns == columns, "rows of \(columns) and centers of \(centers.columns) columns")
        precondition(blockSize > 0, "block size \(blockSize) is not positive")
        let n = count, m = centers.count, d = columns
        guard m > 0, n > 0 else {
            return ([Int](repeating: -1, count: n), [Float](repeating: .infinity, count: n))
        }
        var distances = [Float](repeating: .infinity, count: n)
        var nearest = [Int](repeating: -1, count: n)
        let blocks = (n + blockSize - 1) / blockSize
        values.withUnsafeBufferPointer { rows in
            centers.values.withUnsafeBufferPointer { centerValues in
                distances.withUnsafeMutableBufferPointer { distanceOutput in
                    nearest.withUnsafeMutableBufferPointer { indexOutput in
                        nonisolated(unsafe) let a = rows.baseAddress!
                        nonisolated(unsafe) let b = centerValues.baseAddress!
                        nonisolated(unsafe) let distanceTarget = distanceOutput.baseAddress!
                        nonisolated(unsafe) let indexTarget = indexOutput.baseAddress!
                        let searchBlock: @Sendable (Int) -> Void = { block in
                            for i in block * blockSize ..< Swift.min((block + 1) * blockSize, n) {
                                let row = a + i * d
                                var best = Float.infinity, bestIndex = 0
                                for j in 0..<m {
                                    let s = Self.squaredDistance(row, b + j * d, count: d)
                                    if s < best { best = s; bestIndex = j }
                                }
                                distanceTarget[i] = best
                                indexTarget[i] = bestIndex
                            }
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
        return (nearest, distances)
    }

    /// Σₖ (xₖ − yₖ)² over `count` values, eight at a time.
    @inline(__always)
    static func squaredDistance(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        var k = 0
        var sum = SIMD8<Float>()
        while k + 8 <= count {
            let difference = UnsafeRawPointer(x + k).loadUnaligned(as: SIMD8<Float>.self)
                - UnsafeRawPointer(y + k).loadUnaligned(as: SIMD8<Float>.self)
            sum.addProduct(difference, difference)
            k += 8
        }
        var total = sum.sum()
        while k < count {
            let t = x[k] - y[k]
            total += t * t
            k += 1
        }
        return total
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
