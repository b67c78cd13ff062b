import Testing
@testable import TensorEngine

/// Random leaf variable with values in [-1, 1).
func randomVariable(_ shape: [Int], seed: UInt64) -> Variable {
    var g = SeededGenerator(seed: seed)
    return Variable(Tensor.uniform(shape: shape, lower: -1, upper: 1, using: &g), requiresGradient: true)
}

/// Asserts every checked variable agrees with finite differences to 3e-3 relative (observed: ≤ 2e-4),
/// and that the check was not vacuous (some gradient is non-zero).
func expectGradientsMatch(
    _ variables: [(String, Variable)], step: Float = 1e-2, tolerance: Double = 3e-3,
    sourceLocation: SourceLocation = #_sourceLocation, _ f: () -> Variable
) {
    let results = checkGradients(of: variables, step: step, f)
    for r in results {
        #expect(r.relativeError < tolerance, "\(r)", sourceLocation: sourceLocation)
        #expect(r.largestGradient > 0, "vacuous check: \(r)", sourceLocation: sourceLocation)
    }
}

@Suite("Gradient checks (central differences)")
struct GradientTests {
    @Test(arguments: [(1, 5, 3), (7, 4, 9), (2, 1, 1)])
    func linearLayer(n: Int, inCount: Int, outCount: Int) {
        let x = randomVariable([n, inCount], seed: 1)
        let w = randomVariable([outCount, inCount], seed: 2)
        let b = randomVariable([outCount], seed: 3)
        expectGradientsMatch([("x", x), ("w", w), ("b", b)]) { linear(x, weight: w, bias: b) }
    }

    struct ConvCase: Sendable, CustomTestStringConvertible {
        var n, cIn, h, w, cOut, k, stride, padding: Int
        var testDescription: String { "N\(n) C\(cIn)→\(cOut) \(h)×\(w) k\(k) s\(stride) p\(padding)" }
    }

    static let convCases: [ConvCase] = [
        ConvCase(n: 1, cIn: 1, h: 5, w: 7, cOut: 3, k: 3, stride: 1, padding: 0),
        ConvCase(n: 7, cIn: 3, h: 6, w: 5, cOut: 5, k: 3, stride: 2, padding: 1),
        ConvCase(n: 2, cIn: 5, h: 9, w: 4, cOut: 3, k: 2, stride: 2, padding: 0),
        ConvCase(n: 3, cIn: 2, h: 4, w: 6, cOut: 1, k: 5, stride: 1, padding: 2),
        ConvCase(n: 1, cIn: 3, h: 7, w: 7, cOut: 2, k: 4, stride: 3, padding: 2),
        // Large enough planes for the shifted-view path (stride 1, Ho·Wp ≥ 1024).
        ConvCase(n: 3, cIn: 3, h: 33, w: 35, cOut: 4, k: 3, stride: 1, padding: 1),
        ConvCase(n: 2, cIn: 2, h: 40, w: 30, cOut: 3, k: 5, stride: 1, padding: 0),
        ConvCase(n: 2, cIn: 1, h: 36, w: 31, cOut: 2, k: 3, stride: 1, padding: 2),
        // More than 8 channels (kernel rows not unfolded), and a batch that each thread
        // works through in several cache-sized chunks.
        ConvCase(n: 13, cIn: 12, h: 50, w: 46, cOut: 9, k: 3, stride: 1, padding: 1),
        // Kernel smaller than the stride: the transposed convolution has phases without taps.
        ConvCase(n: 5, cIn: 10, h: 8, w: 7, cOut: 11, k: 2, stride: 3, padding: 0),
    ]

    @Test(arguments: convCases)
    func convolution(_ c: ConvCase) {
        let x = randomVariable([c.n, c.cIn, c.h, c.w], seed: 4)
        let w = randomVariable([c.cOut, c.cIn, c.k, c.k], seed: 5)
        let b = randomVariable([c.cOut], seed: 6)
        expectGradientsMatch([("x", x), ("w", w), ("b", b)]) {
            conv2d(x, weight: w, bias: b, stride: c.stride, padding: c.padding)
        }
    }

    @Test(arguments: convCases)
    func transposedConvolution(_ c: ConvCase) {
        let x = randomVariable([c.n, c.cIn, c.h, c.w], seed: 7)
        let w = randomVariable([c.cIn, c.cOut, c.k, c.k], seed: 8)
        let b = randomVariable([c.cOut], seed: 9)
        let outputPadding = c.stride > 1 ? 1 : 0
        expectGradientsMatch([("x", x), ("w", w), ("b", b)]) {
            convTranspose2d(x, weight: w, bias: b, stride: c.stride, padding: c.padding, outputPadding: outputPadding)
        }
    }

    @Test(arguments: [(2, 2), (3, 2), (3, 1)])
    func pooling(kernel: Int, stride: Int) {
        let x = randomVariable([7, 3, 7, 6], seed: 10)
        expectGradientsMatch([("x", x)], step: 1e-3) { maxPool2d(x, kernelSize: kernel, stride: stride) }
        expectGradientsMatch([("x", x)]) { avgPool2d(x, kernelSize: kernel, stride: stride) }
        // Odd sides: a last row and column that no 2×2 window covers get zero gradient.
        let odd = randomVariable([3, 2, 5, 7], seed: 11)
        expectGradientsMatch([("x", odd)], step: 1e-3) { maxPool2d(odd, kernelSize: 2, stride: 2) }
    }

    @Test func upsampling() {
        let x = randomVariable([2, 3, 3, 5], seed: 11)
        expectGradientsMatch([("x", x)]) { upsampleNearest(x, factor: 2) }
        expectGradientsMatch([("x", x)]) { upsampleNearest(x, factor: 3) }
    }

    @Test(arguments: [[7, 3, 4, 5], [5, 3], [1, 3, 3, 2]])
    func batchNormalization(shape: [Int]) {
        let c = shape[1]
        let x = randomVariable(shape, seed: 12)
        let gamma = randomVariable([c], seed: 13)
        let beta = randomVariable([c], seed: 14)
        let rm = Variable(Tensor(shape: [c], repeating: 0.1))
        let rv = Variable(Tensor(shape: [c], repeating: 0.7))
        expectGradientsMatch([("x", x), ("gamma", gamma), ("beta", beta)]) {
            batchNorm(x, gamma: gamma, beta: beta, runningMean: rm, runningVariance: rv, training: true)
        }
        expectGradientsMatch([("x", x), ("gamma", gamma), ("beta", beta)]) {
            batchNorm(x, gamma: gamma, beta: beta, runningMean: rm, runningVariance: rv, training: false)
        }
    }

    @Test func activations() {
        let x = randomVariable([7, 3, 2, 3], seed: 15)
        expectGradientsMatch([("x", x)], step: 1e-3) { relu(x) }
        expectGradientsMatch([("x", x)], step: 1e-3) { leakyReLU(x, negativeSlope: 0.2) }
        expectGradientsMatch([("x", x)]) { sigmoid(x * 3) }
        expectGradientsMatch([("x", x)]) { tanh(x * 2) }
        expectGradientsMatch([("x", x)]) { exp(x) }
    }

    @Test func arithmeticAndReductions() {
        let a = randomVariable([3, 5], seed: 16)
        let b = randomVariable([3, 5], seed: 17)
        expectGradientsMatch([("a", a), ("b", b)]) { a * b + (a - b) * 0.5 }
        expectGradientsMatch([("a", a), ("b", b)]) { sum(a * b) }
        expectGradientsMatch([("a", a)]) { mean(reshape(a, to: [15])) }
        // A variable used twice: gradients from both paths must add up.
        expectGradientsMatch([("a", a)]) { a * a + a }
    }

    @Test func compositeNetworkGradientWithRespectToInput() {
        // conv → BN → ReLU → pool → dense: ∂L/∂input through the whole stack.
        let x = randomVariable([3, 2, 8, 6], seed: 18)
        let w1 = randomVariable([4, 2, 3, 3], seed: 19)
        let gamma = Variable(Tensor(shape: [4], repeating: 1), requiresGradient: true)
        let beta = Variable(Tensor(zeros: [4]), requiresGradient: true)
        let rm = Variable(Tensor(zeros: [4])), rv = Variable(Tensor(shape: [4], repeating: 1))
        let w2 = randomVariable([5, 4 * 4 * 3], seed: 20)
        expectGradientsMatch([("x", x), ("w1", w1), ("w2", w2)], step: 3e-3) {
            let h = conv2d(x, weight: w1, bias: nil, stride: 1, padding: 1)
            let nrm = batchNorm(h, gamma: gamma, beta: beta, runningMean: rm, runningVariance: rv, training: true)
            let p = maxPool2d(tanh(nrm), kernelSize: 2)
            return linear(reshape(p, to: [3, 48]), weight: w2, bias: nil)
        }
    }
}
