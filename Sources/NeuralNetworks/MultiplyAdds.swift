import TensorEngine

/// Multiply–adds of one sample's forward pass through the convolutions, transposed
/// convolutions and dense layers of `layer` (pooling, normalization and activations are not
/// counted), found by running the layers once on one sample of shape `inputShape`.
///
/// A training step costs about three times this (forward, input gradient, weight gradient),
/// two floating-point operations per multiply–add.
///
/// - Returns: the count, and the shape of one output sample.
public func multiplyAdds(of layer: any Layer, inputShape: [Int]) -> (count: Int, outputShape: [Int]) {
    var total = 0
    func walk(_ layer: any Layer, _ x: Tensor) -> Tensor {
        if let sequential = layer as? Sequential {
            return sequential.layers.reduce(x) { walk($1.layer, $0) }
        }
        if let residual = layer as? Residual {
            let y = walk(residual.body, x)
            if let shortcut = residual.shortcut { _ = walk(shortcut, x) }
            return y
        }
        let y = layer(x)
        if let dense = layer as? Dense {
            total += dense.weight.value.count  // in·out
        } else if let conv = layer as? Conv2D {
            total += conv.weight.value.count * y.shape[2] * y.shape[3]  // Cout·Cin·k²·Hout·Wout
        } else if let deconv = layer as? ConvTranspose2D {
            total += deconv.weight.value.count * x.shape[2] * x.shape[3]  // Cin·Cout·k²·Hin·Win
        }
        return y
    }
    let y = withoutGradients { walk(layer, Tensor(shape: [1] + inputShape, repeating: 0.5)) }
    return (total, Array(y.shape.dropFirst()))
}
