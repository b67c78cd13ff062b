import EngineModels
import Foundation
import LatentSampling
import NeuralNetworks
import TensorEngine
import Testing

@Suite("α-GAN as a second generator")
struct AlphaGANTests {
    /// Small stand-ins for the four α-GAN networks, on 8-value samples and 2-D codes.
    func tinyNetworks(seed: UInt64) -> (encoder: any Layer, generator: any Layer, code: any Layer, image: any Layer) {
        var g = SeededGenerator(seed: seed)
        return (
            Sequential([("fc1", Dense(inputCount: 8, outputCount: 16, generator: &g)), ("act", LeakyReLU()),
                        ("fc2", Dense(inputCount: 16, outputCount: 2, generator: &g))]),
            Sequential([("fc1", Dense(inputCount: 2, outputCount: 16, generator: &g)), ("act", Tanh()),
                        ("fc2", Dense(inputCount: 16, outputCount: 8, generator: &g)), ("out", Tanh())]),
            Sequential([("fc1", Dense(inputCount: 2, outputCount: 16, generator: &g)), ("act", LeakyReLU()),
                        ("fc2", Dense(inputCount: 16, outputCount: 1, generator: &g))]),
            Sequential([("fc1", Dense(inputCount: 8, outputCount: 16, generator: &g)), ("act", LeakyReLU()),
                        ("fc2", Dense(inputCount: 16, outputCount: 1, generator: &g))])
        )
    }

    @Test("a network generator's pullback equals finite differences of ⟨v, G(z)⟩")
    func pullbackMatchesFiniteDifferences() {
        let nets = tinyNetworks(seed: 1)
        let codec = NetworkCodec(encoder: nets.encoder, generator: nets.generator, latentDimension: 2, sampleShape: [8])
        let z = LatentPoints(dimension: 2, values: values(8, seed: 3))
        let v = SampleBatch(sampleShape: [8], values: values(32, seed: 4))
        // Smooth (tanh) generator: the O(h²) error and Float32 rounding stay below 1e-3.
        expectPullbackMatchesFiniteDifferences(codec, at: z, cotangent: v, step: 1e-2) { abs($0 - $1) < 1e-3 }
    }

    @Test("α-GAN training lowers the reconstruction error and keeps every loss finite")
    func trainingReducesReconstruction() {
        let nets = tinyNetworks(seed: 2)
        // Samples on a 2-D manifold in 8-D: x = tanh(M·u).
        var g = SeededGenerator(seed: 5)
        var samples: [Float] = []
        for _ in 0..<128 {
            let u = (g.nextUniform() * 2 - 1, g.nextUniform() * 2 - 1)
            for j in 0..<8 { samples.append(tanhf(Float(j % 3 - 1) * u.0 + Float((j + 1) % 2) * u.1)) }
        }
        let batch = SampleBatch(sampleShape: [8], values: samples)
        let trainer = AlphaGANTraining(encoder: nets.encoder, generator: nets.generator, codeDiscriminator: nets.code,
                                       imageDiscriminator: nets.image, latentDimension: 2, learningRate: 2e-3)
        var history: [AlphaGANTraining.StepLosses] = []
        trainer.train(on: batch, epochs: 40, batchSize: 32, seed: 6) { _, losses in history.append(losses) }
        #expect(history.count == 40)
        #expect(history.last!.reconstruction < 0.6 * history.first!.reconstruction,
                "reconstruction \(history.first!.reconstruction) → \(history.last!.reconstruction)")
        #expect(history.allSatisfy { $0.autoencoder.isFinite && $0.imageDiscriminator.isFinite && $0.codeDiscriminator.isFinite })
    }

    @Test("the paper's α-GAN serves as encoder and generator of 3×32×32 images")
    func paperArchitectureConforms() {
        let gan = AlphaGAN(latentCount: 16, seed: 7)
        let codec = NetworkCodec(alphaGAN: gan)
        let z = LatentPoints(dimension: 16, values: values(32, seed: 8))
        let images = codec.generate(z)
        #expect(images.shape == [2, 3, 32, 32])
        #expect(images.values.allSatisfy { $0 >= -1 && $0 <= 1 })
        #expect(codec.encode(images).count == 2)
        let gradient = codec.pullback(at: z, cotangent: images)
        #expect(gradient.count == 2 && gradient.dimension == 16 && gradient.values.contains { $0 != 0 })
    }
}
