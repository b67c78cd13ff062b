import CTensorKernels
import Testing
@testable import TensorEngine

/// The phase forms of strided and transposed convolutions (PhaseConvolution.swift): the row
/// copies on both SIMD levels against their definitions, split and merge as each other's
/// transposes, and the convolutions against direct loops.
@Suite("Strided and transposed convolutions by phases", .serialized)
struct PhaseTests {
    func values(_ count: Int, seed: UInt64) -> [Float] {
        var g = SeededGenerator(seed: seed)
        return (0..<count).map { _ in Float.random(in: -1...1, using: &g) }
    }

    @Test func splitRowsMatchTheirDefinition() {
        let source = values(70, seed: 1)
        for stride in [2, 3] {
            for (count, srcCount, first) in [(0, 10, 0), (5, 10, -1), (8, 16, 0), (9, 17, 0), (20, 41, -3),
                                              (33, 70, 1), (31, 62, -2), (12, 20, 3), (40, 70, -7)] {
                let expected = (0..<count).map { t -> Float in
                    let i = first + stride * t
                    return i >= 0 && i < srcCount ? source[i] : 0
                }
                for level in [SIMDLevel.baseline, .avx2FMA] {
                    var got = [Float](repeating: .nan, count: count)
                    let ran = atSIMDLevel(level) {
                        ck_phase_split_row(&got, count, source, srcCount, first, stride)
                    }
                    if ran { #expect(got == expected, "stride \(stride) count \(count) first \(first) at \(level)") }
                }
            }
        }
    }

    @Test func mergeRowsMatchTheirDefinition() {
        let phases = (0..<3).map { values(40, seed: 10 + UInt64($0)) }
        for stride in [2, 3] {
            for (count, first, limit) in [(0, 0, 5), (1, 1, 5), (16, 0, 8), (17, 1, 9), (40, 1, 20), (45, 2, 20),
                                          (64, 0, 30), (33, 3, 11), (50, 0, 25)] {
                let expected = (0..<count).map { j -> Float in
                    let u = j + first, t = u / stride
                    return (t < limit ? phases[u % stride][t] : 0) + 0.5
                }
                for level in [SIMDLevel.baseline, .avx2FMA] {
                    var got = [Float](repeating: .nan, count: count)
                    let ran = atSIMDLevel(level) {
                        phases.withUnsafeBufferPointers { rows in
                            ck_phase_merge_row(&got, count, rows, stride, first, limit, 0.5)
                        }
                    }
                    if ran { #expect(got == expected, "stride \(stride) count \(count) first \(first) at \(level)") }
                }
            }
        }
    }

    /// ⟨split(x), z⟩ = ⟨x, merge(z)⟩, with planes that cut the grid short and that run past it.
    @Test(arguments: [(7, 6, 2, 1, 4, 4), (9, 9, 3, 2, 5, 3), (8, 5, 2, 0, 3, 4), (6, 7, 2, 3, 6, 5)])
    func splitAndMergeAreTransposes(h: Int, w: Int, stride: Int, padding: Int, hq: Int, wq: Int) {
        let grid = PhaseGrid(channels: 3, height: h, width: w, stride: stride, padding: padding,
                             phaseHeight: hq, phaseWidth: wq)
        let x = values(2 * 3 * h * w, seed: 20), z = values(2 * grid.phaseChannels * hq * wq, seed: 21)
        var split = [Float](repeating: .nan, count: z.count), merged = [Float](repeating: .nan, count: x.count)
        for level in [SIMDLevel.baseline, .avx2FMA] {
            _ = atSIMDLevel(level) {
                grid.split(x, batch: 2, into: &split)
                grid.merge(z, batch: 2, into: &merged)
            }
            let lhs = zip(split, z).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let rhs = zip(x, merged).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            #expect(abs(lhs - rhs) < 1e-9 * max(1, abs(lhs)), "\(lhs) vs \(rhs) at \(level)")
            #expect(!split.contains(where: \.isNaN) && !merged.contains(where: \.isNaN))
        }
    }

    /// Strided convolutions by phases, square and not, against direct loops.
    @Test(arguments: [(4, 4, 2, 1), (3, 3, 2, 0), (5, 3, 2, 2), (3, 5, 3, 1), (4, 4, 4, 0)])
    func stridedConvolutionsMatchDirectLoops(kh: Int, kw: Int, stride: Int, padding: Int) {
        let x = Tensor(shape: [3, 5, 17, 14], scalars: values(3 * 5 * 17 * 14, seed: 30))
        let w = Tensor(shape: [6, 5, kh, kw], scalars: values(6 * 5 * kh * kw, seed: 31))
        let b = Tensor(shape: [6], scalars: values(6, seed: 32))
        for level in [SIMDLevel.baseline, .avx2FMA] {
            _ = atSIMDLevel(level) {
                let ours = conv2d(Variable(x), weight: Variable(w), bias: Variable(b), stride: stride, padding: padding)
                let reference = naiveConvolution(x, w, b, stride: stride, padding: padding)
                #expect(ours.shape == reference.shape)
                #expect(ours.value.maxAbsoluteDifference(to: reference) < 1e-5, "at \(level)")
            }
        }
    }
}

extension Array where Element == [Float] {
    /// Runs `body` with a pointer to each row's first element, in an array of pointers.
    func withUnsafeBufferPointers<R>(_ body: ([UnsafePointer<Float>?]) -> R) -> R {
        var pointers: [UnsafePointer<Float>?] = []
        func nest(_ i: Int) -> R {
            if i == count { return body(pointers) }
            return self[i].withUnsafeBufferPointer { p in
                pointers.append(p.baseAddress)
                return nest(i + 1)
            }
        }
        return nest(0)
    }
}
