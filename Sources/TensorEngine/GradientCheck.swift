/// The outcome of comparing back-propagated gradients with central finite differences
/// for one variable.
public struct GradientCheckResult: Sendable, CustomStringConvertible {
    /// The variable's label.
    public let name: String
    /// max |analytic − numeric| over the checked elements, divided by
    /// max(max |analytic|, max |numeric|, `floor`) over the same elements.
    public let relativeError: Double
    /// Number of elements checked.
    public let checkedCount: Int
    /// Largest analytic gradient magnitude among the checked elements (0 flags a dead check).
    public let largestGradient: Double

    public var description: String {
        "\(name): relative error \(relativeError) over \(checkedCount) elements (max |g| \(largestGradient))"
    }
}

/// Checks reverse-mode gradients against central finite differences.
///
/// The function's (arbitrary-shape) output y is reduced to the scalar
/// L = Σᵢ wᵢ·yᵢ with fixed pseudo-random weights w, evaluated in `Double` from the
/// `Float` outputs; back-propagation is seeded with w. For each checked element θ the
/// numeric derivative is (L(θ + h) − L(θ − h)) / 2h.
///
/// Float32 arithmetic limits the attainable agreement: with inputs of order 1, a step
/// h = 10⁻² keeps the rounding error of L (≈ 10⁻⁷·|L|/h) and the truncation error
/// (≈ h²·|L'''|) both near 10⁻⁴–10⁻³ relative, so a relative tolerance of 10⁻² separates
/// correct gradients from wrong ones (a wrong gradient is typically off by O(1)).
///
/// - Parameters:
///   - variables: labelled leaves whose gradients are checked (their `requiresGradient` is set).
///   - step: h.
///   - maximumElements: at most this many elements per variable are checked (chosen
///     pseudo-randomly, always including the first and last).
///   - seed: seed for w and for the element choice.
///   - function: recomputes the output from the current values of `variables`; it must be
///     deterministic.
public func checkGradients(
    of variables: [(String, Variable)], step: Float = 1e-2, maximumElements: Int = 24, seed: UInt64 = 1,
    floor: Double = 1e-3, _ function: () -> Variable
) -> [GradientCheckResult] {
    var generator = SeededGenerator(seed: seed)
    for (_, v) in variables {
        v.requiresGradient = true
        v.gradient = nil
    }
    let y = function()
    let weights = Tensor.uniform(shape: y.shape, lower: -1, upper: 1, using: &generator)
    y.backward(seed: weights)
    let analytic = variables.map { $0.1.gradient ?? Tensor(zeros: $0.1.shape) }

    func objective() -> Double {
        let out = withoutGradients { function() }.value
        var s = 0.0
        for i in 0..<out.count { s += Double(out.scalars[i]) * Double(weights.scalars[i]) }
        return s
    }

    var results: [GradientCheckResult] = []
    for (index, (name, v)) in variables.enumerated() {
        let count = v.value.count
        var indices: [Int]
        if count <= maximumElements {
            indices = Array(0..<count)
        } else {
            indices = [0, count - 1]
            while indices.count < maximumElements { indices.append(Int(generator.next() % UInt64(count))) }
        }
        var worst = 0.0, largest = 0.0, largestNumeric = 0.0
        for i in indices {
            let original = v.value.scalars[i]
            v.value.scalars[i] = original + step
            let plus = objective()
            v.value.scalars[i] = original - step
            let minus = objective()
            v.value.scalars[i] = original
            // The actual perturbation in Float may differ slightly from `step`.
            let h = Double(original + step) - Double(original - step)
            let numeric = (plus - minus) / h
            let a = Double(analytic[index].scalars[i])
            worst = Swift.max(worst, abs(a - numeric))
            largest = Swift.max(largest, abs(a))
            largestNumeric = Swift.max(largestNumeric, abs(numeric))
        }
        results.append(GradientCheckResult(
            name: name, relativeError: worst / Swift.max(largest, largestNumeric, floor),
            checkedCount: indices.count, largestGradient: largest))
    }
    return results
}
