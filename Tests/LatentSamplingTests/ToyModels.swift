import Foundation
import HDF5Store
import LatentSampling

// Small models with known answers, written outside the engine: they also show that a
// user's own model conforms to the core's roles without touching the tensor engine.

/// A linear generator in a 2-D latent space: x = G(z) = A z + b, with pullback Aᵀ v.
struct LinearGenerator: Generator, LatentEncoder {
    var a: [Float] = [2, 1, 0, 1]  // row-major 2×2
    var b: [Float] = [0.5, -1]

    var latentDimension: Int { 2 }
    var sampleShape: [Int] { [2] }

    func generate(_ codes: LatentPoints) -> SampleBatch {
        var values: [Float] = []
        for i in 0..<codes.count {
            let z = codes.point(at: i)
            values += [a[0] * z[0] + a[1] * z[1] + b[0], a[2] * z[0] + a[3] * z[1] + b[1]]
        }
        return SampleBatch(sampleShape: [2], values: values)
    }

    func pullback(at codes: LatentPoints, cotangent: SampleBatch) -> LatentPoints {
        var values: [Float] = []
        for i in 0..<codes.count {
            let v = cotangent.sample(at: i)
            values += [a[0] * v[0] + a[2] * v[1], a[1] * v[0] + a[3] * v[1]]
        }
        return LatentPoints(dimension: 2, values: values)
    }

    /// The exact inverse, E(x) = A⁻¹(x − b).
    func encode(_ samples: SampleBatch) -> LatentPoints {
        let det = a[0] * a[3] - a[1] * a[2]
        var values: [Float] = []
        for i in 0..<samples.count {
            let x = samples.sample(at: i)
            let u = x[0] - b[0], v = x[1] - b[1]
            values += [(a[3] * u - a[1] * v) / det, (-a[2] * u + a[0] * v) / det]
        }
        return LatentPoints(dimension: 2, values: values)
    }
}

/// A deterministic target model with state: L(x, y) = w·x + y (so ∂L/∂x = w everywhere),
/// and a parameter vector θ that training changes in a seed-dependent way.
final class LinearLossModel: ResumableTargetModel {
    typealias Label = Int32

    let w: [Float]
    var theta: [Double] = [0, 0]
    var trainingSizes: [Int] = []
    /// Training throws in this round (1-based count of `train` calls), to simulate a crash.
    var failInTrainingCall: Int?

    init(w: [Float] = [1, 0]) { self.w = w }

    var metricName: String { "score" }
    var metricIncreases: Bool { true }

    struct SimulatedCrash: Error {}

    func train(on samples: SampleBatch, labels: [Int32], epochs: Int, seed: UInt64) throws {
        trainingSizes.append(samples.count)
        if trainingSizes.count == failInTrainingCall { throw SimulatedCrash() }
        let mean = (0..<samples.count).reduce(into: [0.0, 0.0]) { sum, i in
            let x = samples.sample(at: i)
            sum[0] += Double(x[0]) / Double(samples.count)
            sum[1] += Double(x[1]) / Double(samples.count)
        }
        let jitter = Double(seed % 1000) / 1000
        theta = [theta[0] * 0.5 + mean[0] + jitter * Double(epochs), theta[1] * 0.5 + mean[1]]
    }

    func resetParameters(seed: UInt64) { theta = [Double(seed % 7), 0] }

    func evaluate(on samples: SampleBatch, labels: [Int32]) -> Double {
        theta[0] + 0.1 * theta[1] + Double(samples.count)
    }

    func lossAndInputGradient(at samples: SampleBatch, labels: [Int32]) -> (losses: [Float], inputGradient: SampleBatch) {
        let losses = (0..<samples.count).map { i -> Float in
            let x = samples.sample(at: i)
            return w[0] * x[0] + w[1] * x[1] + Float(labels[i])
        }
        let gradient = (0..<samples.count).flatMap { _ in w }
        return (losses, SampleBatch(sampleShape: samples.sampleShape, values: gradient))
    }

    func saveParameters(to group: HDF5Group) throws {
        try group.createDataset("theta", values: theta, shape: [2])
    }

    func loadParameters(from group: HDF5Group) throws {
        theta = try group.dataset("theta").read(as: Double.self)
    }
}

/// ``LinearLossModel`` without parameter storage: a plain ``TargetModel``, as a user's
/// minimal conformance is, which the trainer resumes by replaying training.
final class PlainLinearModel: TargetModel {
    typealias Label = Int32
    let inner = LinearLossModel()
    var metricName: String { inner.metricName }
    var metricIncreases: Bool { inner.metricIncreases }
    func train(on samples: SampleBatch, labels: [Int32], epochs: Int, seed: UInt64) throws {
        try inner.train(on: samples, labels: labels, epochs: epochs, seed: seed)
    }
    func resetParameters(seed: UInt64) { inner.resetParameters(seed: seed) }
    func evaluate(on samples: SampleBatch, labels: [Int32]) -> Double { inner.evaluate(on: samples, labels: labels) }
    func lossAndInputGradient(at samples: SampleBatch, labels: [Int32]) -> (losses: [Float], inputGradient: SampleBatch) {
        inner.lossAndInputGradient(at: samples, labels: labels)
    }
}

/// A labeling tool that labels a sample by the sign of its first coordinate, and
/// fails for samples whose first coordinate exceeds `failAbove`.
struct ThresholdTool: LabelingTool {
    var failAbove: Float = .infinity

    struct Refused: Error, CustomStringConvertible {
        var value: Float
        var description: String { "refused sample with x0 = \(value)" }
    }

    func label(_ samples: [[Float]]) async -> [LabelingOutcome<Int32>] {
        samples.map { x in
            let result: Result<Int32, any Error> = x[0] > failAbove ? .failure(Refused(value: x[0])) : .success(x[0] > 0 ? 1 : 0)
            return LabelingOutcome(result, cost: LabelingCost(seconds: 0.001, units: 1))
        }
    }
}

/// A pool of `count` real samples on a grid, with labels by the sign of x0.
func gridPool(count: Int) -> LabeledPool<Int32> {
    var values: [Float] = []
    var labels: [Int32] = []
    for i in 0..<count {
        let x = Float(i % 17) * 0.37 - 3, y = Float(i / 17) * 0.29 - 2
        values += [x, y]
        labels.append(x > 0 ? 1 : 0)
    }
    return try! LabeledPool(samples: SampleBatch(sampleShape: [2], values: values), labels: labels)
}

/// A fresh temporary directory, removed by `remove()`.
struct ScratchDirectory {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("latent-sampling-\(UUID().uuidString)")
    init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    func remove() { try? FileManager.default.removeItem(at: url) }
}
