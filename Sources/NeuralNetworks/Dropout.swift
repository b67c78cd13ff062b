import TensorEngine

/// Inverted dropout (Srivastava et al., 2014; PyTorch's `nn.Dropout`): in training mode
/// each input is zeroed with probability `rate` and the survivors are scaled by
/// 1 / (1 − rate), so the expected output equals the input; in evaluation mode it is
/// the identity unless ``isMonteCarlo`` is set (Monte-Carlo dropout, Gal & Ghahramani,
/// 2016, which keeps the masks at prediction time).
///
/// The masks come from ``generator``, so a run is reproducible from its seed; the
/// gradient is the same mask times the incoming gradient.
public final class Dropout: Layer {
    /// The probability p of zeroing an input, in [0, 1).
    public let rate: Float
    /// Whether the layer is in training mode (set by ``Layer/train()`` and ``Layer/eval()``).
    public private(set) var isTraining = true
    /// Keep dropping in evaluation mode (Monte-Carlo dropout).
    public var isMonteCarlo = false
    /// Draws the masks.
    public var generator: SeededGenerator

    /// A dropout layer with drop probability `rate`, its masks drawn from `seed`.
    public init(rate: Float = 0.5, seed: UInt64 = 0) {
        precondition(rate >= 0 && rate < 1, "Dropout: rate \(rate) is outside [0, 1)")
        self.rate = rate
        self.generator = SeededGenerator(seed: seed)
    }

    /// The input times a fresh mask (training or Monte-Carlo mode), or the input itself.
    public func callAsFunction(_ input: Variable) -> Variable {
        guard (isTraining || isMonteCarlo), rate > 0 else { return input }
        let scale = 1 / (1 - rate)
        let mask = (0..<input.value.count).map { _ in generator.nextUniform() < rate ? Float(0) : scale }
        return dropout(input, mask: Tensor(shape: input.shape, scalars: mask))
    }

    /// Switches between training mode (dropping) and evaluation mode (identity unless Monte-Carlo).
    public func setTraining(_ training: Bool) { isTraining = training }
}

/// `input` multiplied element-wise by a fixed `mask` of the same shape (dropout with a
/// given mask; the mask holds 0 or 1 / (1 − p)). The gradient is `mask` times the
/// incoming gradient.
public func dropout(_ input: Variable, mask: Tensor) -> Variable {
    precondition(mask.shape == input.shape, "dropout: mask of shape \(mask.shape) for an input of shape \(input.shape)")
    return input * Variable(mask)
}
