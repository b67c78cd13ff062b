import HDF5Store
import LatentSampling
import NeuralNetworks
import TensorEngine

/// An engine-built network as the core's target model F: trained with Adam on
/// mini-batches, evaluated and differentiated with respect to its inputs.
///
/// Each call to ``train(on:labels:epochs:seed:)`` starts a fresh Adam optimizer, so
/// training depends only on the parameters, the data, the epochs and the seed; a run
/// resumed from saved parameters therefore continues exactly.
public final class SupervisedNetwork<Objective: SupervisedObjective>: ResumableTargetModel {
    /// One sample's label.
    public typealias Label = Objective.Label

    /// The loss and metric.
    public let objective: Objective
    /// The network (replaced by ``resetParameters(seed:)``).
    public private(set) var network: any Layer
    /// Mini-batch size for training.
    public var batchSize: Int
    /// Adam's step size η.
    public var learningRate: Float
    /// Mini-batch size for evaluation and gradients.
    public var evaluationBatchSize = 256
    private let makeNetwork: (UInt64) -> any Layer

    /// A target model built by `makeNetwork(seed)`.
    public init(objective: Objective, batchSize: Int = 64, learningRate: Float = 1e-3,
                makeNetwork: @escaping (UInt64) -> any Layer) {
        precondition(batchSize > 0 && learningRate > 0, "batch size and learning rate must be positive")
        self.objective = objective
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.makeNetwork = makeNetwork
        self.network = makeNetwork(0)
    }

    /// The objective's metric name.
    public var metricName: String { objective.metricName }
    /// Whether the metric grows with quality.
    public var metricIncreases: Bool { objective.metricIncreases }

    /// `epochs` passes of Adam over shuffled mini-batches.
    public func train(on samples: SampleBatch, labels: [Label], epochs: Int, seed: UInt64) throws {
        precondition(samples.count == labels.count, "\(samples.count) samples but \(labels.count) labels")
        guard samples.count > 0 else { return }
        network.train()
        let optimizer = Adam(parameters: network.parameters, learningRate: learningRate)
        var randomness = SeededGenerator(seed: seed)
        var order = Array(0..<samples.count)
        for _ in 0..<epochs {
            order.shuffle(using: &randomness)
            for start in stride(from: 0, to: order.count, by: batchSize) {
                let rows = Array(order[start..<min(start + batchSize, order.count)])
                // A batch of one has no batch statistics; skip it rather than divide by zero.
                if rows.count == 1 && order.count > 1 { continue }
                optimizer.zeroGradients()
                let output = network(Variable(Tensor(samples.selecting(rows))))
                objective.meanLoss(output, labels: rows.map { labels[$0] }).backward()
                optimizer.step()
            }
        }
        network.eval()
    }

    /// A fresh network from `makeNetwork(seed)`.
    public func resetParameters(seed: UInt64) {
        network = makeNetwork(seed)
    }

    /// The predicted labels, in evaluation mode.
    public func predict(_ samples: SampleBatch) throws -> [Label] {
        var labels: [Label] = []
        try forEachBatch(of: samples) { _, output in labels += objective.predictions(output) }
        return labels
    }

    /// The mean of the objective's per-sample scores (accuracy, MSE).
    public func evaluate(on samples: SampleBatch, labels: [Label]) throws -> Double {
        var total = 0.0
        try forEachBatch(of: samples) { rows, output in
            total += objective.sampleScores(output, labels: rows.map { labels[$0] }).reduce(0, +)
        }
        return samples.count == 0 ? .nan : total / Double(samples.count)
    }

    /// ℓᵢ and ∂ℓᵢ/∂xᵢ, in evaluation mode (BatchNorm uses its running statistics).
    public func lossAndInputGradient(
        at samples: SampleBatch, labels: [Label]
    ) throws -> (losses: [Float], inputGradient: SampleBatch) {
        network.eval()
        network.setParametersRequireGradient(false)
        defer { network.setParametersRequireGradient(true) }
        var losses: [Float] = []
        var gradient: [Float] = []
        gradient.reserveCapacity(samples.values.count)
        for start in stride(from: 0, to: samples.count, by: evaluationBatchSize) {
            let rows = Array(start..<min(start + evaluationBatchSize, samples.count))
            let input = Variable(Tensor(samples.selecting(rows)), requiresGradient: true)
            let output = network(input)
            let batchLabels = rows.map { labels[$0] }
            losses += objective.sampleLosses(output.value, labels: batchLabels)
            objective.summedLoss(output, labels: batchLabels).backward()
            gradient += input.gradient?.scalars ?? [Float](repeating: 0, count: input.value.count)
        }
        return (losses, SampleBatch(sampleShape: samples.sampleShape, values: gradient))
    }

    /// Saves parameters and buffers with ``ParameterArchive``.
    public func saveParameters(to group: HDF5Group) throws {
        try ParameterArchive.save(network, to: group)
    }

    /// Loads parameters and buffers with ``ParameterArchive``.
    public func loadParameters(from group: HDF5Group) throws {
        try ParameterArchive.load(network, from: group)
    }

    private func forEachBatch(of samples: SampleBatch, _ body: ([Int], Tensor) throws -> Void) throws {
        network.eval()
        try withoutGradients {
            for start in stride(from: 0, to: samples.count, by: evaluationBatchSize) {
                let rows = Array(start..<min(start + evaluationBatchSize, samples.count))
                try body(rows, network(Variable(Tensor(samples.selecting(rows)))).value)
            }
        }
    }
}
