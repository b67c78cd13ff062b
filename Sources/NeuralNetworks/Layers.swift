import TensorEngine

/// Fully connected layer, y = x·Wᵀ + b; input [N, inputCount], output [N, outputCount].
/// Parameters: `weight` [out, in], `bias` [out].
public final class Dense: Layer {
    public let weight: Variable
    public let bias: Variable?

    /// - Parameters:
    ///   - inputCount, outputCount: feature sizes.
    ///   - useBias: whether to add a bias.
    ///   - initialization: how weights are drawn (biases start at zero).
    ///   - generator: the seeded source of randomness.
    public init(
        inputCount: Int, outputCount: Int, useBias: Bool = true,
        initialization: WeightInitialization = .kaimingUniform, generator: inout SeededGenerator
    ) {
        precondition(inputCount > 0 && outputCount > 0, "Dense: sizes must be positive")
        weight = Variable(initialization.sample(shape: [outputCount, inputCount], fanIn: inputCount,
                                                fanOut: outputCount, using: &generator), requiresGradient: true)
        bias = useBias ? Variable(Tensor(zeros: [outputCount]), requiresGradient: true) : nil
    }

    public func callAsFunction(_ input: Variable) -> Variable { linear(input, weight: weight, bias: bias) }
    public var ownParameters: [(name: String, variable: Variable)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }
}

/// 2-D convolution layer over NCHW images (PyTorch's `Conv2d`).
/// Parameters: `weight` [out, in, k, k], `bias` [out].
public final class Conv2D: Layer {
    public let weight: Variable
    public let bias: Variable?
    public let stride: Int
    public let padding: Int

    /// - Parameters:
    ///   - inputChannels, outputChannels: channel counts.
    ///   - kernelSize: square kernel side k.
    ///   - stride: window step (≥ 1); padding: zeros on each side (≥ 0).
    public init(
        inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
        useBias: Bool = true, initialization: WeightInitialization = .kaimingUniform,
        generator: inout SeededGenerator
    ) {
        precondition(inputChannels > 0 && outputChannels > 0 && kernelSize > 0, "Conv2D: sizes must be positive")
        let fanIn = inputChannels * kernelSize * kernelSize
        weight = Variable(initialization.sample(
            shape: [outputChannels, inputChannels, kernelSize, kernelSize], fanIn: fanIn,
            fanOut: outputChannels * kernelSize * kernelSize, using: &generator), requiresGradient: true)
        bias = useBias ? Variable(Tensor(zeros: [outputChannels]), requiresGradient: true) : nil
        self.stride = stride
        self.padding = padding
    }

    public func callAsFunction(_ input: Variable) -> Variable {
        conv2d(input, weight: weight, bias: bias, stride: stride, padding: padding)
    }
    public var ownParameters: [(name: String, variable: Variable)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }
}

/// 2-D transposed convolution layer (PyTorch's `ConvTranspose2d`): upsamples by `stride`.
/// Parameters: `weight` [in, out, k, k], `bias` [out].
public final class ConvTranspose2D: Layer {
    public let weight: Variable
    public let bias: Variable?
    public let stride: Int
    public let padding: Int
    public let outputPadding: Int

    /// Output side: (H − 1)·stride − 2·padding + kernelSize + outputPadding.
    public init(
        inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
        outputPadding: Int = 0, useBias: Bool = true, initialization: WeightInitialization = .kaimingUniform,
        generator: inout SeededGenerator
    ) {
        precondition(inputChannels > 0 && outputChannels > 0 && kernelSize > 0, "ConvTranspose2D: sizes must be positive")
        // Each output pixel receives ≈ in·k²/stride² contributions; use in·k²/stride² as fan-in.
        let fanIn = Swift.max(1, inputChannels * kernelSize * kernelSize / (stride * stride))
        weight = Variable(initialization.sample(
            shape: [inputChannels, outputChannels, kernelSize, kernelSize], fanIn: fanIn,
            fanOut: outputChannels * kernelSize * kernelSize, using: &generator), requiresGradient: true)
        bias = useBias ? Variable(Tensor(zeros: [outputChannels]), requiresGradient: true) : nil
        self.stride = stride
        self.padding = padding
        self.outputPadding = outputPadding
    }

    public func callAsFunction(_ input: Variable) -> Variable {
        convTranspose2d(input, weight: weight, bias: bias, stride: stride, padding: padding, outputPadding: outputPadding)
    }
    public var ownParameters: [(name: String, variable: Variable)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }
}

/// Batch normalization over channels of [N, C] or [N, C, H, W] inputs.
/// Parameters `weight` (γ) and `bias` (β); buffers `running_mean`, `running_var`
/// (PyTorch's names, so saved states line up with `state_dict` keys).
public final class BatchNorm: Layer {
    public let gamma: Variable
    public let beta: Variable
    public let runningMean: Variable
    public let runningVariance: Variable
    /// Weight of the current batch in the running statistics update (1 replaces the
    /// running statistics by the batch's, e.g. to calibrate them on a chosen batch).
    public var momentum: Float
    /// ε added to the variance.
    public let epsilon: Float
    /// Whether batch statistics are used (and running ones updated); see ``Layer/train()``.
    public private(set) var isTraining = true

    public init(channels: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        precondition(channels > 0, "BatchNorm: channels must be positive")
        gamma = Variable(Tensor(shape: [channels], repeating: 1), requiresGradient: true)
        beta = Variable(Tensor(zeros: [channels]), requiresGradient: true)
        runningMean = Variable(Tensor(zeros: [channels]))
        runningVariance = Variable(Tensor(shape: [channels], repeating: 1))
        self.momentum = momentum
        self.epsilon = epsilon
    }

    public func callAsFunction(_ input: Variable) -> Variable {
        batchNorm(input, gamma: gamma, beta: beta, runningMean: runningMean, runningVariance: runningVariance,
                  training: isTraining, momentum: momentum, epsilon: epsilon)
    }
    /// max(0, BN(x)) in the normalization's own passes: what ``Sequential`` runs for a
    /// BatchNorm followed by a ``ReLU`` (same values and gradients as the two layers).
    public func callAsFunction(_ input: Variable, fusingReLU: Bool) -> Variable {
        batchNorm(input, gamma: gamma, beta: beta, runningMean: runningMean, runningVariance: runningVariance,
                  training: isTraining, momentum: momentum, epsilon: epsilon, fusingReLU: fusingReLU)
    }
    public var ownParameters: [(name: String, variable: Variable)] { [("weight", gamma), ("bias", beta)] }
    public var ownBuffers: [(name: String, variable: Variable)] {
        [("running_mean", runningMean), ("running_var", runningVariance)]
    }
    public func setTraining(_ training: Bool) { isTraining = training }
}

/// Max pooling over k×k windows (stride defaults to k).
public final class MaxPool2D: Layer {
    public let kernelSize: Int
    public let stride: Int
    public init(kernelSize: Int = 2, stride: Int? = nil) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
    }
    public func callAsFunction(_ input: Variable) -> Variable { maxPool2d(input, kernelSize: kernelSize, stride: stride) }
}

/// Average pooling over k×k windows (stride defaults to k).
public final class AvgPool2D: Layer {
    public let kernelSize: Int
    public let stride: Int
    public init(kernelSize: Int = 2, stride: Int? = nil) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
    }
    public func callAsFunction(_ input: Variable) -> Variable { avgPool2d(input, kernelSize: kernelSize, stride: stride) }
}

/// Nearest-neighbour upsampling by an integer factor (default ×2).
public final class Upsample: Layer {
    public let factor: Int
    public init(factor: Int = 2) { self.factor = factor }
    public func callAsFunction(_ input: Variable) -> Variable { upsampleNearest(input, factor: factor) }
}

/// Flattens every dimension after the batch: [N, …] → [N, product].
public final class Flatten: Layer {
    public init() {}
    public func callAsFunction(_ input: Variable) -> Variable {
        let n = input.shape[0]
        return reshape(input, to: [n, input.value.count / Swift.max(n, 1)])
    }
}

/// Reshapes every sample: [N, …] → [N] + `sampleShape` (same element count per sample).
public final class Reshape: Layer {
    public let sampleShape: [Int]
    public init(_ sampleShape: [Int]) { self.sampleShape = sampleShape }
    public func callAsFunction(_ input: Variable) -> Variable { reshape(input, to: [input.shape[0]] + sampleShape) }
}

/// max(x, 0).
public final class ReLU: Layer {
    public init() {}
    public func callAsFunction(_ input: Variable) -> Variable { relu(input) }
}

/// x for x > 0, slope·x otherwise.
public final class LeakyReLU: Layer {
    public let negativeSlope: Float
    public init(negativeSlope: Float = 0.2) { self.negativeSlope = negativeSlope }
    public func callAsFunction(_ input: Variable) -> Variable { leakyReLU(input, negativeSlope: negativeSlope) }
}

/// Logistic sigmoid.
public final class Sigmoid: Layer {
    public init() {}
    public func callAsFunction(_ input: Variable) -> Variable { sigmoid(input) }
}

/// Hyperbolic tangent.
public final class Tanh: Layer {
    public init() {}
    public func callAsFunction(_ input: Variable) -> Variable { tanh(input) }
}

/// Layers applied one after another; children are named (given names, or "0", "1", … like PyTorch).
public final class Sequential: Layer {
    public private(set) var layers: [(name: String, layer: any Layer)]

    /// A chain of named layers (names must be unique).
    public init(_ layers: [(String, any Layer)]) {
        precondition(Set(layers.map(\.0)).count == layers.count, "Sequential: duplicate layer names")
        self.layers = layers.map { (name: $0.0, layer: $0.1) }
    }
    /// A chain of layers named by their position.
    public init(_ layers: [any Layer]) {
        self.layers = layers.enumerated().map { (name: String($0.offset), layer: $0.element) }
    }

    /// Runs the layers in order; a ``BatchNorm`` directly followed by a ``ReLU`` runs as one
    /// fused step (``BatchNorm/callAsFunction(_:fusingReLU:)``).
    public func callAsFunction(_ input: Variable) -> Variable {
        var x = input
        var i = 0
        while i < layers.count {
            if let norm = layers[i].layer as? BatchNorm, i + 1 < layers.count, layers[i + 1].layer is ReLU {
                x = norm(x, fusingReLU: true)
                i += 2
                continue
            }
            x = layers[i].layer(x)
            i += 1
        }
        return x
    }
    public var children: [(name: String, layer: any Layer)] { layers }
}

/// Residual composition y = body(x) + shortcut(x), with the identity as default shortcut
/// (then body must preserve the shape).
public final class Residual: Layer {
    public let body: any Layer
    public let shortcut: (any Layer)?
    public init(body: any Layer, shortcut: (any Layer)? = nil) {
        self.body = body
        self.shortcut = shortcut
    }
    public func callAsFunction(_ input: Variable) -> Variable {
        body(input) + (shortcut.map { $0(input) } ?? input)
    }
    public var children: [(name: String, layer: any Layer)] {
        [("body", body)] + (shortcut.map { [("shortcut", $0)] } ?? [])
    }
}
