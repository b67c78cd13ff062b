import Foundation
import Testing
import EngineModels
import LatentSampling
import NeuralNetworks
import TensorEngine

@Suite("Engine networks as active-learning models")
struct ActiveLearningSupportTests {
    func trainedModel() throws -> (SupervisedNetwork<Classification>, SampleBatch) {
        let model = SupervisedNetwork(objective: Classification(classCount: 3), batchSize: 4) { smallClassifier(seed: $0) }
        let x = SampleBatch(sampleShape: [6], values: values(6 * 9, seed: 21))
        try model.train(on: x, labels: [0, 1, 2, 2, 1, 0, 1, 0, 2], epochs: 2, seed: 1)
        return (model, x)
    }

    @Test("class probabilities are the softmax of the logits, and the arg-max is the prediction")
    func probabilities() throws {
        let (model, x) = try trainedModel()
        model.evaluationBatchSize = 4  // several batches
        let p = try model.classProbabilities(x)
        #expect(p.count == 9 && p.columns == 3)
        let logits = model.network(Tensor(x))
        let predictions = try model.predict(x)
        for i in 0..<9 {
            let row = Array(p.row(i))
            #expect(abs(row.reduce(0, +) - 1) < 1e-5)
            let l = Array(logits.scalars[i * 3 ..< i * 3 + 3])
            // log p_j − log p_k = l_j − l_k.
            #expect(abs((log(row[0]) - log(row[2])) - (l[0] - l[2])) < 1e-4)
            #expect(Int32(row.indices.max { row[$0] < row[$1] }!) == predictions[i])
        }
    }

    @Test("the penultimate embedding is every layer's output but the last, and the last layer maps it to the logits")
    func embeddings() throws {
        let (model, x) = try trainedModel()
        let (h, p) = try model.embeddingsAndProbabilities(x)
        #expect(h.count == 9 && h.columns == 9)  // fc1 → bn1 → tanh: 9 features
        let sequential = try #require(model.network as? Sequential)
        let logits = sequential.layers.last!.layer(Tensor(shape: [9, 9], scalars: h.values))
        let direct = model.network(Tensor(x))
        #expect(logits.maxAbsoluteDifference(to: direct) < 1e-5)
        #expect(p == (try model.classProbabilities(x)))
        // BADGE's factors: a = p − e_ŷ sums to zero per sample.
        let (a, _) = try model.gradientEmbeddingFactors(x)
        for i in 0..<9 { #expect(abs(a.row(i).reduce(0, +)) < 1e-5) }
    }

    @Test("Monte-Carlo dropout passes differ from each other, repeat with the seed, and leave the network deterministic")
    func monteCarloDropout() throws {
        let (model, x) = try trainedModel()
        let passes = try model.dropoutProbabilities(x, passes: 200, seed: 7)
        #expect(passes.count == 200 && passes[0].count == 9)
        #expect(passes[0] != passes[1])
        #expect(try model.dropoutProbabilities(x, passes: 200, seed: 7) == passes)
        for pass in passes.prefix(3) { for i in 0..<9 { #expect(abs(pass.row(i).reduce(0, +) - 1) < 1e-5) } }
        // The network itself is untouched: evaluation is still deterministic.
        #expect(try model.classProbabilities(x) == (try model.classProbabilities(x)))
    }

    @Test("a network that is not Sequential is refused with a typed error")
    func notSequential() {
        let model = SupervisedNetwork(objective: Classification(classCount: 2)) { seed -> any Layer in
            var g = SeededGenerator(seed: seed)
            return Residual(body: Dense(inputCount: 2, outputCount: 2, generator: &g))
        }
        #expect(throws: SamplingError.self) { try model.embeddingsAndProbabilities(SampleBatch(sampleShape: [2], values: [1, 2])) }
    }
}
