import TensorEngine

/// Updates parameters from their accumulated gradients.
public protocol Optimizer: AnyObject {
    /// The variables this optimizer updates.
    var parameters: [Variable] { get }
    /// Applies one update using each parameter's current `gradient` (parameters without
    /// a gradient are left unchanged).
    func step()
}

extension Optimizer {
    /// Drops the parameters' gradients before the next backward pass.
    public func zeroGradients() {
        for p in parameters { p.gradient = nil }
    }
}

/// Adam (Kingma & Ba), with PyTorch's update:
/// g ← g + λ·θ (L2 weight decay, unless decoupled), m ← β₁m + (1 − β₁)g,
/// v ← β₂v + (1 − β₂)g², θ ← θ − η·m̂ / (√v̂ + ε) with bias-corrected m̂, v̂.
/// With `decoupledWeightDecay` the decay is applied as θ ← θ − ηλθ instead (AdamW).
public final class Adam: Optimizer {
    public let parameters: [Variable]
    /// Step size η.
    public var learningRate: Float
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    /// Weight decay λ.
    public let weightDecay: Float
    public let decoupledWeightDecay: Bool
    /// Number of steps taken.
    public private(set) var stepCount = 0
    private var firstMoments: [[Float]]
    private var secondMoments: [[Float]]

    public init(
        parameters: [Variable], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
        epsilon: Float = 1e-8, weightDecay: Float = 0, decoupledWeightDecay: Bool = false
    ) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
        firstMoments = parameters.map { [Float](repeating: 0, count: $0.value.count) }
        secondMoments = parameters.map { [Float](repeating: 0, count: $0.value.count) }
    }

    public func step() {
        stepCount += 1
        let t = Float(stepCount)
        let correction1 = 1 - powf(beta1, t), correction2 = 1 - powf(beta2, t)
        let stepSize = learningRate / correction1
        let sqrtCorrection2 = correction2.squareRoot()
        let b1 = beta1, b2 = beta2, eps = epsilon, wd = weightDecay, lr = learningRate
        let decoupled = decoupledWeightDecay
        for (index, p) in parameters.enumerated() {
            guard let grad = p.gradient else { continue }
            grad.scalars.withUnsafeBufferPointer { g in
                p.value.scalars.withUnsafeMutableBufferPointer { theta in
                    firstMoments[index].withUnsafeMutableBufferPointer { m in
                        secondMoments[index].withUnsafeMutableBufferPointer { v in
                            let (gp, tp, mp, vp) = (g.baseAddress!, theta.baseAddress!, m.baseAddress!, v.baseAddress!)
                            // Element ranges of large tensors run on the engine's threads.
                            parallelElementRanges(theta.count) { range in
                                if wd != 0 && decoupled {
                                    for i in range { tp[i] -= lr * wd * tp[i] }
                                }
                                let l = range.lowerBound
                                VectorKernels.adamStep(
                                    theta: tp + l, gradient: gp + l, firstMoment: mp + l, secondMoment: vp + l,
                                    count: range.count, beta1: b1, beta2: b2, l2: decoupled ? 0 : wd,
                                    stepSize: stepSize, inverseSqrtCorrection2: 1 / sqrtCorrection2, epsilon: eps)
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Stochastic gradient descent with momentum (PyTorch's form):
/// g ← g + λθ, b ← μb + g (b = g on the first step), θ ← θ − ηb.
public final class SGD: Optimizer {
    public let parameters: [Variable]
    /// Step size η.
    public var learningRate: Float
    /// Momentum μ (0 for plain SGD).
    public let momentum: Float
    /// L2 weight decay λ.
    public let weightDecay: Float
    private var velocities: [[Float]]
    private var started: [Bool]

    public init(parameters: [Variable], learningRate: Float, momentum: Float = 0, weightDecay: Float = 0) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        velocities = parameters.map { [Float](repeating: 0, count: $0.value.count) }
        started = parameters.map { _ in false }
    }

    public func step() {
        let lr = learningRate, mu = momentum, wd = weightDecay
        for (index, p) in parameters.enumerated() {
            guard let grad = p.gradient else { continue }
            let first = !started[index]
            started[index] = true
            grad.scalars.withUnsafeBufferPointer { g in
                p.value.scalars.withUnsafeMutableBufferPointer { theta in
                    velocities[index].withUnsafeMutableBufferPointer { b in
                        for i in 0..<theta.count {
                            let gi = g[i] + wd * theta[i]
                            if mu != 0 {
                                b[i] = first ? gi : mu * b[i] + gi
                                theta[i] -= lr * b[i]
                            } else {
                                theta[i] -= lr * gi
                            }
                        }
                    }
                }
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
