import LatentSampling
import NeuralNetworks
import TensorEngine

/// Trains an α-GAN (Rosca et al., 2017): an autoencoder whose codes are pushed toward
/// the prior by a code discriminator C and whose images are made realistic by an
/// image discriminator D. The paper uses it as the generator for natural (RGB) images.
///
/// One step on a batch x, with z ~ N(0, I) and BCE the binary cross-entropy on logits:
///
///     encoder + generator:  λ·‖x − G(E(x))‖₁ + BCE(D(G(E(x))), 1) + BCE(D(G(z)), 1) + BCE(C(E(x)), 1)
///     image discriminator:  BCE(D(x), 1) + BCE(D(G(E(x))), 0) + BCE(D(G(z)), 0)
///     code discriminator:   BCE(C(z), 1) + BCE(C(E(x)), 0)
///
/// each minimized by its own Adam optimizer (β₁ = 0.5), in that order.
public final class AlphaGANTraining {
    /// E.
    public let encoder: any Layer
    /// G.
    public let generator: any Layer
    /// C, on codes.
    public let codeDiscriminator: any Layer
    /// D, on images.
    public let imageDiscriminator: any Layer
    /// The latent dimension d.
    public let latentDimension: Int
    /// λ, the weight of the L1 reconstruction term.
    public var reconstructionWeight: Float
    private let autoencoderOptimizer: Adam
    private let imageOptimizer: Adam
    private let codeOptimizer: Adam

    /// Losses of one step.
    public struct StepLosses: Sendable, Hashable {
        /// Mean absolute reconstruction error ‖x − G(E(x))‖₁ / size.
        public var reconstruction: Float
        /// The encoder and generator's total loss.
        public var autoencoder: Float
        /// The image discriminator's loss.
        public var imageDiscriminator: Float
        /// The code discriminator's loss.
        public var codeDiscriminator: Float
    }

    /// A trainer for four networks (see `AlphaGAN` for the paper's).
    public init(encoder: any Layer, generator: any Layer, codeDiscriminator: any Layer, imageDiscriminator: any Layer,
                latentDimension: Int, reconstructionWeight: Float = 10, learningRate: Float = 2e-4) {
        self.encoder = encoder
        self.generator = generator
        self.codeDiscriminator = codeDiscriminator
        self.imageDiscriminator = imageDiscriminator
        self.latentDimension = latentDimension
        self.reconstructionWeight = reconstructionWeight
        autoencoderOptimizer = Adam(parameters: encoder.parameters + generator.parameters,
                                    learningRate: learningRate, beta1: 0.5)
        imageOptimizer = Adam(parameters: imageDiscriminator.parameters, learningRate: learningRate, beta1: 0.5)
        codeOptimizer = Adam(parameters: codeDiscriminator.parameters, learningRate: learningRate, beta1: 0.5)
    }

    /// A trainer for the paper's α-GAN networks.
    public convenience init(alphaGAN: AlphaGAN, reconstructionWeight: Float = 10, learningRate: Float = 2e-4) {
        self.init(encoder: alphaGAN.encoder, generator: alphaGAN.generator,
                  codeDiscriminator: alphaGAN.codeDiscriminator, imageDiscriminator: alphaGAN.imageDiscriminator,
                  latentDimension: alphaGAN.latentCount, reconstructionWeight: reconstructionWeight,
                  learningRate: learningRate)
    }

    /// One update of all four networks on `batch`.
    @discardableResult
    public func step(on batch: SampleBatch, using randomness: inout SeededGenerator) -> StepLosses {
        for network in [encoder, generator, codeDiscriminator, imageDiscriminator] { network.train() }
        let n = batch.count
        let x = Tensor(batch)
        let prior = Tensor(shape: [n, latentDimension], scalars: (0..<n * latentDimension).map { _ in randomness.nextNormal() })
        let ones = Tensor(shape: [n, 1], repeating: 1), zeros = Tensor(shape: [n, 1], repeating: 0)

        // Encoder and generator.
        autoencoderOptimizer.zeroGradients()
        let codes = encoder(Variable(x))
        let reconstructed = generator(codes)
        let difference = reconstructed - Variable(x)
        let l1 = mean(relu(difference) + relu(difference * -1))
        let autoencoderLoss = l1 * reconstructionWeight
            + binaryCrossEntropy(logits: imageDiscriminator(reconstructed), targets: ones)
            + binaryCrossEntropy(logits: imageDiscriminator(generator(Variable(prior))), targets: ones)
            + binaryCrossEntropy(logits: codeDiscriminator(codes), targets: ones)
        autoencoderLoss.backward()
        autoencoderOptimizer.step()

        // Image discriminator, on fixed (detached) fakes.
        let (fakeFromData, fakeFromPrior, fixedCodes) = withoutGradients {
            let c = encoder(Variable(x)).value
            return (generator(Variable(c)).value, generator(Variable(prior)).value, c)
        }
        imageOptimizer.zeroGradients()
        let imageLoss = binaryCrossEntropy(logits: imageDiscriminator(Variable(x)), targets: ones)
            + binaryCrossEntropy(logits: imageDiscriminator(Variable(fakeFromData)), targets: zeros)
            + binaryCrossEntropy(logits: imageDiscriminator(Variable(fakeFromPrior)), targets: zeros)
        imageLoss.backward()
        imageOptimizer.step()

        // Code discriminator: the prior's codes are real, the encoder's fake.
        codeOptimizer.zeroGradients()
        let codeLoss = binaryCrossEntropy(logits: codeDiscriminator(Variable(prior)), targets: ones)
            + binaryCrossEntropy(logits: codeDiscriminator(Variable(fixedCodes)), targets: zeros)
        codeLoss.backward()
        codeOptimizer.step()

        for network in [encoder, generator, codeDiscriminator, imageDiscriminator] { network.eval() }
        return StepLosses(reconstruction: l1.value.scalar, autoencoder: autoencoderLoss.value.scalar,
                          imageDiscriminator: imageLoss.value.scalar, codeDiscriminator: codeLoss.value.scalar)
    }

    /// `epochs` passes over `samples` in shuffled mini-batches; `progress(epoch, losses)`
    /// receives the mean losses of each epoch.
    public func train(on samples: SampleBatch, epochs: Int, batchSize: Int, seed: UInt64,
                      progress: (Int, StepLosses) -> Void = { _, _ in }) {
        var randomness = SeededGenerator(seed: seed)
        var order = Array(0..<samples.count)
        for epoch in 1...max(epochs, 1) {
            order.shuffle(using: &randomness)
            var total = StepLosses(reconstruction: 0, autoencoder: 0, imageDiscriminator: 0, codeDiscriminator: 0)
            var batches: Float = 0
            for start in stride(from: 0, to: order.count, by: batchSize) {
                let rows = Array(order[start..<min(start + batchSize, order.count)])
                guard rows.count > 1 else { continue }  // BatchNorm needs two samples
                let losses = step(on: samples.selecting(rows), using: &randomness)
                total.reconstruction += losses.reconstruction
                total.autoencoder += losses.autoencoder
                total.imageDiscriminator += losses.imageDiscriminator
                total.codeDiscriminator += losses.codeDiscriminator
                batches += 1
            }
            let b = max(batches, 1)
            progress(epoch, StepLosses(reconstruction: total.reconstruction / b, autoencoder: total.autoencoder / b,
                                       imageDiscriminator: total.imageDiscriminator / b,
                                       codeDiscriminator: total.codeDiscriminator / b))
        }
    }
}
