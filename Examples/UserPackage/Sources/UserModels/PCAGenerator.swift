import LatentSampling

/// A linear generator and encoder fitted by principal component analysis: the first
/// d principal directions of a pool, scaled so that codes z ~ N(0, I) give samples with
/// the pool's spread along them.
///
/// G(z) = μ + V diag(σ) z and E(x) = diag(1/σ) Vᵀ (x − μ), with V the top d eigenvectors
/// of the pool's covariance and σₖ² their eigenvalues. G is linear, so its pullback is
/// exact: J_G(z)ᵀ v = diag(σ) Vᵀ v at every z.
public struct PCAGenerator: LatentEncoder, Generator, Sendable {
    /// The latent dimension d: the number of principal directions kept.
    public let latentDimension: Int
    /// The shape of one sample.
    public let sampleShape: [Int]
    /// The pool mean μ (one value per scalar of a sample).
    public let mean: [Float]
    /// The principal directions, row k = direction k (d × D, unit length, orthogonal).
    public let directions: [[Float]]
    /// σₖ, the standard deviation of the pool along direction k (the square root of its eigenvalue).
    public let scales: [Float]
    /// The fraction of the pool's variance the kept directions explain, in [0, 1].
    public let explainedVariance: Double

    /// Fits the first `latentDimension` principal directions of `pool`.
    ///
    /// - Throws: ``PCAError`` when the pool has fewer than two samples or too few
    ///   directions with non-zero variance.
    public init(fittedTo pool: SampleBatch, latentDimension: Int) throws {
        let n = pool.count, size = pool.scalarsPerSample
        guard n >= 2 else { throw PCAError.tooFewSamples(n) }
        guard latentDimension > 0, latentDimension <= size else {
            throw PCAError.invalidLatentDimension(latentDimension, sampleSize: size)
        }
        var mean = [Double](repeating: 0, count: size)
        for i in 0..<n { for (j, v) in pool.sample(at: i).enumerated() { mean[j] += Double(v) / Double(n) } }
        var covariance = [[Double]](repeating: [Double](repeating: 0, count: size), count: size)
        for i in 0..<n {
            let x = pool.sample(at: i).enumerated().map { Double($0.element) - mean[$0.offset] }
            for a in 0..<size { for b in a..<size { covariance[a][b] += x[a] * x[b] / Double(n - 1) } }
        }
        for a in 0..<size { for b in 0..<a { covariance[a][b] = covariance[b][a] } }
        let (values, vectors) = SymmetricEigen.decompose(covariance)
        let order = values.indices.sorted { values[$0] > values[$1] }.prefix(latentDimension)
        guard let smallest = order.last, values[smallest] > 1e-12 else {
            throw PCAError.degenerate(keptVariance: order.last.map { values[$0] } ?? 0)
        }
        self.latentDimension = latentDimension
        self.sampleShape = pool.sampleShape
        self.mean = mean.map(Float.init)
        self.directions = order.map { k in vectors.map { Float($0[k]) } }
        self.scales = order.map { Float(values[$0].squareRoot()) }
        self.explainedVariance = order.map { values[$0] }.reduce(0, +) / max(values.reduce(0, +), .leastNonzeroMagnitude)
    }

    /// E(x) = diag(1/σ) Vᵀ (x − μ), one code per sample.
    public func encode(_ samples: SampleBatch) throws -> LatentPoints {
        var codes: [Float] = []
        codes.reserveCapacity(samples.count * latentDimension)
        for i in 0..<samples.count {
            let x = samples.sample(at: i)
            for k in 0..<latentDimension {
                var dot: Float = 0
                for j in x.indices { dot += directions[k][j] * (x[j] - mean[j]) }
                codes.append(dot / scales[k])
            }
        }
        return LatentPoints(dimension: latentDimension, values: codes)
    }

    /// G(z) = μ + V diag(σ) z, one sample per code.
    public func generate(_ codes: LatentPoints) throws -> SampleBatch {
        var values: [Float] = []
        values.reserveCapacity(codes.count * mean.count)
        for i in 0..<codes.count {
            var x = mean
            for (k, z) in codes.point(at: i).enumerated() {
                let weight = scales[k] * z
                for j in x.indices { x[j] += weight * directions[k][j] }
            }
            values += x
        }
        return SampleBatch(sampleShape: sampleShape, values: values)
    }

    /// J_G(z)ᵀ v = diag(σ) Vᵀ v for each code (exact: G is linear).
    public func pullback(at codes: LatentPoints, cotangent: SampleBatch) throws -> LatentPoints {
        var gradient: [Float] = []
        gradient.reserveCapacity(codes.count * latentDimension)
        for i in 0..<codes.count {
            let v = cotangent.sample(at: i)
            for k in 0..<latentDimension {
                var dot: Float = 0
                for j in v.indices { dot += directions[k][j] * v[j] }
                gradient.append(scales[k] * dot)
            }
        }
        return LatentPoints(dimension: latentDimension, values: gradient)
    }
}

/// Why principal directions could not be fitted.
public enum PCAError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A covariance needs at least two samples.
    case tooFewSamples(Int)
    /// The latent dimension is not in 1...(scalars per sample).
    case invalidLatentDimension(Int, sampleSize: Int)
    /// A kept direction has (numerically) no variance, so codes could not be scaled.
    case degenerate(keptVariance: Double)

    /// A one-line message naming what was wrong.
    public var description: String {
        switch self {
        case let .tooFewSamples(count): "PCA needs at least 2 samples, not \(count)"
        case let .invalidLatentDimension(d, size): "latent dimension \(d) must be in 1...\(size)"
        case let .degenerate(variance): "a kept principal direction has variance \(variance); keep fewer directions"
        }
    }
}

/// Eigenvalues and eigenvectors of a small symmetric matrix by cyclic Jacobi rotations.
enum SymmetricEigen {
    /// The eigenvalues and the eigenvectors (column k of the returned matrix belongs to value k).
    static func decompose(_ matrix: [[Double]]) -> (values: [Double], vectors: [[Double]]) {
        var a = matrix
        let n = a.count
        var v = (0..<n).map { i in (0..<n).map { $0 == i ? 1.0 : 0.0 } }
        for _ in 0..<100 {
            var off = 0.0
            for p in 0..<n { for q in (p + 1)..<n { off += a[p][q] * a[p][q] } }
            if off < 1e-24 { break }
            for p in 0..<n {
                for q in (p + 1)..<n where abs(a[p][q]) > 1e-300 {
                    let theta = (a[q][q] - a[p][p]) / (2 * a[p][q])
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<n {
                        let akp = a[k][p], akq = a[k][q]
                        a[k][p] = c * akp - s * akq
                        a[k][q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let apk = a[p][k], aqk = a[q][k]
                        a[p][k] = c * apk - s * aqk
                        a[q][k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let vkp = v[k][p], vkq = v[k][q]
                        v[k][p] = c * vkp - s * vkq
                        v[k][q] = s * vkp + c * vkq
                    }
                }
            }
        }
        return ((0..<n).map { a[$0][$0] }, v)
    }
}
