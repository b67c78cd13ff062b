import COpenBLAS
import Foundation
import HDF5Store
import LatentSampling

/// A generator that is not a neural network: principal component analysis of the pool in
/// logit space, as the core's encoder E and generator G.
///
/// Fitted on pool images x with intensities in [0, 1]:
///
///     a = logit(clip(x, ε, 1 − ε))                  per pixel, ε = ``clip``
///     μ = mean of a,  C = covariance of a = U Λ Uᵀ  (the d largest eigenpairs kept)
///     E(x) = Λ^(−1/2) Uᵀ (a − μ)                    whitened codes: mean 0, covariance I over the pool
///     G(z) = σ(μ + U Λ^(1/2) z)                     so z ~ N(0, I) is the Gaussian model of the pool
///
/// and the exact pullback the core moves latent points with (σ' = σ(1 − σ)):
///
///     J_G(z)ᵀ v = Λ^(1/2) Uᵀ (σ'(μ + U Λ^(1/2) z) ⊙ v)
///
/// The logit keeps generated pixels inside (0, 1), as the VAE's sigmoid does; without it the
/// model is plain PCA and G is affine. E(G(z)) = z exactly (up to rounding) while G(z) stays
/// inside the clipped range.
struct LogitPCA: LatentEncoder, Generator, Sendable {
    /// The clip ε applied before the logit (pixels of exactly 0 or 1 have no logit).
    static let clip: Float = 0.01

    /// The shape of one sample, e.g. `[1, 28, 28]`.
    let sampleShape: [Int]
    /// The latent dimension d (the number of components kept).
    let latentDimension: Int
    /// μ, the mean logit image (D values).
    let mean: [Float]
    /// U Λ^(1/2), D×d row-major: column k is component k scaled by its standard deviation √λ_k.
    let scaledBasis: [Float]
    /// λ, the d largest eigenvalues of C in decreasing order (variances of the logits along U).
    let eigenvalues: [Double]
    /// The share of the logits' total variance the d components explain, Σ λ_k / trace C.
    let explainedVariance: Double

    /// D, the number of values per sample.
    var sampleSize: Int { mean.count }

    /// Fits the model to `samples` (intensities in [0, 1]), keeping `dimension` components.
    ///
    /// The covariance is accumulated in double precision in blocks of rows (`cblas_dsyrk`), and
    /// its top eigenpairs come from LAPACK's `dsyevr`; signs are fixed so that each component's
    /// largest entry is positive (the fit is deterministic).
    ///
    /// - Throws: ``LogitPCAError`` for fewer than two samples, a dimension outside 1...D, or a
    ///   failed or degenerate eigen-decomposition.
    init(fittingTo samples: SampleBatch, dimension: Int) throws {
        let n = samples.count, size = samples.scalarsPerSample
        guard n >= 2 else { throw LogitPCAError.tooFewSamples(n) }
        guard (1...size).contains(dimension) else { throw LogitPCAError.badDimension(dimension, sampleSize: size) }
        // μ.
        var mu = [Double](repeating: 0, count: size)
        samples.values.withUnsafeBufferPointer { x in
            for i in 0..<n { for j in 0..<size { mu[j] += Double(Self.logit(x[i * size + j])) } }
        }
        for j in 0..<size { mu[j] /= Double(n) }
        // C = Σ (a − μ)(a − μ)ᵀ / (n − 1), upper triangle, in blocks of rows.
        var covariance = [Double](repeating: 0, count: size * size)
        let block = 2_048
        var centered = [Double](repeating: 0, count: block * size)
        for start in stride(from: 0, to: n, by: block) {
            let rows = min(block, n - start)
            samples.values.withUnsafeBufferPointer { x in
                for r in 0..<rows {
                    for j in 0..<size { centered[r * size + j] = Double(Self.logit(x[(start + r) * size + j])) - mu[j] }
                }
            }
            cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(size), Int32(rows), 1 / Double(n - 1),
                        centered, Int32(size), 1, &covariance, Int32(size))
        }
        let trace = (0..<size).reduce(0.0) { $0 + covariance[$1 * size + $1] }
        // The `dimension` largest eigenpairs (dsyevr returns them in ascending order).
        var found: Int32 = 0
        var values = [Double](repeating: 0, count: size)
        var vectors = [Double](repeating: 0, count: size * dimension)
        var support = [Int32](repeating: 0, count: 2 * dimension)
        let info = LAPACKE_dsyevr(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "V")), Int8(UInt8(ascii: "I")),
                                  Int8(UInt8(ascii: "U")), Int32(size), &covariance, Int32(size), 0, 0,
                                  Int32(size - dimension + 1), Int32(size), 0, &found, &values, &vectors,
                                  Int32(dimension), &support)
        guard info == 0, Int(found) == dimension else { throw LogitPCAError.eigenDecompositionFailed(info: Int(info)) }
        var basis = [Float](repeating: 0, count: size * dimension)
        var lambdas: [Double] = []
        for k in 0..<dimension {
            let column = dimension - 1 - k  // largest first
            let lambda = values[column]
            guard lambda > 0, lambda.isFinite else { throw LogitPCAError.degenerateComponent(k, variance: lambda) }
            var largest = 0.0
            for j in 0..<size where abs(vectors[j * dimension + column]) > abs(largest) { largest = vectors[j * dimension + column] }
            let sign: Double = largest < 0 ? -1 : 1
            for j in 0..<size { basis[j * dimension + k] = Float(sign * vectors[j * dimension + column] * lambda.squareRoot()) }
            lambdas.append(lambda)
        }
        self.init(sampleShape: samples.sampleShape, mean: mu.map { Float($0) }, scaledBasis: basis, eigenvalues: lambdas,
                  explainedVariance: trace > 0 ? lambdas.reduce(0, +) / trace : 0)
    }

    /// A model from its parts (as ``save(to:)`` writes them).
    init(sampleShape: [Int], mean: [Float], scaledBasis: [Float], eigenvalues: [Double], explainedVariance: Double) {
        precondition(sampleShape.reduce(1, *) == mean.count && scaledBasis.count == mean.count * eigenvalues.count,
                     "a mean of \(mean.count) values and a basis of \(scaledBasis.count) for samples \(sampleShape)")
        self.sampleShape = sampleShape
        self.latentDimension = eigenvalues.count
        self.mean = mean
        self.scaledBasis = scaledBasis
        self.eigenvalues = eigenvalues
        self.explainedVariance = explainedVariance
    }

    /// logit(clip(x, ε, 1 − ε)).
    static func logit(_ x: Float) -> Float {
        let p = min(max(x, clip), 1 - clip)
        return log(p / (1 - p))
    }

    /// The pre-activations a = μ + U Λ^(1/2) z of `codes`, N×D.
    private func logits(_ codes: LatentPoints) -> [Float] {
        let n = codes.count, size = sampleSize, d = latentDimension
        var a = [Float](repeating: 0, count: n * size)
        for i in 0..<n { for j in 0..<size { a[i * size + j] = mean[j] } }
        guard n > 0 else { return a }
        // A (N×D) += Z (N×d) · Bᵀ (d×D), B = U Λ^(1/2) stored D×d.
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(size), Int32(d), 1,
                    codes.values, Int32(d), scaledBasis, Int32(d), 1, &a, Int32(size))
        return a
    }

    /// p = E(x) = Λ^(−1/2) Uᵀ (logit(x) − μ) = Λ^(−1) (U Λ^(1/2))ᵀ (logit(x) − μ).
    func encode(_ samples: SampleBatch) throws -> LatentPoints {
        guard samples.sampleShape == sampleShape else { throw LogitPCAError.wrongSampleShape(samples.sampleShape, expected: sampleShape) }
        let n = samples.count, size = sampleSize, d = latentDimension
        var centered = [Float](repeating: 0, count: n * size)
        samples.values.withUnsafeBufferPointer { x in
            for i in 0..<n { for j in 0..<size { centered[i * size + j] = Self.logit(x[i * size + j]) - mean[j] } }
        }
        var codes = [Float](repeating: 0, count: n * d)
        if n > 0 {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(d), Int32(size), 1,
                        centered, Int32(size), scaledBasis, Int32(d), 0, &codes, Int32(d))
        }
        for i in 0..<n { for k in 0..<d { codes[i * d + k] = Float(Double(codes[i * d + k]) / eigenvalues[k]) } }
        return LatentPoints(dimension: d, values: codes)
    }

    /// x = G(z) = σ(μ + U Λ^(1/2) z).
    func generate(_ codes: LatentPoints) throws -> SampleBatch {
        guard codes.dimension == latentDimension else { throw LogitPCAError.wrongLatentDimension(codes.dimension, expected: latentDimension) }
        return SampleBatch(sampleShape: sampleShape, values: logits(codes).map { 1 / (1 + exp(-$0)) })
    }

    /// J_G(z)ᵀ v = Λ^(1/2) Uᵀ (σ'(a) ⊙ v), exact, for each point and its cotangent.
    func pullback(at codes: LatentPoints, cotangent: SampleBatch) throws -> LatentPoints {
        guard codes.dimension == latentDimension else { throw LogitPCAError.wrongLatentDimension(codes.dimension, expected: latentDimension) }
        guard cotangent.sampleShape == sampleShape, cotangent.count == codes.count else {
            throw LogitPCAError.wrongSampleShape(cotangent.shape, expected: [codes.count] + sampleShape)
        }
        let n = codes.count, size = sampleSize, d = latentDimension
        var weighted = logits(codes)
        cotangent.values.withUnsafeBufferPointer { v in
            for k in 0..<weighted.count {
                let s = 1 / (1 + exp(-weighted[k]))
                weighted[k] = s * (1 - s) * v[k]
            }
        }
        var gradient = [Float](repeating: 0, count: n * d)
        if n > 0 {
            // (N×D) · (D×d).
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(d), Int32(size), 1,
                        weighted, Int32(size), scaledBasis, Int32(d), 0, &gradient, Int32(d))
        }
        return LatentPoints(dimension: d, values: gradient)
    }

    /// Writes μ, U Λ^(1/2), λ and the explained share under `group`.
    func save(to group: HDF5Group) throws {
        try group.createDataset("mean", values: mean, shape: sampleShape)
        try group.createDataset("scaled_basis", values: scaledBasis, shape: [sampleSize, latentDimension])
        try group.createDataset("eigenvalues", values: eigenvalues, shape: [latentDimension])
        try group.setAttribute("explained_variance", explainedVariance)
        try group.setAttribute("clip", Double(Self.clip))
    }

    /// Reads a model written by ``save(to:)``.
    init(from group: HDF5Group) throws {
        let (mean, shape) = try group.dataset("mean").readWithShape(as: Float.self)
        let (basis, basisShape) = try group.dataset("scaled_basis").readWithShape(as: Float.self)
        let eigenvalues = try group.dataset("eigenvalues").read(as: Double.self)
        guard basisShape == [mean.count, eigenvalues.count], !eigenvalues.isEmpty else {
            throw LogitPCAError.corruptArchive(group.path, "scaled_basis has shape \(basisShape) for \(mean.count) pixels and \(eigenvalues.count) eigenvalues")
        }
        self.init(sampleShape: shape, mean: mean, scaledBasis: basis, eigenvalues: eigenvalues,
                  explainedVariance: try group.doubleAttribute("explained_variance"))
    }
}

/// Why a logit-PCA model could not be fitted, used or read.
enum LogitPCAError: Error, CustomStringConvertible {
    case tooFewSamples(Int)
    case badDimension(Int, sampleSize: Int)
    case eigenDecompositionFailed(info: Int)
    case degenerateComponent(Int, variance: Double)
    case wrongSampleShape([Int], expected: [Int])
    case wrongLatentDimension(Int, expected: Int)
    case corruptArchive(String, String)

    var description: String {
        switch self {
        case let .tooFewSamples(n): "PCA needs at least 2 samples, not \(n)"
        case let .badDimension(d, size): "the latent dimension \(d) must lie in 1...\(size) (the pixels per sample)"
        case let .eigenDecompositionFailed(info): "LAPACK dsyevr failed (info \(info))"
        case let .degenerateComponent(k, variance): "component \(k) has variance \(variance): the pool does not span \(k + 1) dimensions"
        case let .wrongSampleShape(shape, expected): "samples of shape \(shape) for a model of \(expected)"
        case let .wrongLatentDimension(d, expected): "codes of dimension \(d) for a model of dimension \(expected)"
        case let .corruptArchive(path, problem): "the PCA in \(path) is damaged: \(problem)"
        }
    }
}
