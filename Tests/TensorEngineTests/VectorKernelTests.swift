import Foundation
import Testing
@testable import TensorEngine

/// Runs `body` with the C kernels at `level` and restores the level after it; returns false
/// (without running `body`) when the CPU lacks that level.
func atSIMDLevel(_ level: SIMDLevel, _ body: () throws -> Void) rethrows -> Bool {
    let saved = SIMDLevel.current
    defer { SIMDLevel.use(saved) }
    guard SIMDLevel.use(level) == level else { return false }
    try body()
    return true
}

/// The C kernels (CTensorKernels) on both SIMD levels, against plain Double formulas.
/// Lengths cover whole vectors, tails, and the 256-value blocks of the sums.
@Suite("Element-wise kernels, baseline and AVX2", .serialized)
struct VectorKernelTests {
    static let lengths = [0, 1, 7, 8, 9, 255, 256, 257, 1_000, 4_099]
    static let levels = SIMDLevel.allCases

    func at(_ level: SIMDLevel, _ body: () throws -> Void) rethrows -> Bool { try atSIMDLevel(level, body) }

    func values(_ count: Int, seed: UInt64, scale: Float = 3) -> [Float] {
        var g = SeededGenerator(seed: seed)
        return (0..<count).map { _ in scale * (2 * g.nextUniform() - 1) }
    }

    @Test func theLevelIsDetectedFromTheCPU() throws {
        let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        #if arch(x86_64)
        let hasAVX2 = flags.contains(" avx2") && flags.contains(" fma")
        #expect(SIMDLevel.supported == (hasAVX2 ? .avx2FMA : .baseline))
        #else
        #expect(SIMDLevel.supported == .baseline)
        #endif
        #expect(SIMDLevel.current == SIMDLevel.supported)
    }

    @Test(arguments: levels) func reluAndArithmetic(level: SIMDLevel) throws {
        _ = at(level) {
            for n in Self.lengths {
                let a = Tensor(shape: [n], scalars: values(n, seed: 1)), b = Tensor(shape: [n], scalars: values(n, seed: 2))
                let x = Variable(a, requiresGradient: true), y = Variable(b, requiresGradient: true)
                let r = relu(x)
                #expect(r.value.scalars == a.scalars.map { Swift.max($0, 0) })
                let sum = x + y, product = x * y, scaled = x * 2.5
                #expect(sum.value.scalars == zip(a.scalars, b.scalars).map(+))
                #expect(product.value.scalars == zip(a.scalars, b.scalars).map(*))
                #expect(scaled.value.scalars == a.scalars.map { $0 * 2.5 })
                if n > 0 {
                    let total = TensorEngine.sum(r) + TensorEngine.sum(product)
                    total.backward()
                    // d/dx [Σ relu(x) + Σ x·y] = 1[x > 0] + y.
                    let expected = zip(a.scalars, b.scalars).map { ($0 > 0 ? 1 : 0) + $1 }
                    #expect(x.gradient!.scalars == expected)
                }
            }
        }
    }

    @Test(arguments: levels) func blockedSumsAreAccurate(level: SIMDLevel) throws {
        _ = at(level) {
            for n in Self.lengths {
                let x = values(n, seed: 3).map { $0 + 5 }, g = values(n, seed: 4)
                let center: Float = 4.75
                let exactSum = x.reduce(0.0) { $0 + Double($1) }
                let exactSquares = x.reduce(0.0) { $0 + (Double($1) - Double(center)) * (Double($1) - Double(center)) }
                let exactDot = zip(g, x).reduce(0.0) { $0 + Double($1.0) * (Double($1.1) - Double(center)) }
                x.withUnsafeBufferPointer { xp in
                    g.withUnsafeBufferPointer { gp in
                        let base = xp.baseAddress ?? UnsafePointer(bitPattern: 8)!
                        let gbase = gp.baseAddress ?? UnsafePointer(bitPattern: 8)!
                        #expect(abs(blockedSum(base, count: n) - exactSum) <= 1e-6 * Swift.max(1, abs(exactSum)) * 10)
                        #expect(abs(blockedSquaredDeviations(base, count: n, center: center) - exactSquares)
                                <= 1e-5 * Swift.max(1, exactSquares))
                        let (s1, s2) = blockedSumAndCenteredDot(gbase, base, count: n, center: center)
                        let exactG = g.reduce(0.0) { $0 + Double($1) }
                        #expect(abs(s1 - exactG) <= 1e-5 * Swift.max(1, Double(n)))
                        #expect(abs(s2 - exactDot) <= 1e-5 * Swift.max(1, Double(n)))
                    }
                }
            }
        }
    }

    /// The binary cross-entropy terms and σ(x), including saturated logits (|x| up to 100)
    /// where e^(−|x|) underflows, against Double formulas.
    @Test(arguments: levels) func binaryCrossEntropyTerms(level: SIMDLevel) throws {
        _ = at(level) {
            for n in Self.lengths {
                var x = values(n, seed: 5, scale: 12)
                if n > 3 { x[0] = 100; x[1] = -100; x[2] = 0; x[3] = -88.5 }
                let t = values(n, seed: 6, scale: 0.5).map { $0 + 0.5 }
                var sigma = [Float](repeating: -1, count: n)
                let total = x.withUnsafeBufferPointer { xp in
                    t.withUnsafeBufferPointer { tp in
                        sigma.withUnsafeMutableBufferPointer { sp in
                            n == 0 ? 0 : VectorKernels.binaryCrossEntropyTerms(
                                logits: xp.baseAddress!, targets: tp.baseAddress!, sigmoid: sp.baseAddress!, count: n)
                        }
                    }
                }
                var exact = 0.0, worstSigma = 0.0
                for i in 0..<n {
                    let xi = Double(x[i])
                    exact += Swift.max(xi, 0) - xi * Double(t[i]) + Foundation.log1p(Foundation.exp(-abs(xi)))
                    let s = 1 / (1 + Foundation.exp(-xi))
                    worstSigma = Swift.max(worstSigma, abs(Double(sigma[i]) - s) / Swift.max(s, 1e-30))
                }
                #expect(abs(Double(total) - exact) <= 2e-6 * Swift.max(1, exact), "n \(n): \(total) vs \(exact)")
                #expect(worstSigma < 1e-6, "σ relative error \(worstSigma) at n \(n)")
            }
        }
    }

    /// Each term of the vectorized log(1 + e^(−|x|)) separately, across the whole range.
    @Test func vectorizedSoftplusTermsAreAccurateEverywhere() throws {
        _ = at(.avx2FMA) {
            let x = stride(from: -90.0, through: 90.0, by: 0.0371).map { Float($0) }
            let zeros = [Float](repeating: 0, count: 8)
            var worst = 0.0
            for xi in x {
                let lanes = [Float](repeating: xi, count: 8)
                var sigma = zeros
                let total = VectorKernels.binaryCrossEntropyTerms(logits: lanes, targets: zeros, sigmoid: &sigma, count: 8)
                let exact = 8 * (Swift.max(Double(xi), 0) + Foundation.log1p(Foundation.exp(-abs(Double(xi)))))
                worst = Swift.max(worst, abs(Double(total) - exact) / Swift.max(exact, 1e-30))
            }
            #expect(worst < 1e-6, "worst relative error \(worst)")
        }
    }

    @Test(arguments: levels) func adamStepMatchesTheFormula(level: SIMDLevel) throws {
        _ = at(level) {
            for n in Self.lengths {
                var theta = values(n, seed: 7), m = values(n, seed: 8, scale: 0.1)
                var v = values(n, seed: 9, scale: 0.01).map { abs($0) }
                let g = values(n, seed: 10)
                let (t0, m0, v0) = (theta, m, v)
                let (b1, b2, l2, step, scale, eps): (Float, Float, Float, Float, Float, Float) = (0.9, 0.999, 0.01, 1e-3, 1.3, 1e-8)
                if n > 0 {
                    VectorKernels.adamStep(theta: &theta, gradient: g, firstMoment: &m, secondMoment: &v, count: n,
                                           beta1: b1, beta2: b2, l2: l2, stepSize: step, inverseSqrtCorrection2: scale,
                                           epsilon: eps)
                }
                for i in 0..<n {
                    let gi = Double(g[i]) + Double(l2) * Double(t0[i])
                    let mi = Double(b1) * Double(m0[i]) + Double(1 - b1) * gi
                    let vi = Double(b2) * Double(v0[i]) + Double(1 - b2) * gi * gi
                    let ti = Double(t0[i]) - Double(step) * mi / (vi.squareRoot() * Double(scale) + Double(eps))
                    #expect(abs(Double(m[i]) - mi) <= 1e-6 * Swift.max(1, abs(mi)))
                    #expect(abs(Double(v[i]) - vi) <= 1e-6 * Swift.max(1e-3, abs(vi)))
                    #expect(abs(Double(theta[i]) - ti) <= 1e-6 * Swift.max(1, abs(ti)))
                }
            }
        }
    }
}
