import CommandLineTesting
import Foundation
import HDF5Store
import LatentSampling
import TensorEngine
import Testing
@testable import CustomGenerator

/// Samples on a noisy 3-D logistic manifold in 12 pixels: x = σ(M·u + noise), u ~ N(0, I).
private func manifoldSamples(count: Int, seed: UInt64) -> SampleBatch {
    var g = SeededGenerator(seed: seed)
    let m = (0..<12 * 3).map { _ in 2 * g.nextNormal() }
    var values: [Float] = []
    for _ in 0..<count {
        let u = (0..<3).map { _ in g.nextNormal() }
        for j in 0..<12 {
            let a = (0..<3).reduce(Float(0)) { $0 + m[j * 3 + $1] * u[$1] } + 0.3 * g.nextNormal()
            values.append(1 / (1 + exp(-a)))
        }
    }
    return SampleBatch(sampleShape: [1, 3, 4], values: values)
}

@Suite("Example: a generator that is not a network (PCA in logit space)")
struct CustomGeneratorTests {
    @Test("the pullback equals central finite differences of ⟨v, G(z)⟩, component by component")
    func pullbackMatchesFiniteDifferences() throws {
        let pca = try LogitPCA(fittingTo: manifoldSamples(count: 300, seed: 1), dimension: 3)
        var g = SeededGenerator(seed: 2)
        let z = LatentPoints(dimension: 3, values: (0..<15).map { _ in g.nextNormal() })
        let v = SampleBatch(sampleShape: [1, 3, 4], values: (0..<60).map { _ in g.nextNormal() })
        let pulled = try pca.pullback(at: z, cotangent: v)
        // ⟨v_i, G(z_i)⟩ in double precision from this test's own evaluation of σ(μ + B z).
        func inner(_ i: Int, _ code: [Double]) -> Double {
            (0..<12).reduce(0.0) { sum, j in
                let a = Double(pca.mean[j]) + (0..<3).reduce(0.0) { $0 + Double(pca.scaledBasis[j * 3 + $1]) * code[$1] }
                return sum + Double(v.values[i * 12 + j]) / (1 + Foundation.exp(-a))
            }
        }
        let h = 1e-5
        for i in 0..<5 {
            for k in 0..<3 {
                var plus = z.point(at: i).map(Double.init), minus = plus
                plus[k] += h
                minus[k] -= h
                let difference = (inner(i, plus) - inner(i, minus)) / (2 * h)
                #expect(abs(Double(pulled.values[i * 3 + k]) - difference) <= 1e-4 * max(1, abs(difference)),
                        "point \(i) axis \(k): pullback \(pulled.values[i * 3 + k]), central difference \(difference)")
            }
        }
        // The example's own start-up check agrees (Float32 generator, step 10⁻²).
        #expect(try PullbackCheck.largestRelativeError(of: pca, points: 4, seed: 3) < 1e-3)
    }

    @Test("the components are the covariance's top eigenvectors (power iteration), and E(G(z)) = z")
    func componentsAndRoundTrip() throws {
        let samples = manifoldSamples(count: 400, seed: 4)
        let pca = try LogitPCA(fittingTo: samples, dimension: 3)
        // The covariance of the logits, computed naively here.
        let n = samples.count, size = 12
        let logits = samples.values.map { Double(LogitPCA.logit($0)) }
        let mean = (0..<size).map { j in (0..<n).reduce(0.0) { $0 + logits[$1 * size + j] } / Double(n) }
        var c = [[Double]](repeating: [Double](repeating: 0, count: size), count: size)
        for i in 0..<n {
            for a in 0..<size { for b in 0..<size { c[a][b] += (logits[i * size + a] - mean[a]) * (logits[i * size + b] - mean[b]) / Double(n - 1) } }
        }
        for j in 0..<size { #expect(abs(Double(pca.mean[j]) - mean[j]) < 1e-4) }
        // Power iteration with deflation for the top three eigenpairs.
        var deflated = c
        for k in 0..<3 {
            var u = [Double](repeating: 1, count: size)
            for _ in 0..<2_000 {
                var next = (0..<size).map { a in (0..<size).reduce(0.0) { $0 + deflated[a][$1] * u[$1] } }
                let norm = next.reduce(0) { $0 + $1 * $1 }.squareRoot()
                for a in 0..<size { next[a] /= norm }
                u = next
            }
            let lambda = (0..<size).reduce(0.0) { s, a in s + u[a] * (0..<size).reduce(0.0) { $0 + deflated[a][$1] * u[$1] } }
            #expect(abs(pca.eigenvalues[k] / lambda - 1) < 1e-5, "λ\(k): \(pca.eigenvalues[k]) vs \(lambda)")
            // Column k of U Λ^(1/2) is ±√λ u.
            let column = (0..<size).map { Double(pca.scaledBasis[$0 * 3 + k]) / pca.eigenvalues[k].squareRoot() }
            let cosine = zip(column, u).reduce(0) { $0 + $1.0 * $1.1 }
            #expect(abs(abs(cosine) - 1) < 1e-4, "component \(k): |cos| = \(abs(cosine))")
            for a in 0..<size { for b in 0..<size { deflated[a][b] -= lambda * u[a] * u[b] } }
        }
        // Whitened codes: E(G(z)) = z while G(z) stays within the clipped range.
        let z = LatentPoints(dimension: 3, values: [0.1, -0.2, 0.3, 0.05, 0.0, -0.1])
        let back = try pca.encode(pca.generate(z))
        for (a, b) in zip(back.values, z.values) { #expect(abs(a - b) < 1e-3, "\(back.values) vs \(z.values)") }
        // The pool's codes have mean 0 and unit variance along each component.
        let codes = try pca.encode(samples)
        for k in 0..<3 {
            let values = (0..<n).map { Double(codes.values[$0 * 3 + k]) }
            let m = values.reduce(0, +) / Double(n)
            let variance = values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(n - 1)
            #expect(abs(m) < 1e-3 && abs(variance - 1) < 1e-3, "code \(k): mean \(m), variance \(variance)")
        }
    }

    @Test("bad inputs are typed errors")
    func badInputs() throws {
        let samples = manifoldSamples(count: 10, seed: 5)
        #expect(throws: LogitPCAError.self) { try LogitPCA(fittingTo: samples, dimension: 13) }
        #expect(throws: LogitPCAError.self) { try LogitPCA(fittingTo: samples.selecting([0]), dimension: 1) }
        let pca = try LogitPCA(fittingTo: samples, dimension: 2)
        #expect(throws: LogitPCAError.self) { try pca.generate(LatentPoints(dimension: 3, values: [0, 0, 0])) }
        #expect(throws: LogitPCAError.self) { try pca.encode(SampleBatch(sampleShape: [12], values: [Float](repeating: 0.5, count: 12))) }
    }

    @Test("custom-generator runs SNN and random on Fashion-MNIST, and resumes from its file")
    func endToEnd() throws {
        try #require(FileManager.default.fileExists(atPath: fashionMNISTDirectory + "/t10k-labels-idx1-ubyte.gz"),
                     "Fashion-MNIST is missing from \(fashionMNISTDirectory) (Debian package dataset-fashion-mnist); run ./setup.sh")
        let scratch = try Scratch()
        defer { scratch.remove() }
        let out = scratch.path("generator.h5")
        let arguments = ["--pool-size", "1000", "--test-size", "200", "--initial-size", "20", "--increment", "20",
                         "--rounds", "2", "--epochs", "1", "--seeds", "1", "--network", "lenet5", "--out", out]
        let first = try run("custom-generator", arguments)
        try #require(first.status == 0, "\(first)")
        #expect(first.stdout.contains("pullback check"), "\(first)")
        do {
            let file = try HDF5File(path: out)
            #expect(try file.dataset("pca/scaled_basis").readWithShape(as: Float.self).shape == [784, 3])
            for strategy in ["random", "snn"] {
                let metric = try file.dataset("\(strategy)/metric").read(as: Double.self)
                #expect(metric.count == 2 && metric.allSatisfy { $0 > 0 && $0 <= 1 }, "\(strategy): \(metric)")
            }
            // SNN's moved points lie α = 0.5 from their seed points (whitened units).
            let seeds = try file.dataset("snn/seed_0/selected/seed_point").read(as: Float.self)
            let moved = try file.dataset("snn/seed_0/selected/moved_point").read(as: Float.self)
            let distances = stride(from: 0, to: seeds.count, by: 3).compactMap { i -> Double? in
                let d = (0..<3).reduce(0.0) { $0 + pow(Double(moved[i + $1] - seeds[i + $1]), 2) }.squareRoot()
                return d.isNaN ? nil : d
            }
            #expect(distances.count == 20 && distances.allSatisfy { abs($0 - 0.5) < 1e-4 }, "\(distances)")
        }  // the file is closed here

        let second = try run("custom-generator", arguments)
        #expect(second.status == 0 && second.stdout.contains("PCA loaded"), "\(second)")
        let table = { (run: Run) in run.stdout.components(separatedBy: "round  labels").last ?? "" }
        #expect(table(second).components(separatedBy: "Wrote").first == table(first).components(separatedBy: "Wrote").first)
    }
}
