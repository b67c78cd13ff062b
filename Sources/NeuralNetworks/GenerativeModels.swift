import TensorEngine

/// The paper's fully connected variational autoencoder (generator G for MNIST-like
/// 784-pixel or IVUS 4,096-pixel images), with a small latent space (3 by default).
/// The default widths are the paper's Tables S9–S12 (784→400→400→3 for MNIST,
/// 4096→400→400→3 for IVUS, decoders mirrored):
///
///     encoder: input → 400 → ReLU → 400 → ReLU      (hidden sizes configurable)
///     heads:   400 → latent (μ),  400 → latent (log σ²)
///     decoder: latent → 400 → ReLU → 400 → ReLU → input   (logits; σ(logits) is the image)
///
/// The decoder ends in logits so that training uses the numerically stable
/// ``binaryCrossEntropy(logits:targets:reduction:)``; ``decodeImages(_:)`` applies the
/// sigmoid. Parameter names: `encoder/fc<i>/…`, `mean/…`, `log_variance/…`, `decoder/fc<i>/…`.
public final class VariationalAutoencoder: Layer {
    /// The paper's hidden widths (Tables S9–S12): [400, 400].
    public static let paperHiddenCounts = [400, 400]

    /// Pixels per image (784 or 4,096 in the paper).
    public let inputCount: Int
    /// Dimension of the latent code z.
    public let latentCount: Int
    public let encoder: Sequential
    public let meanHead: Dense
    public let logVarianceHead: Dense
    public let decoder: Sequential

    /// - Parameters:
    ///   - inputCount: pixels per image.
    ///   - latentCount: latent dimension (the paper uses 3).
    ///   - hiddenCounts: encoder widths; the decoder mirrors them. Default: the paper's [400, 400].
    ///   - seed: initialization seed.
    public init(inputCount: Int = 784, latentCount: Int = 3, hiddenCounts: [Int] = VariationalAutoencoder.paperHiddenCounts, seed: UInt64 = 0) {
        precondition(inputCount > 0 && latentCount > 0 && !hiddenCounts.isEmpty, "VariationalAutoencoder: bad sizes")
        var g = SeededGenerator(seed: seed)
        self.inputCount = inputCount
        self.latentCount = latentCount
        var encoderLayers: [(String, any Layer)] = []
        var width = inputCount
        for (i, h) in hiddenCounts.enumerated() {
            encoderLayers.append(("fc\(i + 1)", Dense(inputCount: width, outputCount: h, generator: &g)))
            encoderLayers.append(("relu\(i + 1)", ReLU()))
            width = h
        }
        encoder = Sequential(encoderLayers)
        meanHead = Dense(inputCount: width, outputCount: latentCount, initialization: .xavierUniform, generator: &g)
        logVarianceHead = Dense(inputCount: width, outputCount: latentCount, initialization: .xavierUniform, generator: &g)
        var decoderLayers: [(String, any Layer)] = []
        width = latentCount
        for (i, h) in hiddenCounts.reversed().enumerated() {
            decoderLayers.append(("fc\(i + 1)", Dense(inputCount: width, outputCount: h, generator: &g)))
            decoderLayers.append(("relu\(i + 1)", ReLU()))
            width = h
        }
        decoderLayers.append(("fc\(hiddenCounts.count + 1)",
                              Dense(inputCount: width, outputCount: inputCount, initialization: .xavierUniform, generator: &g)))
        decoder = Sequential(decoderLayers)
    }

    /// q(z | x): the posterior's mean μ and log-variance log σ², each [N, latent].
    /// `x` may be [N, inputCount] or images [N, 1, H, W] with H·W = inputCount.
    public func encode(_ x: Variable) -> (mean: Variable, logVariance: Variable) {
        let flat = x.value.rank == 2 ? x : reshape(x, to: [x.shape[0], inputCount])
        let h = encoder(flat)
        return (meanHead(h), logVarianceHead(h))
    }

    /// p(x | z): decoder logits [N, inputCount].
    public func decode(_ z: Variable) -> Variable { decoder(z) }

    /// Generated images G(z) = σ(decoder(z)), [N, inputCount].
    public func decodeImages(_ z: Variable) -> Variable { sigmoid(decoder(z)) }

    /// The reparameterization z = μ + exp(½ log σ²) ⊙ ε with ε ~ N(0, I) from `generator`.
    public func sampleLatent(mean: Variable, logVariance: Variable, using generator: inout SeededGenerator) -> Variable {
        let epsilon = Variable(Tensor.normal(shape: mean.shape, using: &generator))
        return mean + exp(logVariance * 0.5) * epsilon
    }

    /// The negative ELBO for a batch: BCE(decoder logits, x) summed over pixels and
    /// averaged over samples, plus the Gaussian KL averaged over samples.
    ///
    /// - Parameter x: pixel intensities in [0, 1], [N, inputCount] or [N, 1, H, W].
    public func loss(_ x: Tensor, using generator: inout SeededGenerator)
        -> (total: Variable, reconstruction: Variable, divergence: Variable)
    {
        let n = x.shape[0]
        let input = Variable(x.reshaped([n, inputCount]))
        let (mu, logVar) = encode(input)
        let z = sampleLatent(mean: mu, logVariance: logVar, using: &generator)
        let reconstruction = binaryCrossEntropy(logits: decode(z), targets: input.value, reduction: .sum) * (1 / Float(n))
        let divergence = gaussianKLDivergence(mean: mu, logVariance: logVar, reduction: .mean)
        return (reconstruction + divergence, reconstruction, divergence)
    }

    /// Deterministic reconstruction logits, decode(μ(x)).
    public func callAsFunction(_ input: Variable) -> Variable { decode(encode(input).mean) }

    public var children: [(name: String, layer: any Layer)] {
        [("encoder", encoder), ("mean", meanHead), ("log_variance", logVarianceHead), ("decoder", decoder)]
    }
}

/// The four networks of the α-GAN (Rosca et al.) used by the paper for 3×32×32 images.
///
/// With latent size d (default 128), "res(c)" a ``makeResidualBlock(channels:activation:generator:)``:
///
///     encoder:  conv3×3 3→64 → BN → LReLU → res(64)
///               → conv4×4/2 64→128 → BN → LReLU → res(128)            16×16
///               → conv4×4/2 128→256 → BN → LReLU → res(256)           8×8
///               → conv4×4/2 256→256 → BN → LReLU → flatten 4096 → fc d   4×4
///     generator: fc d→4096 → reshape 256×4×4 → BN → ReLU
///               → deconv4×4/2 256→128 → BN → ReLU → res(128)          8×8
///               → deconv 128→64 → BN → ReLU → res(64)                  16×16
///               → deconv 64→32 → BN → ReLU → conv3×3 32→3 → tanh       32×32
///     code discriminator: fc d→750 → LReLU → fc 750→750 → LReLU → fc 750→1 (logit)
///     image discriminator: conv3×3 3→64 → LReLU → res(64)
///               → conv4×4/2 64→128 → LReLU → res(128) → conv4×4/2 128→256 → LReLU
///               → conv4×4/2 256→256 → LReLU → flatten 4096 → fc 4096→1 (logit)
///
/// LReLU slope 0.2. The FC sizes (4096 = 256·4·4, 750 hidden units in the code
/// discriminator, as in the α-GAN paper) are this implementation's choice.
public struct AlphaGAN {
    public let latentCount: Int
    public let encoder: Sequential
    public let generator: Sequential
    public let codeDiscriminator: Sequential
    public let imageDiscriminator: Sequential

    public init(latentCount: Int = 128, seed: UInt64 = 0) {
        var g = SeededGenerator(seed: seed)
        self.latentCount = latentCount
        func down(_ i: Int, _ o: Int, bn: Bool) -> Sequential {
            var layers: [(String, any Layer)] = [
                ("conv", Conv2D(inputChannels: i, outputChannels: o, kernelSize: 4, stride: 2, padding: 1, generator: &g))]
            if bn { layers.append(("bn", BatchNorm(channels: o))) }
            layers.append(("act", LeakyReLU(negativeSlope: 0.2)))
            return Sequential(layers)
        }
        func upBlock(_ i: Int, _ o: Int) -> Sequential {
            Sequential([
                ("deconv", ConvTranspose2D(inputChannels: i, outputChannels: o, kernelSize: 4, stride: 2, padding: 1,
                                           generator: &g)),
                ("bn", BatchNorm(channels: o)), ("act", ReLU()),
            ])
        }
        encoder = Sequential([
            ("stem", Sequential([
                ("conv", Conv2D(inputChannels: 3, outputChannels: 64, kernelSize: 3, padding: 1, generator: &g)),
                ("bn", BatchNorm(channels: 64)), ("act", LeakyReLU(negativeSlope: 0.2)),
            ])),
            ("res1", makeResidualBlock(channels: 64, activation: LeakyReLU(negativeSlope: 0.2), generator: &g)),
            ("down1", down(64, 128, bn: true)),
            ("res2", makeResidualBlock(channels: 128, activation: LeakyReLU(negativeSlope: 0.2), generator: &g)),
            ("down2", down(128, 256, bn: true)),
            ("res3", makeResidualBlock(channels: 256, activation: LeakyReLU(negativeSlope: 0.2), generator: &g)),
            ("down3", down(256, 256, bn: true)),
            ("flatten", Flatten()),
            ("fc", Dense(inputCount: 4096, outputCount: latentCount, initialization: .xavierUniform, generator: &g)),
        ])
        generator = Sequential([
            ("fc", Dense(inputCount: latentCount, outputCount: 4096, generator: &g)),
            ("reshape", Reshape([256, 4, 4])),
            ("bn", BatchNorm(channels: 256)), ("act", ReLU()),
            ("up1", upBlock(256, 128)),
            ("res1", makeResidualBlock(channels: 128, activation: ReLU(), generator: &g)),
            ("up2", upBlock(128, 64)),
            ("res2", makeResidualBlock(channels: 64, activation: ReLU(), generator: &g)),
            ("up3", upBlock(64, 32)),
            ("head", Conv2D(inputChannels: 32, outputChannels: 3, kernelSize: 3, padding: 1,
                            initialization: .xavierUniform, generator: &g)),
            ("tanh", Tanh()),
        ])
        codeDiscriminator = Sequential([
            ("fc1", Dense(inputCount: latentCount, outputCount: 750, generator: &g)),
            ("act1", LeakyReLU(negativeSlope: 0.2)),
            ("fc2", Dense(inputCount: 750, outputCount: 750, generator: &g)),
            ("act2", LeakyReLU(negativeSlope: 0.2)),
            ("fc3", Dense(inputCount: 750, outputCount: 1, initialization: .xavierUniform, generator: &g)),
        ])
        imageDiscriminator = Sequential([
            ("stem", Sequential([
                ("conv", Conv2D(inputChannels: 3, outputChannels: 64, kernelSize: 3, padding: 1, generator: &g)),
                ("act", LeakyReLU(negativeSlope: 0.2)),
            ])),
            ("res1", makeResidualBlock(channels: 64, activation: LeakyReLU(negativeSlope: 0.2), generator: &g)),
            ("down1", down(64, 128, bn: false)),
            ("res2", makeResidualBlock(channels: 128, activation: LeakyReLU(negativeSlope: 0.2), generator: &g)),
            ("down2", down(128, 256, bn: false)),
            ("down3", down(256, 256, bn: false)),
            ("flatten", Flatten()),
            ("fc", Dense(inputCount: 4096, outputCount: 1, initialization: .xavierUniform, generator: &g)),
        ])
    }
}
