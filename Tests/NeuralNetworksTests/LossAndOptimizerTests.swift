import Foundation
import Testing
import TensorEngine
@testable import NeuralNetworks

func randomVariable(_ shape: [Int], seed: UInt64, lower: Float = -1, upper: Float = 1) -> Variable {
    var g = SeededGenerator(seed: seed)
    return Variable(Tensor.uniform(shape: shape, lower: lower, upper: upper, using: &g), requiresGradient: true)
}

func expectGradientsMatch(
    _ variables: [(String, Variable)], step: Float = 1e-2, sourceLocation: SourceLocation = #_sourceLocation,
    _ f: () -> Variable
) {
    for r in checkGradients(of: variables, step: step, f) {
        #expect(r.relativeError < 3e-3, "\(r)", sourceLocation: sourceLocation)
        #expect(r.largestGradient > 0, "vacuous: \(r)", sourceLocation: sourceLocation)
    }
}

@Suite("Losses")
struct LossTests {
    @Test(arguments: [LossReduction.mean, .sum])
    func gradientsMatchFiniteDifferences(_ reduction: LossReduction) {
        let logits = randomVariable([7, 5], seed: 1, lower: -3, upper: 3)
        expectGradientsMatch([("logits", logits)]) {
            softmaxCrossEntropy(logits: logits, labels: [0, 4, 2, 2, 1, 3, 0], reduction: reduction)
        }
        var g = SeededGenerator(seed: 2)
        let target = Tensor.uniform(shape: [7, 5], lower: 0, upper: 1, using: &g)
        expectGradientsMatch([("prediction", logits)]) { meanSquaredError(logits, target, reduction: reduction) }
        expectGradientsMatch([("logits", logits)]) { binaryCrossEntropy(logits: logits, targets: target, reduction: reduction) }
        let mu = randomVariable([7, 3], seed: 3), lv = randomVariable([7, 3], seed: 4)
        expectGradientsMatch([("mean", mu), ("logVariance", lv)]) {
            gaussianKLDivergence(mean: mu, logVariance: lv, reduction: reduction)
        }
    }

    @Test func valuesMatchHandComputedFormulas() {
        // Cross-entropy of logits (0, ln 3) for label 1: −log(3/4).
        let ce = softmaxCrossEntropy(logits: Variable(Tensor(shape: [1, 2], scalars: [0, logf(3)])), labels: [1])
        #expect(abs(ce.value.scalar - (-logf(0.75))) < 1e-6)
        // Large logits must not overflow.
        let big = softmaxCrossEntropy(logits: Variable(Tensor(shape: [1, 2], scalars: [1000, 0])), labels: [1])
        #expect(abs(big.value.scalar - 1000) < 1e-3)
        let mse = meanSquaredError(Variable(Tensor(shape: [2], scalars: [1, 3])), Tensor(shape: [2], scalars: [0, 1]))
        #expect(mse.value.scalar == 2.5)
        // BCE(x = 0, t) = ln 2 for any t; BCE(x = 50, t = 1) ≈ 0 without overflow.
        let bce = binaryCrossEntropy(logits: Variable(Tensor(shape: [2], scalars: [0, 50])), targets: Tensor(shape: [2], scalars: [0.3, 1]), reduction: .sum)
        #expect(abs(bce.value.scalar - logf(2)) < 1e-6)
        // KL of N(μ=1, σ²=e) to N(0,1): −½(1 + 1 − 1 − e) = (e − 1)/2.
        let kl = gaussianKLDivergence(mean: Variable(Tensor(shape: [1, 1], scalars: [1])), logVariance: Variable(Tensor(shape: [1, 1], scalars: [1])))
        #expect(abs(kl.value.scalar - (expf(1) - 1) / 2) < 1e-6)
    }
}

@Suite("Optimizers")
struct OptimizerTests {
    @Test func adamMatchesTheUpdateRuleWrittenOut() {
        let p = Variable(Tensor(shape: [2], scalars: [1, -2]), requiresGradient: true)
        let adam = Adam(parameters: [p], learningRate: 0.1, weightDecay: 0.01)
        var m: [Double] = [0, 0], v: [Double] = [0, 0], theta: [Double] = [1, -2]
        for t in 1...3 {
            let grads: [Double] = [0.5 * Double(t), -0.25]
            p.gradient = Tensor(shape: [2], scalars: grads.map { Float($0) })
            adam.step()
            for i in 0..<2 {
                let g = grads[i] + 0.01 * theta[i]
                m[i] = 0.9 * m[i] + 0.1 * g
                v[i] = 0.999 * v[i] + 0.001 * g * g
                let mh = m[i] / (1 - pow(0.9, Double(t))), vh = v[i] / (1 - pow(0.999, Double(t)))
                theta[i] -= 0.1 * mh / (vh.squareRoot() + 1e-8)
            }
        }
        for i in 0..<2 { #expect(abs(Double(p.value.scalars[i]) - theta[i]) < 1e-5) }
    }

    @Test func sgdWithMomentumMatchesTheUpdateRule() {
        let p = Variable(Tensor(shape: [1], scalars: [1]), requiresGradient: true)
        let sgd = SGD(parameters: [p], learningRate: 0.1, momentum: 0.9)
        p.gradient = Tensor(shape: [1], scalars: [1]); sgd.step()   // b = 1, θ = 0.9
        p.gradient = Tensor(shape: [1], scalars: [1]); sgd.step()   // b = 1.9, θ = 0.71
        #expect(abs(p.value.scalars[0] - 0.71) < 1e-6)
    }

    @Test func adamMinimizesAQuadratic() {
        let p = Variable(Tensor(shape: [3], scalars: [3, -1, 2]), requiresGradient: true)
        let adam = Adam(parameters: [p], learningRate: 0.05)
        let target = Tensor(shape: [3], scalars: [0.5, 0.25, -1])
        for _ in 0..<500 {
            adam.zeroGradients()
            meanSquaredError(p, target).backward()
            adam.step()
        }
        #expect(p.value.maxAbsoluteDifference(to: target) < 1e-2)
    }
}
