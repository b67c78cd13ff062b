import EngineModels
import Foundation
import HDF5Store
import LatentSampling
import NeuralNetworks
import TensorEngine
import Testing

/// Deterministic pseudo-random values in [-1, 1).
func values(_ count: Int, seed: UInt64) -> [Float] {
    var g = SeededGenerator(seed: seed)
    return (0..<count).map { _ in g.nextUniform() * 2 - 1 }
}

/// A small classifier with BatchNorm, so eval-mode gradients and buffers are exercised.
func smallClassifier(seed: UInt64) -> any Layer {
    var g = SeededGenerator(seed: seed)
    return Sequential([
        ("fc1", Dense(inputCount: 6, outputCount: 9, generator: &g)),
        ("bn1", BatchNorm(channels: 9)),
        ("act1", Tanh()),
        ("fc2", Dense(inputCount: 9, outputCount: 3, generator: &g)),
    ])
}

/// Checks J_G(z)ᵀv against central differences of ⟨v, G(z)⟩ along every latent axis,
/// computed in Double from the Float32 forward passes.
func expectPullbackMatchesFiniteDifferences(
    _ generator: some Generator, at z: LatentPoints, cotangent v: SampleBatch, step h: Float,
    sourceLocation: SourceLocation = #_sourceLocation, accept: (Double, Double) -> Bool
) {
    let pulled = try! generator.pullback(at: z, cotangent: v)
    func inner(_ points: LatentPoints) -> [Double] {
        let x = try! generator.generate(points)
        return (0..<points.count).map { i in zip(x.sample(at: i), v.sample(at: i)).reduce(0) { $0 + Double($1.0) * Double($1.1) } }
    }
    let d = z.dimension
    for k in 0..<d {
        var plus = z.values, minus = z.values
        for i in 0..<z.count { plus[i * d + k] += h; minus[i * d + k] -= h }
        let fd = zip(inner(LatentPoints(dimension: d, values: plus)), inner(LatentPoints(dimension: d, values: minus)))
            .map { ($0 - $1) / (2 * Double(h)) }
        for i in 0..<z.count {
            let analytic = Double(pulled.values[i * d + k])
            #expect(accept(analytic, fd[i]), "point \(i) axis \(k): \(analytic) vs \(fd[i])", sourceLocation: sourceLocation)
        }
    }
}

@Suite("Engine models in the core's roles")
struct EngineModelsTests {
    @Test("the VAE generator's pullback equals central finite differences of ⟨v, G(z)⟩")
    func vaePullbackMatchesFiniteDifferences() {
        let vae = VariationalAutoencoder(inputCount: 12, latentCount: 3, hiddenCounts: [10], seed: 4)
        let codec = VAECodec(autoencoder: vae, sampleShape: [1, 3, 4])
        let z = LatentPoints(dimension: 3, values: values(3 * 5, seed: 1))
        let v = SampleBatch(sampleShape: [1, 3, 4], values: values(12 * 5, seed: 2))
        // A small step keeps z ± h on one side of the decoder's ReLU kinks. Float32 forward
        // passes: ⟨v, G⟩ (≈ 1) carries rounding ≈ 1e-6, amplified by 1/(2h) = 500 to ≈ 5e-4;
        // hence 2e-3 absolute + 1% relative.
        expectPullbackMatchesFiniteDifferences(codec, at: z, cotangent: v, step: 1e-3) { analytic, fd in
            abs(analytic - fd) <= 2e-3 + 0.01 * abs(fd)
        }
        // The encoder returns one d-dimensional code per sample.
        #expect(codec.encode(v).count == 5 && codec.latentDimension == 3)
    }

    @Test("a classifier's input gradient equals finite differences of its per-sample loss")
    func classifierInputGradient() throws {
        let model = SupervisedNetwork(objective: Classification(classCount: 3), batchSize: 4) { smallClassifier(seed: $0) }
        let x = SampleBatch(sampleShape: [6], values: values(6 * 7, seed: 3))
        let labels: [Int32] = [0, 1, 2, 2, 1, 0, 1]
        // Train briefly so BatchNorm's running statistics are not the defaults.
        try model.train(on: x, labels: labels, epochs: 2, seed: 1)
        let (losses, gradient) = try model.lossAndInputGradient(at: x, labels: labels)
        #expect(losses.count == 7 && gradient.shape == [7, 6])
        let h: Float = 1e-2
        for i in [0, 3, 6] {
            for j in 0..<6 {
                var plus = x.values, minus = x.values
                plus[i * 6 + j] += h; minus[i * 6 + j] -= h
                let lp = try model.lossAndInputGradient(at: SampleBatch(sampleShape: [6], values: plus), labels: labels).losses[i]
                let lm = try model.lossAndInputGradient(at: SampleBatch(sampleShape: [6], values: minus), labels: labels).losses[i]
                let fd = (lp - lm) / (2 * h)
                #expect(abs(gradient.values[i * 6 + j] - fd) <= 2e-3 + 0.02 * abs(fd), "sample \(i) input \(j)")
            }
        }
        // Evaluation-mode gradients of one sample do not depend on the other samples.
        let alone = try model.lossAndInputGradient(at: x.selecting([3]), labels: [labels[3]])
        #expect(zip(alone.inputGradient.values, gradient.sample(at: 3)).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test("a regressor's input gradient equals finite differences of its per-sample loss")
    func regressorInputGradient() throws {
        let model = SupervisedNetwork(objective: Regression()) { seed -> any Layer in
            var g = SeededGenerator(seed: seed)
            return Sequential([("fc", Dense(inputCount: 4, outputCount: 5, generator: &g)), ("act", Sigmoid())])
        }
        let x = SampleBatch(sampleShape: [4], values: values(4 * 3, seed: 5))
        let labels = (0..<3).map { i in values(5, seed: 10 + UInt64(i)) }
        let (losses, gradient) = try model.lossAndInputGradient(at: x, labels: labels)
        let h: Float = 1e-2
        for i in 0..<3 {
            for j in 0..<4 {
                var plus = x.values, minus = x.values
                plus[i * 4 + j] += h; minus[i * 4 + j] -= h
                let lp = try model.lossAndInputGradient(at: SampleBatch(sampleShape: [4], values: plus), labels: labels).losses[i]
                let lm = try model.lossAndInputGradient(at: SampleBatch(sampleShape: [4], values: minus), labels: labels).losses[i]
                #expect(abs(gradient.values[i * 4 + j] - (lp - lm) / (2 * h)) <= 1e-3)
            }
        }
        #expect(abs(try model.evaluate(on: x, labels: labels) - Double(losses.reduce(0, +)) / 3) < 1e-6)
        #expect(!model.metricIncreases && model.metricName == "mse")
    }

    @Test("parameters and BatchNorm statistics round-trip exactly through HDF5")
    func parametersRoundTrip() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("engine-models-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("model.h5").path
        let x = SampleBatch(sampleShape: [6], values: values(6 * 16, seed: 8))
        let labels = (0..<16).map { Int32($0 % 3) }
        let trained = SupervisedNetwork(objective: Classification(classCount: 3)) { smallClassifier(seed: $0) }
        try trained.train(on: x, labels: labels, epochs: 3, seed: 2)
        try trained.saveParameters(to: try HDF5File(path: path, mode: .truncate).createGroup("model"))

        let restored = SupervisedNetwork(objective: Classification(classCount: 3)) { smallClassifier(seed: $0) }
        restored.resetParameters(seed: 99)
        try restored.loadParameters(from: try HDF5File(path: path).group("model"))
        for ((name, a), (_, b)) in zip(trained.network.namedState(), restored.network.namedState()) {
            #expect(a.value == b.value, "\(name)")
        }
        #expect(try restored.lossAndInputGradient(at: x, labels: labels).losses
            == trained.lossAndInputGradient(at: x, labels: labels).losses)

        // A network of another shape is refused with the tensor's name.
        let other = SupervisedNetwork(objective: Classification(classCount: 3)) { seed -> any Layer in
            var g = SeededGenerator(seed: seed)
            return Sequential([("fc1", Dense(inputCount: 6, outputCount: 4, generator: &g))])
        }
        #expect(throws: ParameterArchiveError.self) { try other.loadParameters(from: try HDF5File(path: path).group("model")) }
    }

    @Test("training learns a separable problem, and the same seed trains the same network")
    func trainingLearnsAndIsDeterministic() throws {
        var g = SeededGenerator(seed: 12)
        var xs: [Float] = [], labels: [Int32] = []
        for _ in 0..<240 {
            let c = Int32(g.next() % 3)
            let centre: [Float] = [[2, 0, 0, 0, 0, 0], [0, 2, 0, 0, 0, 0], [0, 0, 2, 0, 0, 0]][Int(c)]
            xs += centre.map { $0 + (g.nextUniform() - 0.5) }
            labels.append(c)
        }
        let x = SampleBatch(sampleShape: [6], values: xs)
        func trained() throws -> SupervisedNetwork<Classification> {
            let model = SupervisedNetwork(objective: Classification(classCount: 3), batchSize: 32, learningRate: 1e-2) {
                smallClassifier(seed: $0)
            }
            model.resetParameters(seed: 3)
            try model.train(on: x, labels: labels, epochs: 5, seed: 4)
            return model
        }
        let a = try trained(), b = try trained()
        #expect(try a.evaluate(on: x, labels: labels) > 0.95)
        #expect(try a.predict(x) == b.predict(x))
        #expect(a.network.namedState().map(\.variable.value) == b.network.namedState().map(\.variable.value))
    }

    @Test("SNN runs end to end with a trained VAE and a network target")
    func snnEndToEnd() async throws {
        // Two clusters of 4×4 images; the label is the cluster.
        var g = SeededGenerator(seed: 21)
        var pixels: [Float] = [], labels: [Int32] = []
        for i in 0..<300 {
            let c = Int32(i % 2)
            for p in 0..<16 { pixels.append(min(max((p < 8) == (c == 0) ? 0.8 + 0.2 * g.nextUniform() : 0.2 * g.nextUniform(), 0), 1)) }
            labels.append(c)
        }
        let samples = SampleBatch(sampleShape: [1, 4, 4], values: pixels)
        let vae = VariationalAutoencoder(inputCount: 16, latentCount: 2, hiddenCounts: [12], seed: 1)
        let history = VAETraining(epochs: 15, batchSize: 32, learningRate: 1e-2).train(vae, on: samples, seed: 2)
        #expect(history.last! < history.first!, "the VAE's loss should fall: \(history)")
        let codec = VAECodec(autoencoder: vae, sampleShape: [1, 4, 4])
        let model = SupervisedNetwork(objective: Classification(classCount: 2), batchSize: 16) { seed -> any Layer in
            var g = SeededGenerator(seed: seed)
            return Sequential([("flatten", Flatten()), ("fc", Dense(inputCount: 16, outputCount: 2, generator: &g))])
        }
        let pool = try LabeledPool(samples: samples.selecting(Array(0..<250)), labels: Array(labels[0..<250]))
        let test = try TestSet(samples: samples.selecting(Array(250..<300)), labels: Array(labels[250..<300]))
        let snn = try NearestNeighborSampling<SupervisedNetwork<Classification>, VAECodec>(
            pool: pool, encoder: codec, generator: codec, alpha: 0.5)
        let schedule = TrainingSchedule(initialSize: 6, incrementSize: 6, epochsPerRound: 3, maximumRounds: 4)
        let result = try await ProgressiveTrainer(schedule: schedule).run(snn, model: model, testSet: test, seed: 3)
        #expect(result.rounds.map(\.trainingSetSize) == [6, 12, 18, 24])
        #expect(result.trainingSet.poolIndices.count == 24)
        #expect(result.rounds.last!.metric > 0.9, "two well-separated clusters: \(result.rounds.map(\.metric))")
    }
}

@Suite("VAE archive in a results file")
struct VAEArchiveTests {
    @Test("the first call trains and saves, the second loads the same parameters")
    func loadOrTrain() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vae-archive-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let samples = SampleBatch(sampleShape: [6], values: values(6 * 20, seed: 3).map { ($0 + 1) / 2 })
        let training = VAETraining(epochs: 2, batchSize: 8)
        let (file, resumed) = try openResultsFile(at: directory.appendingPathComponent("r.h5").path, overwrite: false)
        #expect(!resumed)
        let trained = VariationalAutoencoder(inputCount: 6, latentCount: 2, hiddenCounts: [5], seed: 1)
        var epochs = 0
        #expect(try !training.loadOrTrain(trained, on: samples, seed: 4, archivedAt: "vae", in: file) { _, _ in epochs += 1 })
        #expect(epochs == 2)
        let restored = VariationalAutoencoder(inputCount: 6, latentCount: 2, hiddenCounts: [5], seed: 9)
        #expect(try training.loadOrTrain(restored, on: samples, seed: 4, archivedAt: "vae", in: file) { _, _ in epochs += 1 })
        #expect(epochs == 2)
        #expect(trained.namedState().map(\.variable.value) == restored.namedState().map(\.variable.value))
    }
}
