// The generator lives in the dependency-free `Randomness` module, shared with the sampling
// core; the engine re-exports it, so `import TensorEngine` alone still gives `SeededGenerator`,
// `nextUniform()` and `nextNormal()`.
@_exported import Randomness

extension Tensor {
    /// A tensor of independent uniform values in `[lower, upper)`.
    public static func uniform(
        shape: [Int], lower: Float, upper: Float, using generator: inout SeededGenerator
    ) -> Tensor {
        var t = Tensor(zeros: shape)
        let width = upper - lower
        for i in 0..<t.count { t.scalars[i] = lower + width * generator.nextUniform() }
        return t
    }

    /// A tensor of independent normal values with mean `mean` and standard deviation `standardDeviation`.
    public static func normal(
        shape: [Int], mean: Float = 0, standardDeviation: Float = 1, using generator: inout SeededGenerator
    ) -> Tensor {
        var t = Tensor(zeros: shape)
        for i in 0..<t.count { t.scalars[i] = mean + standardDeviation * generator.nextNormal() }
        return t
    }
}
