import Testing
@testable import TensorEngine

/// `batchNorm(…, fusingReLU: true)` against `relu(batchNorm(…))`: the same values, the same
/// input and parameter gradients, and the same running statistics, in training and in
/// evaluation, on both SIMD levels. (The two separate operations are checked against central
/// finite differences in GradientTests; the fused one is not, because the ReLU's kink makes
/// differences across it meaningless.)
@Suite("BatchNorm fused with ReLU", .serialized)
struct FusedNormalizationTests {
    func values(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var g = SeededGenerator(seed: seed)
        return (0..<count).map { _ in scale * (2 * g.nextUniform() - 1) }
    }

    /// Output, ∂x, ∂γ, ∂β and the running statistics after one step.
    func run(fused: Bool, training: Bool, shape: [Int]) -> [[Float]] {
        let c = shape[1], count = shape.reduce(1, *)
        let x = Variable(Tensor(shape: shape, scalars: values(count, seed: 1, scale: 2)), requiresGradient: true)
        let gamma = Variable(Tensor(shape: [c], scalars: values(c, seed: 2).map { 1 + $0 / 2 }), requiresGradient: true)
        let beta = Variable(Tensor(shape: [c], scalars: values(c, seed: 3)), requiresGradient: true)
        let mean = Variable(Tensor(shape: [c], scalars: values(c, seed: 4)))
        let variance = Variable(Tensor(shape: [c], scalars: values(c, seed: 5).map { 1.5 + $0 }))
        let y = fused
            ? batchNorm(x, gamma: gamma, beta: beta, runningMean: mean, runningVariance: variance,
                        training: training, fusingReLU: true)
            : relu(batchNorm(x, gamma: gamma, beta: beta, runningMean: mean, runningVariance: variance,
                             training: training))
        let weights = Variable(Tensor(shape: shape, scalars: values(count, seed: 6)))
        sum(y * weights).backward()
        return [y.value.scalars, x.gradient!.scalars, gamma.gradient!.scalars, beta.gradient!.scalars,
                mean.value.scalars, variance.value.scalars]
    }

    @Test(arguments: [true, false])
    func fusedEqualsNormalizationThenReLU(training: Bool) {
        for level in SIMDLevel.allCases {
            _ = atSIMDLevel(level) {
            for shape in [[3, 4, 7, 5], [2, 3, 17, 16], [5, 6]] {
                let fused = run(fused: true, training: training, shape: shape)
                let separate = run(fused: false, training: training, shape: shape)
                #expect(fused[0].contains { $0 == 0 } && fused[0].contains { $0 > 0 }, "the ReLU must cut somewhere")
                for (name, (a, b)) in zip(["y", "dx", "dγ", "dβ", "running mean", "running variance"], zip(fused, separate)) {
                    let scale = max(1, b.map { abs($0) }.max() ?? 0)
                    let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
                    #expect(worst <= 2e-6 * scale, "\(level), \(shape), training \(training): \(name) differs by \(worst)")
                }
            }
            }
        }
    }

    /// The planes are split over the threads by samples, and each channel's per-plane sums are
    /// added in sample order afterwards: one thread and two give the same bits, for the fused
    /// and the plain layer (a shape large enough to be split: 6·4·48·48 values).
    @Test(arguments: [true, false])
    func oneAndTwoThreadsGiveTheSameBits(fused: Bool) {
        defer { BLASThreads.set(2) }
        let shape = [6, 4, 48, 48]
        BLASThreads.set(1)
        let one = run(fused: fused, training: true, shape: shape)
        BLASThreads.set(2)
        let two = run(fused: fused, training: true, shape: shape)
        for (name, (a, b)) in zip(["y", "dx", "dγ", "dβ", "running mean", "running variance"], zip(one, two)) {
            #expect(a == b, "fused \(fused): \(name) differs between one thread and two")
        }
    }
}
