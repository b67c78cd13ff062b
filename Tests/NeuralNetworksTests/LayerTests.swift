import Testing
import TensorEngine
@testable import NeuralNetworks

@Suite("Layers and architectures")
struct LayerTests {
    @Test func layersGradientCheckThroughTheLayerAPI() {
        var g = SeededGenerator(seed: 5)
        // A smooth activation: with ReLU-like kinks, finite differences straddle kinks and
        // the check measures the kinks, not the code (kinked ops are checked in TensorEngineTests).
        let block = makeResidualBlock(channels: 3, activation: Tanh(), generator: &g)
        let x = Variable(Tensor.normal(shape: [2, 3, 5, 4], using: &g), requiresGradient: true)
        // Convolution biases feeding training-mode BatchNorm have exactly zero gradient; skip them.
        let named = [("x", x)] + block.namedParameters().filter { !$0.name.hasSuffix("conv1/bias") && !$0.name.hasSuffix("conv2/bias") }
            .map { ($0.name, $0.variable) }
        for r in checkGradients(of: named, step: 3e-3, { block(x) }) {
            #expect(r.relativeError < 3e-3, "\(r)")
        }
        let up = Sequential([ConvTranspose2D(inputChannels: 3, outputChannels: 2, kernelSize: 4, stride: 2, padding: 1, generator: &g),
                             Upsample(), AvgPool2D(kernelSize: 2), Flatten(), Dense(inputCount: 2 * 10 * 8, outputCount: 3, generator: &g), Tanh()])
        let named2 = [("x", x)] + up.namedParameters().map { ($0.name, $0.variable) }
        for r in checkGradients(of: named2, { up(x) }) {
            #expect(r.relativeError < 3e-3, "\(r)")
        }
    }

    @Test func parameterNamesAreStablePaths() {
        // The paper's LeNet (Table S7): 20·25 + 20, 50·20·25 + 50, 800·500 + 500, 500·10 + 10.
        let lenet = makeLeNet()
        #expect(lenet.namedParameters().map(\.name) == [
            "conv1/weight", "conv1/bias", "conv2/weight", "conv2/bias", "fc1/weight", "fc1/bias", "fc2/weight", "fc2/bias"])
        #expect(lenet.parameterCount == 431_080)
        let lenet5 = makeLeNet5()
        #expect(lenet5.namedParameters().map(\.name) == [
            "conv1/weight", "conv1/bias", "conv2/weight", "conv2/bias",
            "fc1/weight", "fc1/bias", "fc2/weight", "fc2/bias", "fc3/weight", "fc3/bias"])
        #expect(lenet5.parameterCount == 61_706)
        let ivus = makeIVUSNet()
        #expect(ivus.namedBuffers().first?.name == "down1/block1/bn/running_mean")
        let vae = VariationalAutoencoder()
        #expect(vae.namedParameters().map(\.name).contains("log_variance/weight"))
    }

    /// Multiply–adds counted by hand from the layer tables.
    @Test func multiplyAddsMatchTheLayerTables() {
        // Paper LeNet: conv1 20·25·24², conv2 50·20·25·8², fc1 800·500, fc2 500·10.
        let lenet = multiplyAdds(of: makeLeNet(), inputShape: [1, 28, 28])
        #expect(lenet.count == 20 * 25 * 576 + 50 * 500 * 64 + 800 * 500 + 500 * 10)
        #expect(lenet.outputShape == [10])
        // LeNet-5: conv1 6·25·28², conv2 16·150·10², 400·120 + 120·84 + 84·10.
        #expect(multiplyAdds(of: makeLeNet5(), inputShape: [1, 28, 28]).count
                == 6 * 25 * 784 + 16 * 150 * 100 + 400 * 120 + 120 * 84 + 84 * 10)
        // A transposed convolution counts Cin·Cout·k² per input pixel; the VAE's decoder 3→400→400→784.
        var g = SeededGenerator(seed: 1)
        let up = Sequential([ConvTranspose2D(inputChannels: 3, outputChannels: 2, kernelSize: 4, stride: 2, padding: 1, generator: &g)])
        let upCost = multiplyAdds(of: up, inputShape: [3, 5, 7])
        #expect(upCost.count == 3 * 2 * 16 * 35)
        #expect(upCost.outputShape == [2, 10, 14])
        let vae = VariationalAutoencoder(inputCount: 784, latentCount: 3)
        #expect(multiplyAdds(of: vae.decoder, inputShape: [3]).count == 3 * 400 + 400 * 400 + 400 * 784)
    }

    @Test func architecturesProduceTheDocumentedShapes() {
        var g = SeededGenerator(seed: 1)
        #expect(makeLeNet()(Tensor.normal(shape: [2, 1, 28, 28], using: &g)).shape == [2, 10])
        #expect(makeIVUSNet()(Tensor.normal(shape: [2, 1, 64, 64], using: &g)).shape == [2, 1, 64, 64])
        let vgg = makeVGG16()
        #expect(vgg(Tensor.normal(shape: [2, 3, 32, 32], using: &g)).shape == [2, 10])
        let vae = VariationalAutoencoder(inputCount: 4096, latentCount: 3)
        #expect(vae(Tensor.normal(shape: [2, 1, 64, 64], using: &g)).shape == [2, 4096])
        let gan = AlphaGAN(latentCount: 16)
        let images = gan.generator(Tensor.normal(shape: [2, 16], using: &g))
        #expect(images.shape == [2, 3, 32, 32])
        #expect(images.scalars.allSatisfy { abs($0) <= 1 })
        #expect(gan.encoder(images).shape == [2, 16])
        #expect(gan.codeDiscriminator(Tensor.normal(shape: [2, 16], using: &g)).shape == [2, 1])
        #expect(gan.imageDiscriminator(images).shape == [2, 1])
    }

    @Test func initializationIsDeterministicGivenTheSeed() {
        let a = makeLeNet(seed: 7).parameters.map(\.value)
        let b = makeLeNet(seed: 7).parameters.map(\.value)
        let c = makeLeNet(seed: 8).parameters.map(\.value)
        #expect(a == b)
        #expect(a != c)
    }

    @Test func trainingAndEvaluationModesSwitchBatchNorm() {
        let net = makeIVUSNet(baseChannels: 2)
        var g = SeededGenerator(seed: 3)
        let x = Tensor.normal(shape: [3, 1, 16, 16], using: &g)
        let bn = allBatchNorms(net)[0]
        net.train()
        _ = net(x)
        let after = bn.runningMean.value
        #expect(after != Tensor(zeros: [2]))
        net.eval()
        let y1 = net(x), y2 = net(x)
        #expect(y1 == y2)
        #expect(bn.runningMean.value == after)
    }

    @Test func smallNetworkLearnsASeparableProblem() {
        // Two Gaussian blobs; a 2-layer MLP trained with Adam must classify them.
        var g = SeededGenerator(seed: 11)
        var xs: [Float] = [], labels: [Int] = []
        for i in 0..<64 {
            let label = i % 2
            xs += [Float(label * 2 - 1) + 0.5 * g.nextNormal(), Float(label * 2 - 1) + 0.5 * g.nextNormal()]
            labels.append(label)
        }
        let x = Tensor(shape: [64, 2], scalars: xs)
        let net = Sequential([Dense(inputCount: 2, outputCount: 16, generator: &g), ReLU(), Dense(inputCount: 16, outputCount: 2, generator: &g)])
        let adam = Adam(parameters: net.parameters, learningRate: 0.02)
        var first: Float = 0, last: Float = 0
        for step in 0..<100 {
            adam.zeroGradients()
            let loss = softmaxCrossEntropy(logits: net(Variable(x)), labels: labels)
            if step == 0 { first = loss.value.scalar }
            last = loss.value.scalar
            loss.backward()
            adam.step()
        }
        #expect(last < 0.3 * first)
        let predictions = net(x)
        var correct = 0
        for i in 0..<64 where (predictions.scalars[2 * i + 1] > predictions.scalars[2 * i] ? 1 : 0) == labels[i] { correct += 1 }
        #expect(correct >= 58)
    }
}
