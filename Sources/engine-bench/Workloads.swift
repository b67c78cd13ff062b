import Foundation
import NeuralNetworks
import TensorEngine

/// The benchmarked steps. Batch sizes and models match Scripts/pytorch/bench.py.
enum Workload: String, CaseIterable {
    /// The paper's LeNet (Table S7) training step (forward, backward, Adam), batch 64 of 1×28×28.
    case lenetTrain = "lenet_train"
    /// The paper's VAE-784 (784→400→400→3) training step on the negative ELBO, batch 128.
    case vae784Train = "vae784_train"
    /// IVUS encoder–decoder training step (MSE), batch 32 of 1×64×64.
    case ivusnetTrain = "ivusnet_train"
    /// dL/dz through the paper's VAE-4096 decoder (3→400→400→4096) and the IVUS net (evaluation mode, frozen
    /// parameters), 64 latent points: the sampler's inner step.
    case latentGrad = "latent_grad"
    /// The α-GAN's encoder and generator (3×32×32 images, latent 128) trained to reconstruct
    /// (MSE), batch 16: strided and transposed convolutions, residual blocks.
    case alphaGANTrain = "alphagan_train"

    var batchSize: Int {
        switch self {
        case .lenetTrain: 64
        case .vae784Train: 128
        case .ivusnetTrain: 32
        case .latentGrad: 64
        case .alphaGANTrain: 16
        }
    }

    /// Nominal floating-point operations per sample of one step: 2 per multiply–add of the
    /// convolutions and dense layers, for each pass (training: forward, input gradient and
    /// weight gradient, 3 passes; the latent gradient: forward and input gradient, 2 passes).
    /// Element-wise work (activations, normalization, pooling, the optimizer) is not counted.
    var flopsPerSample: Double {
        switch self {
        case .lenetTrain:
            return 6 * Double(multiplyAdds(of: makeLeNet(), inputShape: [1, 28, 28]).count)
        case .vae784Train:
            let vae = VariationalAutoencoder(inputCount: 784, latentCount: 3)
            let heads = Double(vae.meanHead.weight.value.count + vae.logVarianceHead.weight.value.count)
            return 6 * (Double(multiplyAdds(of: vae.encoder, inputShape: [784]).count) + heads
                + Double(multiplyAdds(of: vae.decoder, inputShape: [3]).count))
        case .ivusnetTrain:
            return 6 * Double(multiplyAdds(of: makeIVUSNet(), inputShape: [1, 64, 64]).count)
        case .latentGrad:
            let vae = VariationalAutoencoder(inputCount: 4096, latentCount: 3)
            return 4 * Double(multiplyAdds(of: vae.decoder, inputShape: [3]).count
                + multiplyAdds(of: makeIVUSNet(), inputShape: [1, 64, 64]).count)
        case .alphaGANTrain:
            let gan = AlphaGAN()
            return 6 * Double(multiplyAdds(of: gan.encoder, inputShape: [3, 32, 32]).count
                + multiplyAdds(of: gan.generator, inputShape: [gan.latentCount]).count)
        }
    }

    /// Builds the workload and returns a closure performing one step.
    func makeStep() -> () -> Void {
        var g = SeededGenerator(seed: 99)
        let n = batchSize
        switch self {
        case .lenetTrain:
            let net = makeLeNet(seed: 1)
            let adam = Adam(parameters: net.parameters)
            let x = Tensor.uniform(shape: [n, 1, 28, 28], lower: 0, upper: 1, using: &g)
            let labels = (0..<n).map { $0 % 10 }
            return {
                adam.zeroGradients()
                softmaxCrossEntropy(logits: net(Variable(x)), labels: labels).backward()
                adam.step()
            }
        case .vae784Train:
            let vae = VariationalAutoencoder(inputCount: 784, latentCount: 3, seed: 1)
            let adam = Adam(parameters: vae.parameters)
            let x = Tensor.uniform(shape: [n, 784], lower: 0, upper: 1, using: &g)
            return {
                adam.zeroGradients()
                vae.loss(x, using: &g).total.backward()
                adam.step()
            }
        case .ivusnetTrain:
            let net = makeIVUSNet(seed: 1)
            net.train()
            let adam = Adam(parameters: net.parameters)
            let x = Tensor.uniform(shape: [n, 1, 64, 64], lower: 0, upper: 1, using: &g)
            let y = Tensor.uniform(shape: [n, 1, 64, 64], lower: 0, upper: 1, using: &g)
            return {
                adam.zeroGradients()
                meanSquaredError(net(Variable(x)), y).backward()
                adam.step()
            }
        case .latentGrad:
            let vae = VariationalAutoencoder(inputCount: 4096, latentCount: 3, seed: 1)
            let net = makeIVUSNet(seed: 2)
            net.eval()
            vae.setParametersRequireGradient(false)
            net.setParametersRequireGradient(false)
            let z = Tensor.normal(shape: [n, 3], using: &g)
            let y = Tensor.uniform(shape: [n, 1, 64, 64], lower: 0, upper: 1, using: &g)
            return {
                let (_, dz) = valueWithGradient(at: z) { zv in
                    meanSquaredError(net(reshape(vae.decodeImages(zv), to: [n, 1, 64, 64])), y)
                }
                precondition(dz.count == n * 3)
            }
        case .alphaGANTrain:
            let gan = AlphaGAN(latentCount: 128, seed: 1)
            gan.encoder.train()
            gan.generator.train()
            let adam = Adam(parameters: gan.encoder.parameters + gan.generator.parameters)
            let x = Tensor.uniform(shape: [n, 3, 32, 32], lower: -1, upper: 1, using: &g)
            return {
                adam.zeroGradients()
                meanSquaredError(gan.generator(gan.encoder(Variable(x))), x).backward()
                adam.step()
            }
        }
    }

    /// Samples per second of wall-clock time and per second of this process's CPU time
    /// (user + system, all threads): 3 warm-up steps, then steps until `seconds` have passed
    /// (≥ 5 steps). On one thread the CPU-time rate does not count time the process waited
    /// for a core, so it is the steadier figure on a shared machine.
    func measure(seconds: Double) -> (wall: Double, cpu: Double) {
        let step = makeStep()
        for _ in 0..<3 { step() }
        var count = 0
        let start = now(), cpuStart = processCPUSeconds()
        var elapsed = 0.0
        repeat {
            step()
            count += 1
            elapsed = now() - start
        } while elapsed < seconds || count < 5
        let cpu = processCPUSeconds() - cpuStart
        return (Double(count * batchSize) / elapsed, Double(count * batchSize) / cpu)
    }
}

/// User + system CPU seconds of this process so far (getrusage).
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6
}

/// 1,000 steps of `workload`; resident memory is printed every 100 steps.
func runMemoryCheck(_ workload: Workload) {
    let step = workload.makeStep()
    var samples: [(Int, Double)] = []
    for i in 1...1000 {
        step()
        if i % 100 == 0 {
            let rss = residentMegabytes()
            samples.append((i, rss))
            print(jsonLine(["check": "memory", "workload": workload.rawValue, "step": i, "rss_mb": rss, "hwm_mb": peakResidentMegabytes()]))
        }
    }
    let growth = samples.last!.1 - samples.first!.1
    print(jsonLine(["check": "memory_summary", "workload": workload.rawValue, "steps": 1000, "rss_at_100_mb": samples.first!.1,
                    "rss_at_1000_mb": samples.last!.1, "growth_mb": growth, "peak_mb": peakResidentMegabytes()]))
}
