import LatentSampling
import NeuralNetworks
import TensorEngine
#if canImport(Glibc)
import Glibc
#endif

/// What a supervised network learns: its loss, its per-sample scores and its metric.
public protocol SupervisedObjective: Sendable {
    /// One sample's label.
    associatedtype Label: StorableLabel

    /// The metric's name ("accuracy", "mse").
    var metricName: String { get }
    /// Whether a larger metric is better.
    var metricIncreases: Bool { get }

    /// The training loss of a batch, averaged over its samples.
    func meanLoss(_ output: Variable, labels: [Label]) -> Variable
    /// The loss summed over the batch's samples, L = Σᵢ ℓ(F(xᵢ), yᵢ): its gradient with
    /// respect to sample i is ∂ℓᵢ/∂xᵢ, whatever the batch size.
    func summedLoss(_ output: Variable, labels: [Label]) -> Variable
    /// ℓᵢ for each sample.
    func sampleLosses(_ output: Tensor, labels: [Label]) -> [Float]
    /// Each sample's contribution to the metric; the metric is their mean.
    func sampleScores(_ output: Tensor, labels: [Label]) -> [Double]
    /// The label the network predicts for each sample.
    func predictions(_ output: Tensor) -> [Label]
}

/// Classification into `classCount` classes: softmax cross-entropy on logits
/// [N, classes], metric accuracy.
public struct Classification: SupervisedObjective {
    /// The number of classes.
    public let classCount: Int

    /// A classification objective.
    public init(classCount: Int) { self.classCount = classCount }

    /// "accuracy".
    public var metricName: String { "accuracy" }
    /// Accuracy grows when the model improves.
    public var metricIncreases: Bool { true }

    /// Mean softmax cross-entropy.
    public func meanLoss(_ output: Variable, labels: [Int32]) -> Variable {
        softmaxCrossEntropy(logits: output, labels: labels.map(Int.init), reduction: .mean)
    }

    /// Summed softmax cross-entropy.
    public func summedLoss(_ output: Variable, labels: [Int32]) -> Variable {
        softmaxCrossEntropy(logits: output, labels: labels.map(Int.init), reduction: .sum)
    }

    /// −log softmax(logits)[y] per sample, with the log-sum-exp shift.
    public func sampleLosses(_ output: Tensor, labels: [Int32]) -> [Float] {
        let k = output.shape[1]
        return labels.indices.map { i in
            let row = output.scalars[i * k ..< (i + 1) * k]
            let top = row.max()!
            let logSum = logf(row.reduce(0) { $0 + expf($1 - top) }) + top
            return logSum - row[row.startIndex + Int(labels[i])]
        }
    }

    /// 1 for a correct prediction, 0 otherwise.
    public func sampleScores(_ output: Tensor, labels: [Int32]) -> [Double] {
        zip(predictions(output), labels).map { $0 == $1 ? 1 : 0 }
    }

    /// The arg-max class of each row of logits.
    public func predictions(_ output: Tensor) -> [Int32] {
        let k = output.shape[1]
        return (0..<output.shape[0]).map { i in
            let row = output.scalars[i * k ..< (i + 1) * k]
            return Int32(row.indices.max { row[$0] < row[$1] }! - i * k)
        }
    }
}

/// Regression of a map per sample (a stress map for a mask): mean squared error,
/// metric the mean squared error (lower is better).
public struct Regression: SupervisedObjective {
    /// A regression objective.
    public init() {}

    /// "mse".
    public var metricName: String { "mse" }
    /// The error shrinks when the model improves.
    public var metricIncreases: Bool { false }

    /// Mean squared error over all elements of the batch.
    public func meanLoss(_ output: Variable, labels: [[Float]]) -> Variable {
        meanSquaredError(output, target(labels, like: output.value), reduction: .mean)
    }

    /// Σᵢ of each sample's mean squared error.
    public func summedLoss(_ output: Variable, labels: [[Float]]) -> Variable {
        let perSample = output.value.count / max(labels.count, 1)
        return meanSquaredError(output, target(labels, like: output.value), reduction: .sum) * (1 / Float(perSample))
    }

    /// Each sample's mean squared error.
    public func sampleLosses(_ output: Tensor, labels: [[Float]]) -> [Float] {
        let m = output.count / max(labels.count, 1)
        return labels.indices.map { i in
            var sum: Float = 0
            for j in 0..<m { let e = output.scalars[i * m + j] - labels[i][j]; sum += e * e }
            return sum / Float(m)
        }
    }

    /// Each sample's mean squared error.
    public func sampleScores(_ output: Tensor, labels: [[Float]]) -> [Double] {
        sampleLosses(output, labels: labels).map(Double.init)
    }

    /// The predicted map of each sample.
    public func predictions(_ output: Tensor) -> [[Float]] {
        let m = output.count / max(output.shape[0], 1)
        return (0..<output.shape[0]).map { Array(output.scalars[$0 * m ..< ($0 + 1) * m]) }
    }

    private func target(_ labels: [[Float]], like output: Tensor) -> Tensor {
        let values = labels.flatMap { $0 }
        precondition(values.count == output.count, "regression labels hold \(values.count) values for an output of shape \(output.shape)")
        return Tensor(shape: output.shape, scalars: values)
    }
}
