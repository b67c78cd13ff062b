import Foundation
import HDF5Store
import LatentSampling
import NeuralNetworks
import TensorEngine

/// A trained variational autoencoder as the core's encoder E (the posterior mean) and
/// generator G (the decoder's image, σ(decoder(z))).
public final class VAECodec: LatentEncoder, Generator {
    /// The autoencoder.
    public let autoencoder: VariationalAutoencoder
    /// The shape of one sample, e.g. `[1, 28, 28]`; its size is the VAE's input count.
    public let sampleShape: [Int]
    /// Samples per forward pass when encoding or generating many.
    public var batchSize = 1024

    /// Wraps `autoencoder` for samples of `sampleShape`.
    public init(autoencoder: VariationalAutoencoder, sampleShape: [Int]) {
        precondition(sampleShape.reduce(1, *) == autoencoder.inputCount,
                     "sample shape \(sampleShape) does not have the VAE's \(autoencoder.inputCount) inputs")
        self.autoencoder = autoencoder
        self.sampleShape = sampleShape
        autoencoder.eval()
    }

    /// The latent dimension d.
    public var latentDimension: Int { autoencoder.latentCount }

    /// p = E(x): the posterior mean μ(x).
    public func encode(_ samples: SampleBatch) -> LatentPoints {
        var codes = LatentPoints(dimension: latentDimension, values: [])
        withoutGradients {
            for start in stride(from: 0, to: samples.count, by: batchSize) {
                let batch = samples.selecting(Array(start..<min(start + batchSize, samples.count)))
                codes.append(contentsOf: LatentPoints(autoencoder.encode(Variable(Tensor(batch))).mean.value))
            }
        }
        return codes
    }

    /// x = G(z) = σ(decoder(z)).
    public func generate(_ codes: LatentPoints) -> SampleBatch {
        let images = withoutGradients { autoencoder.decodeImages(Variable(Tensor(codes))).value }
        return SampleBatch(sampleShape: sampleShape, values: images.scalars)
    }

    /// J_G(z)ᵀ v by one backward pass through the decoder with v as the seed.
    public func pullback(at codes: LatentPoints, cotangent: SampleBatch) -> LatentPoints {
        precondition(cotangent.sampleShape == sampleShape,
                     "a cotangent of samples \(cotangent.sampleShape) for a generator of samples \(sampleShape)")
        return vectorJacobianProduct(of: { autoencoder.decodeImages($0) }, parameters: autoencoder,
                                     at: codes, cotangent: cotangent)
    }
}

/// Trains a VAE on unlabeled samples by minimizing the negative ELBO with Adam.
public struct VAETraining: Sendable {
    /// Passes over the data.
    public var epochs: Int
    /// Mini-batch size.
    public var batchSize: Int
    /// Adam's step size η.
    public var learningRate: Float

    /// A training configuration.
    public init(epochs: Int = 10, batchSize: Int = 128, learningRate: Float = 1e-3) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
    }

    /// Restores `autoencoder` from `group` of `file` when the file holds it (a resumed
    /// experiment); otherwise trains it on `samples`, saves it there and checkpoints the
    /// file (`HDF5Object.checkpoint()`), so a crash-safe results file keeps it.
    ///
    /// - Returns: `true` when the autoencoder was loaded rather than trained.
    @discardableResult
    public func loadOrTrain(
        _ autoencoder: VariationalAutoencoder, on samples: SampleBatch, seed: UInt64,
        archivedAt group: String, in file: HDF5File, progress: (Int, Double) -> Void = { _, _ in }
    ) throws -> Bool {
        if file.contains(group) {
            try ParameterArchive.load(autoencoder, from: try file.group(group))
            return true
        }
        train(autoencoder, on: samples, seed: seed, progress: progress)
        try ParameterArchive.save(autoencoder, to: try file.createGroup(group))
        try file.checkpoint()  // a crash-safe results file keeps the trained VAE from here on
        return false
    }

    /// Trains `autoencoder` on `samples` (intensities in [0, 1]); `progress(epoch, meanLoss)`
    /// is called after every epoch. Returns the mean loss of each epoch.
    @discardableResult
    public func train(
        _ autoencoder: VariationalAutoencoder, on samples: SampleBatch, seed: UInt64,
        progress: (Int, Double) -> Void = { _, _ in }
    ) -> [Double] {
        autoencoder.train()
        defer { autoencoder.eval() }
        let optimizer = Adam(parameters: autoencoder.parameters, learningRate: learningRate)
        var randomness = SeededGenerator(seed: seed)
        var order = Array(0..<samples.count)
        var history: [Double] = []
        for epoch in 1...max(epochs, 1) {
            order.shuffle(using: &randomness)
            var total = 0.0
            for start in stride(from: 0, to: order.count, by: batchSize) {
                let rows = Array(order[start..<min(start + batchSize, order.count)])
                optimizer.zeroGradients()
                let loss = autoencoder.loss(Tensor(samples.selecting(rows)), using: &randomness).total
                total += Double(loss.value.scalar) * Double(rows.count)
                loss.backward()
                optimizer.step()
            }
            history.append(total / Double(max(samples.count, 1)))
            progress(epoch, history.last!)
        }
        return history
    }
}
