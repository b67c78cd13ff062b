import TensorEngine

/// A differentiable building block of a network: a function of one variable with named
/// parameters, named buffers (state that is saved but not trained, e.g. BatchNorm's
/// running statistics), and named sub-layers.
///
/// Names compose with "/" into stable paths such as `"encoder/conv1/weight"`; these are
/// the keys used to save and load a model's state.
public protocol Layer: AnyObject {
    /// Applies the layer to a batch (the first dimension of `input` is the batch).
    func callAsFunction(_ input: Variable) -> Variable
    /// This layer's own trainable parameters (not those of its children), by local name.
    var ownParameters: [(name: String, variable: Variable)] { get }
    /// This layer's own non-trainable state (not its children's), by local name.
    var ownBuffers: [(name: String, variable: Variable)] { get }
    /// Sub-layers, by local name.
    var children: [(name: String, layer: any Layer)] { get }
    /// Switches training behaviour (batch statistics in BatchNorm) on or off, for this
    /// layer and all its children.
    func setTraining(_ training: Bool)
}

extension Layer {
    public var ownParameters: [(name: String, variable: Variable)] { [] }
    public var ownBuffers: [(name: String, variable: Variable)] { [] }
    public var children: [(name: String, layer: any Layer)] { [] }
    public func setTraining(_ training: Bool) {
        for child in children { child.layer.setTraining(training) }
    }

    /// All trainable parameters of this layer and its descendants, with "/"-joined paths,
    /// in a stable order (own parameters first, then children in declaration order).
    public func namedParameters(prefix: String = "") -> [(name: String, variable: Variable)] {
        var result = ownParameters.map { (name: prefix + $0.name, variable: $0.variable) }
        for child in children {
            result += child.layer.namedParameters(prefix: prefix + child.name + "/")
        }
        return result
    }

    /// All buffers of this layer and its descendants, with "/"-joined paths.
    public func namedBuffers(prefix: String = "") -> [(name: String, variable: Variable)] {
        var result = ownBuffers.map { (name: prefix + $0.name, variable: $0.variable) }
        for child in children {
            result += child.layer.namedBuffers(prefix: prefix + child.name + "/")
        }
        return result
    }

    /// Parameters and buffers together: everything needed to restore the model exactly.
    public func namedState() -> [(name: String, variable: Variable)] {
        namedParameters() + namedBuffers()
    }

    /// The trainable parameters (what an optimizer updates).
    public var parameters: [Variable] { namedParameters().map(\.variable) }

    /// Total number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }

    /// Training mode: BatchNorm uses and updates batch statistics.
    public func train() { setTraining(true) }
    /// Evaluation mode: BatchNorm uses its running statistics.
    public func eval() { setTraining(false) }

    /// Turns gradient computation for all parameters on or off. Freeze a model
    /// (`false`) when only ∂L/∂input is needed, as in the latent-space sampler.
    public func setParametersRequireGradient(_ flag: Bool) {
        for p in parameters { p.requiresGradient = flag }
    }

    /// Drops all parameter gradients.
    public func zeroGradients() {
        for p in parameters { p.gradient = nil }
    }

    /// Applies the layer to a plain tensor without recording a graph (inference).
    public func callAsFunction(_ input: Tensor) -> Tensor {
        withoutGradients { self(Variable(input)).value }
    }
}

/// How weights are drawn at initialization (biases start at zero).
public enum WeightInitialization: Sendable {
    /// He/Kaiming uniform for ReLU networks: U(−b, b) with b = √(6 / fan_in).
    case kaimingUniform
    /// Glorot/Xavier uniform: U(−b, b) with b = √(6 / (fan_in + fan_out)).
    case xavierUniform

    func sample(shape: [Int], fanIn: Int, fanOut: Int, using generator: inout SeededGenerator) -> Tensor {
        let bound: Float
        switch self {
        case .kaimingUniform: bound = (6 / Float(fanIn)).squareRoot()
        case .xavierUniform: bound = (6 / Float(fanIn + fanOut)).squareRoot()
        }
        return Tensor.uniform(shape: shape, lower: -bound, upper: bound, using: &generator)
    }
}
