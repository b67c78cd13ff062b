import CTensorKernels
import Testing
@testable import TensorEngine

/// The direct convolution kernels (`ck_tap_products`, `ck_tap_weight_gradients`) on both
/// SIMD levels against sums in Double, and stride-1 convolutions on the AVX2 kernels against
/// the same convolutions on BLAS (the baseline level's path). Sizes cover every tail of the
/// register tiles: rows not a multiple of 4 or 6 (every way rows are cut into blocks of 6 and 4), depths not a multiple of 3, column ranges that
/// start and end inside a vector.
@Suite("Direct tap kernels", .serialized)
struct TapKernelTests {
    func at(_ level: SIMDLevel, _ body: () throws -> Void) rethrows -> Bool { try atSIMDLevel(level, body) }

    func values(_ count: Int, seed: UInt64) -> [Float] {
        var g = SeededGenerator(seed: seed)
        return (0..<count).map { _ in 2 * g.nextUniform() - 1 }
    }

    struct Shape: Sendable, CustomTestStringConvertible {
        var rows, depth, first, last: Int
        var testDescription: String { "rows \(rows) depth \(depth) columns \(first)..<\(last)" }
    }

    static let shapes = [
        Shape(rows: 1, depth: 1, first: 0, last: 5),
        Shape(rows: 4, depth: 3, first: 0, last: 16),
        Shape(rows: 5, depth: 2, first: 3, last: 40),
        Shape(rows: 7, depth: 7, first: 1, last: 150),
        Shape(rows: 16, depth: 16, first: 0, last: 180),
        Shape(rows: 3, depth: 4, first: 9, last: 23),
        Shape(rows: 1, depth: 5, first: 2, last: 150),  // the one-row tile, then 16- and 8-column tiles
        Shape(rows: 5, depth: 3, first: 0, last: 137),  // a last block of one row
        // Rows in tall blocks of 6, then blocks of 4: 6; 6 + 6 (5 valid); 6 + 4 + 4; 4·6 + 4 + 4.
        Shape(rows: 6, depth: 2, first: 0, last: 29),
        Shape(rows: 11, depth: 5, first: 4, last: 61),
        Shape(rows: 14, depth: 3, first: 0, last: 45),
        Shape(rows: 32, depth: 4, first: 1, last: 70),
    ]

    /// A padded-plane geometry (width 13) with the nine taps of a 3×3 kernel.
    let width = 13
    var offsets: [Int] { (0..<9).map { ($0 / 3) * width + $0 % 3 } }

    @Test(arguments: shapes)
    func productsMatchDoubleSums(_ s: Shape) throws {
        let groups = 9, ldx = s.last + 2 * width + 5, ldp = s.last + 3
        let x = values(s.depth * ldx, seed: 1), w = values(groups * s.rows * s.depth, seed: 2)
        let start = values(s.rows * ldp, seed: 3), bias = values(s.rows, seed: 12)
        // Σ_g Σ_d W[g, r, d]·x[d, c + o_g] in Double, once for both levels.
        var sums = [Double](repeating: 0, count: s.rows * ldp)
        for r in 0..<s.rows {
            for g in 0..<groups {
                for d in 0..<s.depth {
                    let wv = Double(w[(g * s.rows + r) * s.depth + d]), base = d * ldx + offsets[g]
                    for c in s.first..<s.last { sums[r * ldp + c] += wv * Double(x[base + c]) }
                }
            }
        }
        for level in SIMDLevel.allCases {
            _ = at(level) {
                for accumulate in [false, true] {
                    var packed = [Float](repeating: .nan, count: ck_tap_weights_count(groups, s.rows, s.depth))
                    ck_pack_tap_weights(w, groups, s.rows, s.depth, &packed)
                    var p = start
                    p.withUnsafeMutableBufferPointer { pp in
                        ck_tap_products(x, ldx, offsets, groups, packed, s.rows, s.depth, bias,
                                        pp.baseAddress! + s.first, ldp, s.first, s.last, accumulate ? 1 : 0)
                    }
                    var worst = 0.0, outside = 0
                    for r in 0..<s.rows {
                        for c in 0..<ldp {
                            let i = r * ldp + c
                            if c < s.first || c >= s.last {
                                if p[i] != start[i] { outside += 1 }
                                continue
                            }
                            let expected = (accumulate ? Double(start[i]) : 0) + Double(bias[r]) + sums[i]
                            worst = max(worst, abs(Double(p[i]) - expected))
                        }
                    }
                    #expect(outside == 0, "level \(level): \(outside) values outside the column range were written")
                    #expect(worst < 1e-4, "level \(level), accumulate \(accumulate): error \(worst)")
                }
            }
        }
    }

    @Test(arguments: shapes)
    func weightGradientsMatchDoubleSums(_ s: Shape) throws {
        let groups = 9, ldx = s.last + 2 * width + 5, ldg = s.last + 2
        let x = values(s.depth * ldx, seed: 4), gradient = values(s.rows * ldg, seed: 5)
        let start = values(groups * s.rows * s.depth, seed: 6)
        for level in SIMDLevel.allCases {
            _ = at(level) {
                var sums = start
                ck_tap_weight_gradients(x, ldx, offsets, groups, gradient, ldg, s.rows, s.depth, &sums, s.first, s.last)
                var worst = 0.0
                for g in 0..<groups {
                    for r in 0..<s.rows {
                        for d in 0..<s.depth {
                            var expected = Double(start[(g * s.rows + r) * s.depth + d])
                            for c in s.first..<s.last {
                                expected += Double(gradient[r * ldg + c]) * Double(x[d * ldx + offsets[g] + c])
                            }
                            worst = max(worst, abs(Double(sums[(g * s.rows + r) * s.depth + d]) - expected))
                        }
                    }
                }
                #expect(worst < 1e-4, "level \(level): error \(worst)")
            }
        }
    }

    /// The row-wise weight gradient (unpadded gradient rows, padded input rows) against Double.
    @Test(arguments: [(rows: 4, depth: 3, height: 5, width: 7), (rows: 5, depth: 7, height: 9, width: 16),
                      (rows: 1, depth: 2, height: 3, width: 70), (rows: 16, depth: 16, height: 12, width: 13)])
    func rowWiseWeightGradientsMatchDoubleSums(rows: Int, depth: Int, height: Int, width: Int) throws {
        let groups = 9, wp = width + 2, plane = (height + 2) * wp, ldx = plane + 2 * wp + 3
        let offsets = (0..<groups).map { ($0 / 3) * wp + $0 % 3 }
        let x = values(depth * ldx, seed: 13), gradient = values(rows * height * width, seed: 14)
        let start = values(groups * rows * depth, seed: 15)
        for level in SIMDLevel.allCases {
            _ = at(level) {
                var sums = start
                ck_tap_weight_gradients_in_rows(x, ldx, wp, offsets, groups, gradient, height * width, width, height,
                                                width, rows, depth, &sums)
                var worst = 0.0
                for g in 0..<groups {
                    for r in 0..<rows {
                        for d in 0..<depth {
                            var expected = Double(start[(g * rows + r) * depth + d])
                            for i in 0..<height {
                                for j in 0..<width {
                                    expected += Double(gradient[r * height * width + i * width + j])
                                        * Double(x[d * ldx + offsets[g] + i * wp + j])
                                }
                            }
                            worst = max(worst, abs(Double(sums[(g * rows + r) * depth + d]) - expected))
                        }
                    }
                }
                #expect(worst < 1e-4, "level \(level): error \(worst)")
            }
        }
    }

    /// A 3×3, a 5×5 and a transposed convolution with their gradients, on the tap kernels and
    /// on BLAS: the two paths agree to float rounding. Width 19 runs the tap kernels over whole
    /// padded planes, width 32 row by row (``ShiftedLayout/suitsRowWiseProducts(width:)``).
    @Test(arguments: [19, 32])
    func convolutionsAgreeWithTheBLASPath(width: Int) throws {
        guard SIMDLevel.supported == .avx2FMA else { return }
        func run() -> [[Float]] {
            var results: [[Float]] = []
            for (cIn, cOut, k, p) in [(16, 16, 3, 1), (3, 6, 5, 2), (5, 1, 3, 0)] {
                let x = Variable(Tensor(shape: [3, cIn, 21, width], scalars: values(3 * cIn * 21 * width, seed: 7)),
                                 requiresGradient: true)
                let w = Variable(Tensor(shape: [cOut, cIn, k, k], scalars: values(cOut * cIn * k * k, seed: 8)),
                                 requiresGradient: true)
                let y = conv2d(x, weight: w, bias: nil, stride: 1, padding: p)
                let t = Variable(Tensor(shape: [cIn, cOut, 4, 4], scalars: values(cIn * cOut * 16, seed: 9)),
                                 requiresGradient: true)
                let z = convTranspose2d(x, weight: t, bias: nil, stride: 2, padding: 1)
                let seed = Variable(Tensor(shape: y.shape, scalars: values(y.value.count, seed: 10)))
                let seedZ = Variable(Tensor(shape: z.shape, scalars: values(z.value.count, seed: 11)))
                (sum(y * seed) + sum(z * seedZ)).backward()
                results += [y.value.scalars, z.value.scalars, x.gradient!.scalars, w.gradient!.scalars, t.gradient!.scalars]
            }
            return results
        }
        var onKernels: [[Float]] = [], onBLAS: [[Float]] = []
        _ = at(.avx2FMA) { onKernels = run() }
        _ = at(.baseline) { onBLAS = run() }
        #expect(onKernels.count == onBLAS.count)
        for (a, b) in zip(onKernels, onBLAS) {
            let scale = b.map { abs($0) }.max() ?? 1
            let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-5 * max(scale, 1), "differs by \(worst) (scale \(scale))")
        }
    }
}
