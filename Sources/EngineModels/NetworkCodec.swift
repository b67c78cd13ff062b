import LatentSampling
import NeuralNetworks
import TensorEngine

/// Any pair of engine networks as the core's encoder E and generator G: the α-GAN's
/// encoder and generator, or a user's own.
///
/// The encoder maps `[N] + sampleShape` to `[N, d]`; the generator maps `[N, d]` to
/// `[N] + sampleShape`. Both run in evaluation mode.
public final class NetworkCodec: LatentEncoder, Generator {
    /// E: samples → codes.
    public let encoder: any Layer
    /// G: codes → samples.
    public let generator: any Layer
    /// The latent dimension d.
    public let latentDimension: Int
    /// The shape of one sample.
    public let sampleShape: [Int]
    /// Samples per forward pass.
    public var batchSize = 256

    /// Wraps an encoder and a generator.
    public init(encoder: any Layer, generator: any Layer, latentDimension: Int, sampleShape: [Int]) {
        self.encoder = encoder
        self.generator = generator
        self.latentDimension = latentDimension
        self.sampleShape = sampleShape
        encoder.eval()
        generator.eval()
    }

    /// The α-GAN's encoder and generator, for 3×32×32 images in [−1, 1].
    public convenience init(alphaGAN: AlphaGAN) {
        self.init(encoder: alphaGAN.encoder, generator: alphaGAN.generator,
                  latentDimension: alphaGAN.latentCount, sampleShape: [3, 32, 32])
    }

    /// p = E(x).
    public func encode(_ samples: SampleBatch) -> LatentPoints {
        encoder.eval()
        var codes = LatentPoints(dimension: latentDimension, values: [])
        withoutGradients {
            for start in stride(from: 0, to: samples.count, by: batchSize) {
                let batch = samples.selecting(Array(start..<min(start + batchSize, samples.count)))
                codes.append(contentsOf: LatentPoints(encoder(Variable(Tensor(batch))).value))
            }
        }
        return codes
    }

    /// x = G(z).
    public func generate(_ codes: LatentPoints) -> SampleBatch {
        generator.eval()
        let output = withoutGradients { generator(Variable(Tensor(codes))).value }
        return SampleBatch(sampleShape: sampleShape, values: output.scalars)
    }

    /// J_G(z)ᵀ v.
    public func pullback(at codes: LatentPoints, cotangent: SampleBatch) -> LatentPoints {
        generator.eval()
        return vectorJacobianProduct(of: { generator($0) }, parameters: generator, at: codes, cotangent: cotangent)
    }
}

/// J_f(z)ᵀ v for a network function f, by one backward pass seeded with v; the
/// network's parameters are frozen meanwhile so no parameter gradient is computed.
func vectorJacobianProduct(
    of function: (Variable) -> Variable, parameters owner: any Layer, at codes: LatentPoints, cotangent: SampleBatch
) -> LatentPoints {
    precondition(cotangent.count == codes.count,
                 "a cotangent of \(cotangent.count) samples for \(codes.count) latent points")
    owner.setParametersRequireGradient(false)
    defer { owner.setParametersRequireGradient(true) }
    let z = Variable(Tensor(codes), requiresGradient: true)
    let output = function(z)
    precondition(output.value.count == cotangent.values.count,
                 "the generator's output \(output.shape) does not match the cotangent \(cotangent.shape)")
    output.backward(seed: Tensor(shape: output.shape, scalars: cotangent.values))
    return LatentPoints(z.gradient ?? Tensor(zeros: [codes.count, codes.dimension]))
}
