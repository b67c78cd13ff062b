import LatentSampling
import NeuralNetworks
import TensorEngine
#if canImport(Glibc)
import Glibc
#endif

// What the active-learning strategies need from a classifier built on the engine: class
// probabilities, the penultimate embedding h(x) (the input of the last layer, found by
// running a `Sequential` network's layers except the last, so no architecture's sizes
// are assumed), and Monte-Carlo dropout on h(x) for BALD.

extension SupervisedNetwork: ClassProbabilityModel where Objective == Classification {
    /// softmax(F(x)) in evaluation mode, `evaluationBatchSize` samples at a time.
    public func classProbabilities(_ samples: SampleBatch) throws -> FeatureRows {
        var values: [Float] = []
        var columns = objective.classCount
        network.eval()
        withoutGradients {
            for start in stride(from: 0, to: samples.count, by: evaluationBatchSize) {
                let rows = Array(start..<min(start + evaluationBatchSize, samples.count))
                let logits = network(Variable(Tensor(samples.selecting(rows)))).value
                columns = logits.shape[1]
                values += softmaxRows(logits.scalars, columns: columns)
            }
        }
        return FeatureRows(columns: columns, values: values)
    }
}

extension SupervisedNetwork: EmbeddingModel where Objective == Classification {
    /// h(x), the output of every layer but the last of a `Sequential` network
    /// (flattened per sample), and softmax(F(x)), in evaluation mode.
    ///
    /// - Throws: `SamplingError.invalidParameter(_:)` when the network is not a
    ///   `Sequential` of at least two layers.
    public func embeddingsAndProbabilities(_ samples: SampleBatch) throws -> (embeddings: FeatureRows, probabilities: FeatureRows) {
        let (head, last) = try splitLastLayer()
        var embeddings: [Float] = [], probabilities: [Float] = []
        var width = 1, classes = objective.classCount
        network.eval()
        withoutGradients {
            for start in stride(from: 0, to: samples.count, by: evaluationBatchSize) {
                let rows = Array(start..<min(start + evaluationBatchSize, samples.count))
                var x = Variable(Tensor(samples.selecting(rows)))
                for layer in head { x = layer(x) }
                width = x.value.count / rows.count
                embeddings += x.value.scalars
                let logits = last(x).value
                classes = logits.shape[1]
                probabilities += softmaxRows(logits.scalars, columns: classes)
            }
        }
        return (FeatureRows(columns: width, values: embeddings), FeatureRows(columns: classes, values: probabilities))
    }
}

extension SupervisedNetwork: MonteCarloDropoutModel where Objective == Classification {
    /// Monte-Carlo dropout on the last layer's input: h(x) once in evaluation mode, then
    /// `passes` times softmax(last(dropout(h))) with a fresh `Dropout` mask of rate
    /// ``monteCarloDropoutRate``. (The networks here are trained without dropout, so
    /// this is the cheap last-layer variant of MC dropout that baal and DeepAL+ also
    /// offer; a network with its own `Dropout` layers would be sampled the same way.)
    public func dropoutProbabilities(_ samples: SampleBatch, passes: Int, seed: UInt64) throws -> [FeatureRows] {
        let (head, last) = try splitLastLayer()
        let dropout = Dropout(rate: monteCarloDropoutRate, seed: seed)
        dropout.isMonteCarlo = true
        var values = [[Float]](repeating: [], count: passes)
        var classes = objective.classCount
        network.eval()
        dropout.eval()
        withoutGradients {
            for start in stride(from: 0, to: samples.count, by: evaluationBatchSize) {
                let rows = Array(start..<min(start + evaluationBatchSize, samples.count))
                var x = Variable(Tensor(samples.selecting(rows)))
                for layer in head { x = layer(x) }
                for pass in 0..<passes {
                    let logits = last(dropout(x)).value
                    classes = logits.shape[1]
                    values[pass] += softmaxRows(logits.scalars, columns: classes)
                }
            }
        }
        return values.map { FeatureRows(columns: classes, values: $0) }
    }

    /// The dropout rate p of ``dropoutProbabilities(_:passes:seed:)``: 0.5.
    public var monteCarloDropoutRate: Float { 0.5 }
}

extension SupervisedNetwork {
    /// The network's layers before the last one, and the last one.
    func splitLastLayer() throws -> (head: [any Layer], last: any Layer) {
        guard let sequential = network as? Sequential, sequential.layers.count >= 2 else {
            throw SamplingError.invalidParameter(
                "embeddings need a Sequential network of at least two layers, not \(type(of: network))")
        }
        return (sequential.layers.dropLast().map(\.layer), sequential.layers.last!.layer)
    }
}

/// Row-wise softmax of logits (with the max shift).
func softmaxRows(_ logits: [Float], columns: Int) -> [Float] {
    var result = logits
    for start in stride(from: 0, to: logits.count, by: columns) {
        let row = logits[start ..< start + columns]
        let top = row.max()!
        var sum: Float = 0
        for j in 0..<columns { let e = expf(row[start + j] - top); result[start + j] = e; sum += e }
        for j in 0..<columns { result[start + j] /= sum }
    }
    return result
}
