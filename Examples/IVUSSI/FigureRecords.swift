import EngineModels
import Foundation
import HDF5Store
import LatentSampling
import NeuralNetworks
import Reports
import VasFEM

extension IVUSSI {
    /// Records what `report` draws beyond the runs' logs: the pool's codes and G(z), G(z′) of a
    /// few SI selections (latent trajectories), and, for a few test masks, VasFEM's label, each
    /// strategy's prediction (seed 0, last round) and the deformed lumen (stress maps).
    func writeFigureRecords(pool: SampleBatch, vae: VariationalAutoencoder, generator: MaskSource, test: TestSet<[Float]>,
                            strategies: [String], in file: HDF5File) async throws {
        let codec = VAECodec(autoencoder: vae, sampleShape: Self.sampleShape)
        try LatentViewRecord.write(poolCodes: codec.encode(pool), poolClasses: nil, generator: generator, in: file)

        let shown = Array(0..<min(3, test.labels.count))
        let masks = test.samples.selecting(shown)
        let unit = Self.stressUnit
        var predictions: [(strategy: String, model: String, values: [Float])] = []
        for strategy in strategies {
            let runPath = "\(strategy)/seed_0"
            guard file.contains("\(runPath)/model") else { continue }
            guard let round = try file.group("\(runPath)/model").memberNames().compactMap({ name -> Int? in
                name.hasPrefix("round_") ? Int(name.dropFirst(6)) : nil
            }).max() else { continue }
            let model = SupervisedNetwork(objective: Regression(), batchSize: 8, learningRate: 2e-3) { [baseChannels] in
                makeIVUSNet(baseChannels: baseChannels, seed: $0)
            }
            try model.loadParameters(from: try file.group("\(runPath)/model/round_\(round)"))
            let predicted = try model.predict(masks)
            predictions.append((strategy, "\(strategy) (seed 0, after round \(round))", predicted.flatMap { $0.map { $0 * unit } }))
        }
        // The deformed lumens: VasFEM solves the shown masks again (a fraction of a second each).
        let walls = shown.map { i in WallMask(rows: 64, columns: 64, pixels: test.samples.sample(at: i).map { $0 >= 0.5 ? 1 : 0 }) }
        let outcomes = try await StressLabeler(maximumConcurrentMasks: jobs).label(walls)
        let lumens = outcomes.map { outcome -> [SIMD2<Double>] in
            if case let .success(map) = outcome.result { return map.deformedLumen }
            return []
        }
        try StressMaps(rows: 64, columns: 64, pixelSize: VasFEMConfiguration().pixelSize, masks: masks.values,
                       labels: shown.flatMap { test.labels[$0].map { $0 * unit } },
                       predictions: predictions, deformedLumens: lumens).write(to: file)
    }
}
