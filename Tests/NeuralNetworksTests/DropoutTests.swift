import Testing
import TensorEngine
@testable import NeuralNetworks

@Suite("Dropout")
struct DropoutTests {
    @Test("training mode zeroes about a fraction p and scales the rest by 1/(1 − p); evaluation is the identity")
    func masks() {
        let layer = Dropout(rate: 0.3, seed: 1)
        let x = Tensor(shape: [50, 40], repeating: 2)
        let y = layer(x)
        let zeros = y.scalars.filter { $0 == 0 }.count
        #expect(abs(Double(zeros) / 2000 - 0.3) < 0.04)
        #expect(y.scalars.allSatisfy { $0 == 0 || abs($0 - 2 / 0.7) < 1e-6 })
        layer.eval()
        #expect(layer(x) == x)
        layer.isMonteCarlo = true
        #expect(layer(x) != x)
        #expect(Dropout(rate: 0)(x) == x)
    }

    @Test("the gradient is the mask: central finite differences agree")
    func gradient() {
        var g = SeededGenerator(seed: 2)
        let layer = Dropout(rate: 0.4, seed: 3)
        let dense = Dense(inputCount: 5, outputCount: 4, generator: &g)
        let x = Variable(Tensor.normal(shape: [3, 5], using: &g), requiresGradient: true)
        let named = [("x", x)] + dense.namedParameters().map { ($0.name, $0.variable) }
        // The same mask on every call: reseed the layer before each forward pass.
        let results = checkGradients(of: named, step: 1e-2) {
            layer.generator = SeededGenerator(seed: 3)
            return tanh(layer(dense(x)))
        }
        for r in results { #expect(r.relativeError < 3e-3, "\(r)") }
        // And the mask itself: ∂(Σ w·y)/∂x = w·mask for y = dropout(x).
        let input = Variable(Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]), requiresGradient: true)
        let mask = Tensor(shape: [2, 3], scalars: [0, 2, 2, 0, 0, 2])
        dropout(input, mask: mask).backward(seed: Tensor(shape: [2, 3], scalars: [1, 1, 1, 1, 1, 1]))
        #expect(input.gradient == mask)
    }
}
