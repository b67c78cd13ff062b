import ArgumentParser
import Datasets
import EngineModels
import Foundation
import LatentSampling
import NeuralNetworks
import OptionChecks
import TensorEngine

/// `latent-sampling bench`: times one SNN sampling step.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time one SNN sampling step (embedding lookups, latent gradients, nearest-neighbour search) as JSON lines.",
        discussion: """
        Uses the Fashion-MNIST training split as the pool, an untrained VAE (the paper's 784-400-400-d) and \
        the paper's LeNet (Table S7): the timings do not depend on the weights. Training is excluded, as in the paper's sampling step.
        """
    )

    @Option(help: "Folder with Fashion-MNIST's IDX files.")
    var dataDirectory = FashionMNIST.debianDirectory
    @Option(help: "Pool size.")
    var poolSize = 60_000
    @Option(name: .customLong("increment"), help: "J, samples chosen per step.")
    var incrementSize = 100
    @Option(help: "Size of the current training set T(t) (its samples are excluded from the search).")
    var trainingSetSize = 1_000
    @Option(help: "Latent dimension d.")
    var latent = 3
    @Option(help: TargetNetwork.help)
    var network = TargetNetwork.lenet
    @Option(help: "Timed repetitions.")
    var repeats = 20
    @Option(help: "Threads of the tensor engine (its matrix products and loops; OpenBLAS itself runs on one).")
    var threads = 2

    func validate() throws {
        try OptionCheck.count(poolSize, "--pool-size", in: 2...60_000)
        try OptionCheck.count(trainingSetSize, "--training-set-size", in: 1...(poolSize - 1))
        try OptionCheck.count(incrementSize, "--increment", in: 1...(poolSize - trainingSetSize))
        try OptionCheck.count(latent, "--latent", in: 1...784)
        try OptionCheck.count(repeats, "--repeats", in: 1...100_000)
        try OptionCheck.count(threads, "--threads", in: 1...OptionCheck.maximumThreads)
    }

    func run() throws {
        BLASThreads.set(threads)
        let data = try FashionMNISTData.load(from: dataDirectory, poolSize: poolSize, testSize: 1)
        let codec = VAECodec(autoencoder: VariationalAutoencoder(inputCount: 784, latentCount: latent, seed: 1),
                             sampleShape: FashionMNISTData.sampleShape)
        let model = makeLeNetTarget(network, batchSize: 64, learningRate: 1e-3)
        model.resetParameters(seed: 2)

        var clock = Date()
        func lap() -> Double { defer { clock = Date() }; return Date().timeIntervalSince(clock) * 1000 }
        let codes = codec.encode(data.pool.samples)
        let embedMs = lap()
        let snn = try NearestNeighborSampling<SupervisedNetwork<Classification>, VAECodec>(
            pool: data.pool, poolCodes: codes, generator: codec, alpha: 0.5)
        let buildMs = lap()

        var randomness = SeededGenerator(seed: 3)
        var trainingSet = try snn.initialSet(size: trainingSetSize, using: &randomness).added
        _ = trainingSet.count
        var steps: [Double] = [], moves: [Double] = [], searches: [Double] = []
        for _ in 0..<repeats {
            // The whole step, as the trainer calls it.
            _ = lap()
            let increment = try snn.increment(size: incrementSize, round: 2, trainingSet: trainingSet, model: model,
                                              using: &randomness)
            steps.append(lap())
            // Its two costly parts, timed alone on the same kind of input.
            let seeds = increment.added.provenance.compactMap(\.poolIndex)
            let move = try LatentMove(from: codes.selecting(seeds), labels: seeds.map { data.pool.labels[$0] },
                                      alpha: 0.5, generator: codec, model: model)
            moves.append(lap())
            _ = try snn.index.nearest(toEach: move.moved.values, excluding: trainingSet.poolIndices, distinct: true)
            searches.append(lap())
            trainingSet = try snn.initialSet(size: trainingSetSize, using: &randomness).added
        }
        func median(_ v: [Double]) -> Double { v.sorted()[v.count / 2] }
        let line: [String: Any] = [
            "workload": "snn_step", "pool": poolSize, "J": incrementSize, "training_set": trainingSetSize,
            "latent": latent, "threads": threads, "repeats": repeats,
            "step_ms_median": round3(median(steps)), "step_ms_min": round3(steps.min()!),
            "latent_gradient_ms_median": round3(median(moves)), "nearest_neighbor_ms_median": round3(median(searches)),
            "embed_pool_ms": round3(embedMs), "kdtree_build_ms": round3(buildMs),
        ]
        let json = try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
    }

    private func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
}
