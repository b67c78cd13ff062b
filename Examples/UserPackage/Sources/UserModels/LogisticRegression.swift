import LatentSampling

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A binary classifier p(y = 1 | x) = σ(wᵀx + b), trained by mini-batch gradient descent
/// on the mean cross-entropy: the target model F, in plain Swift.
///
/// A minimal ``TargetModel``: no HDF5 code. It does not conform to
/// ``ResumableTargetModel``, so a resumed run rebuilds it by replaying training.
public final class LogisticRegression: TargetModel {
    /// Class 0 or 1.
    public typealias Label = Int32

    /// The weights w, one per scalar of a sample.
    public private(set) var weights: [Float]
    /// The bias b.
    public private(set) var bias: Float = 0
    /// The gradient step size η.
    public let learningRate: Float
    /// Samples per gradient step.
    public let batchSize: Int

    /// A classifier of samples of `inputCount` scalars.
    public init(inputCount: Int, learningRate: Float = 0.5, batchSize: Int = 16) {
        precondition(inputCount > 0 && learningRate > 0 && batchSize > 0, "inputs, η and the batch size must be positive")
        weights = [Float](repeating: 0, count: inputCount)
        self.learningRate = learningRate
        self.batchSize = batchSize
    }

    /// "accuracy".
    public var metricName: String { "accuracy" }
    /// Accuracy grows with quality.
    public var metricIncreases: Bool { true }

    /// The logit wᵀx + b of one sample.
    func logit(_ x: [Float]) -> Float {
        var s = bias
        for j in x.indices { s += weights[j] * x[j] }
        return s
    }

    /// σ(t), computed without overflow.
    static func sigmoid(_ t: Float) -> Float { t >= 0 ? 1 / (1 + exp(-t)) : exp(t) / (1 + exp(t)) }

    /// `epochs` passes of mini-batch gradient descent in an order shuffled by `seed`,
    /// from the current parameters.
    public func train(on samples: SampleBatch, labels: [Int32], epochs: Int, seed: UInt64) throws {
        var randomness = SplitMix64(seed: seed)
        var order = Array(0..<samples.count)
        for _ in 0..<epochs {
            order.shuffle(using: &randomness)
            for start in stride(from: 0, to: order.count, by: batchSize) {
                let rows = order[start..<min(start + batchSize, order.count)]
                var gradient = [Float](repeating: 0, count: weights.count), biasGradient: Float = 0
                for i in rows {
                    let x = samples.sample(at: i)
                    let error = Self.sigmoid(logit(x)) - Float(labels[i])   // ∂ℓ/∂(wᵀx + b)
                    for j in x.indices { gradient[j] += error * x[j] }
                    biasGradient += error
                }
                let step = learningRate / Float(rows.count)
                for j in weights.indices { weights[j] -= step * gradient[j] }
                bias -= step * biasGradient
            }
        }
    }

    /// w = 0 plus a small perturbation drawn with `seed`, b = 0.
    public func resetParameters(seed: UInt64) {
        var randomness = SplitMix64(seed: seed)
        weights = weights.map { _ in Float.random(in: -0.01...0.01, using: &randomness) }
        bias = 0
    }

    /// The class with the larger probability, 1 when σ(wᵀx + b) ≥ ½.
    public func predict(_ samples: SampleBatch) -> [Int32] {
        (0..<samples.count).map { logit(samples.sample(at: $0)) >= 0 ? 1 : 0 }
    }

    /// The fraction of samples classified correctly.
    public func evaluate(on samples: SampleBatch, labels: [Int32]) throws -> Double {
        guard samples.count > 0 else { return 0 }
        let correct = zip(predict(samples), labels).filter { $0 == $1 }.count
        return Double(correct) / Double(samples.count)
    }

    /// ℓᵢ = −log p(yᵢ | xᵢ) and ∂ℓᵢ/∂xᵢ = (σ(wᵀxᵢ + b) − yᵢ) w.
    public func lossAndInputGradient(
        at samples: SampleBatch, labels: [Int32]
    ) throws -> (losses: [Float], inputGradient: SampleBatch) {
        var losses: [Float] = [], gradient: [Float] = []
        for i in 0..<samples.count {
            let t = logit(samples.sample(at: i)), y = Float(labels[i])
            // −[y log σ(t) + (1 − y) log(1 − σ(t))] = softplus(t) − y t, stably.
            losses.append(max(t, 0) + log1p(exp(-abs(t))) - y * t)
            let error = Self.sigmoid(t) - y
            gradient += weights.map { error * $0 }
        }
        return (losses, SampleBatch(sampleShape: samples.sampleShape, values: gradient))
    }
}

/// SplitMix64 (Steele, Lea and Flood, 2014): the user's own seeded generator. The core's
/// strategies take any `RandomNumberGenerator`, so a user needs none of the package's.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose sequence is determined by `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
