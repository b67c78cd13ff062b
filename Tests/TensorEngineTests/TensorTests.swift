import Testing
@testable import TensorEngine

/// Direct (seven nested loops) convolution: an independent reference for im2col + sgemm.
func naiveConvolution(_ x: Tensor, _ w: Tensor, _ b: Tensor, stride s: Int, padding p: Int) -> Tensor {
    let n = x.shape[0], c = x.shape[1], h = x.shape[2], wd = x.shape[3]
    let o = w.shape[0], k = w.shape[2], kw = w.shape[3]
    let ho = (h + 2 * p - k) / s + 1, wo = (wd + 2 * p - kw) / s + 1
    var y = Tensor(zeros: [n, o, ho, wo])
    for b0 in 0..<n { for oc in 0..<o { for i in 0..<ho { for j in 0..<wo {
        var acc = Double(b.scalars[oc])
        for ic in 0..<c { for ki in 0..<k { for kj in 0..<kw {
            let ih = i * s - p + ki, iw = j * s - p + kj
            if ih >= 0 && ih < h && iw >= 0 && iw < wd {
                acc += Double(x.scalars[((b0 * c + ic) * h + ih) * wd + iw]) * Double(w.scalars[((oc * c + ic) * k + ki) * kw + kj])
            }
        } } }
        y.scalars[((b0 * o + oc) * ho + i) * wo + j] = Float(acc)
    } } } }
    return y
}

@Suite("Tensor and autodiff mechanics")
struct TensorTests {
    @Test func convolutionMatchesDirectLoops() {
        // (stride, padding, batch, side): the last two take the shifted-view path.
        for (s, p, chunkBatch, side) in [(1, 0, 1, 9), (2, 1, 7, 9), (3, 2, 2, 9), (1, 1, 3, 34), (1, 0, 2, 40)] {
            var g = SeededGenerator(seed: 3)
            let x = Tensor.uniform(shape: [chunkBatch, 3, side, side - 1], lower: -1, upper: 1, using: &g)
            let w = Tensor.uniform(shape: [4, 3, 3, 3], lower: -1, upper: 1, using: &g)
            let b = Tensor.uniform(shape: [4], lower: -1, upper: 1, using: &g)
            let ours = conv2d(Variable(x), weight: Variable(w), bias: Variable(b), stride: s, padding: p).value
            let reference = naiveConvolution(x, w, b, stride: s, padding: p)
            #expect(ours.shape == reference.shape)
            #expect(ours.maxAbsoluteDifference(to: reference) < 1e-5)
        }
    }

    @Test func transposedConvolutionIsAdjointOfConvolution() {
        // <conv(x), y> == <x, convT(y)> for the same weights: an independent identity.
        var g = SeededGenerator(seed: 4)
        let x = Tensor.uniform(shape: [2, 3, 7, 6], lower: -1, upper: 1, using: &g)
        let w = Tensor.uniform(shape: [5, 3, 3, 3], lower: -1, upper: 1, using: &g)
        let cx = conv2d(Variable(x), weight: Variable(w), bias: nil, stride: 2, padding: 1).value
        let y = Tensor.uniform(shape: cx.shape, lower: -1, upper: 1, using: &g)
        let ty = convTranspose2d(Variable(y), weight: Variable(w), bias: nil, stride: 2, padding: 1, outputPadding: 0).value
        #expect(ty.shape == [2, 3, 7, 6] || ty.shape == [2, 3, 7, 5])
        var lhs = 0.0, rhs = 0.0
        for i in 0..<cx.count { lhs += Double(cx.scalars[i]) * Double(y.scalars[i]) }
        let tyFull = convTranspose2d(Variable(y), weight: Variable(w), bias: nil, stride: 2, padding: 1, outputPadding: 1).value
        #expect(tyFull.shape == [2, 3, 8, 6])
        // Crop the transposed output to x's size (the extra row comes from output padding).
        for b in 0..<2 { for c in 0..<3 { for i in 0..<7 { for j in 0..<6 {
            rhs += Double(x.scalars[((b * 3 + c) * 7 + i) * 6 + j]) * Double(tyFull.scalars[((b * 3 + c) * 8 + i) * 6 + j])
        } } } }
        #expect(abs(lhs - rhs) < 1e-3 * max(1, abs(lhs)))
    }

    @Test func maxPoolingPicksWindowMaxima() {
        let x = Tensor(shape: [1, 1, 2, 4], scalars: [1, 5, -2, 0, 3, 2, 7, -1])
        let y = maxPool2d(Variable(x), kernelSize: 2).value
        #expect(y.scalars == [5, 7])
        let u = upsampleNearest(Variable(y), factor: 2).value
        #expect(u.shape == [1, 1, 2, 4] && u.scalars == [5, 5, 7, 7, 5, 5, 7, 7])
        #expect(avgPool2d(Variable(x), kernelSize: 2).value.scalars == [2.75, 1])
    }

    @Test func batchNormUpdatesRunningStatisticsLikePyTorch() {
        let x = Tensor(shape: [4, 1], scalars: [1, 2, 3, 6])  // mean 3, biased var 3.5, unbiased 14/3
        let rm = Variable(Tensor(zeros: [1])), rv = Variable(Tensor(shape: [1], repeating: 1))
        let gamma = Variable(Tensor(shape: [1], repeating: 2)), beta = Variable(Tensor(shape: [1], repeating: 1))
        let y = batchNorm(Variable(x), gamma: gamma, beta: beta, runningMean: rm, runningVariance: rv, training: true)
        #expect(abs(rm.value.scalars[0] - 0.3) < 1e-6)
        #expect(abs(rv.value.scalars[0] - (0.9 + 0.1 * 14 / 3)) < 1e-6)
        let expected0 = 2 * (1 - 3) / (3.5 + 1e-5).squareRoot() + 1
        #expect(abs(Double(y.value.scalars[0]) - expected0) < 1e-5)
        let e = batchNorm(Variable(x), gamma: gamma, beta: beta, runningMean: rm, runningVariance: rv, training: false)
        let expectedEval = 2 * (1 - 0.3) / (Double(rv.value.scalars[0]) + 1e-5).squareRoot() + 1
        #expect(abs(Double(e.value.scalars[0]) - expectedEval) < 1e-5)
        #expect(abs(rm.value.scalars[0] - 0.3) < 1e-6, "evaluation must not change running statistics")
    }

    @Test func noGraphIsRecordedWithoutGradients() {
        let w = Variable(Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]), requiresGradient: true)
        let x = Variable(Tensor(shape: [1, 2], scalars: [1, 1]))
        let y = withoutGradients { linear(x, weight: w, bias: nil) }
        #expect(y.isLeaf && !y.requiresGradient)
        #expect(y.value.scalars == [3, 7])
        let z = linear(x, weight: w, bias: nil)
        #expect(!z.isLeaf && z.requiresGradient)
    }

    @Test func backwardReleasesTheGraphAndAccumulatesIntoLeaves() {
        let w = Variable(Tensor(shape: [1, 2], scalars: [1, 2]), requiresGradient: true)
        let x = Variable(Tensor(shape: [1, 2], scalars: [3, 4]), requiresGradient: true)
        let loss = sum(linear(x, weight: w, bias: nil))
        loss.backward()
        #expect(w.gradient?.scalars == [3, 4])
        #expect(x.gradient?.scalars == [1, 2])
        #expect(loss.isLeaf, "graph must be released after backward")
        let loss2 = sum(linear(x, weight: w, bias: nil))
        loss2.backward()
        #expect(w.gradient?.scalars == [6, 8], "gradients accumulate until reset")
        let (value, grad) = valueWithGradient(at: Tensor(shape: [1, 2], scalars: [3, 4])) { xin in
            sum(linear(xin, weight: w, bias: nil) * linear(xin, weight: w, bias: nil))
        }
        #expect(value == 121)
        #expect(grad.scalars == [22, 44])
    }

    @Test func graphMemoryIsReleasedWhenResultIsDropped() {
        weak var weakIntermediate: Variable?
        let w = Variable(Tensor(shape: [1, 2], scalars: [1, 2]), requiresGradient: true)
        do {
            let h = relu(linear(Variable(Tensor(shape: [1, 2], scalars: [3, 4])), weight: w, bias: nil))
            weakIntermediate = h
            let loss = sum(h)
            loss.backward()
        }
        #expect(weakIntermediate == nil)
    }

    @Test func validatingInitializerThrowsOnBadData() {
        #expect(throws: TensorError.self) { try Tensor(validatingShape: [2, 3], scalars: [1, 2]) }
        #expect(throws: TensorError.self) { try Tensor(validatingShape: [-1], scalars: []) }
        let t = try? Tensor(validatingShape: [2], scalars: [1, 2])
        #expect(t?.shape == [2])
    }

    @Test func seededGeneratorIsDeterministicAndRoughlyNormal() {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42), c = SeededGenerator(seed: 43)
        let ta = Tensor.normal(shape: [20_000], using: &a)
        let tb = Tensor.normal(shape: [20_000], using: &b)
        let tc = Tensor.normal(shape: [20_000], using: &c)
        #expect(ta == tb)
        #expect(ta != tc)
        let m = ta.sum() / 20_000
        let v = ta.scalars.reduce(0.0) { $0 + Double($1) * Double($1) } / 20_000 - m * m
        #expect(abs(m) < 0.03 && abs(v - 1) < 0.05)
    }

    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func splitMatrixProductsMatchLoops(transposeA: Bool, transposeB: Bool) {
        // Large enough to be split over the threads, along n (n ≥ m) and along m (m > n);
        // sub-matrices of larger arrays (leading dimensions above the minimum), beta ≠ 0.
        BLASThreads.set(2)
        for (m, n, k) in [(70, 301, 37), (259, 66, 41)] {
            var g = SeededGenerator(seed: UInt64(m + n))
            let (ra, ca) = transposeA ? (k, m) : (m, k), (rb, cb) = transposeB ? (n, k) : (k, n)
            let lda = ca + 3, ldb = cb + 5, ldc = n + 2
            let a = Tensor.uniform(shape: [ra * lda], lower: -1, upper: 1, using: &g).scalars
            let b = Tensor.uniform(shape: [rb * ldb], lower: -1, upper: 1, using: &g).scalars
            var c = Tensor.uniform(shape: [m * ldc], lower: -1, upper: 1, using: &g).scalars
            let c0 = c
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    c.withUnsafeMutableBufferPointer { cp in
                        sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.5,
                              a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb,
                              beta: -2, c: cp.baseAddress!, ldc: ldc)
                    }
                }
            }
            var worst = 0.0
            for i in 0..<m {
                for j in 0..<n {
                    var s = 0.0
                    for l in 0..<k {
                        let av = transposeA ? a[l * lda + i] : a[i * lda + l]
                        let bv = transposeB ? b[j * ldb + l] : b[l * ldb + j]
                        s += Double(av) * Double(bv)
                    }
                    worst = max(worst, abs(0.5 * s - 2 * Double(c0[i * ldc + j]) - Double(c[i * ldc + j])))
                }
                // Padding columns beyond n are untouched.
                for j in n..<ldc { #expect(c[i * ldc + j] == c0[i * ldc + j]) }
            }
            #expect(worst < 1e-4, "m \(m) n \(n) k \(k): worst error \(worst)")
        }
    }

    @Test func blasThreadCountCanBeSet() {
        // An explicit count wins over the environment's default, even as the first call.
        BLASThreads.set(1)
        #expect(BLASThreads.current == 1)
        BLASThreads.set(2)
        #expect(BLASThreads.current == 2)
        #expect(BLASThreads.current == 2)
        #expect(BLASThreads.openBLASCount == 1)  // OpenBLAS runs single-threaded; the engine splits products
    }
}
