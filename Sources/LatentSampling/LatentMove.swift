/// The latent step shared by SNN and SI: move latent points toward harder samples.
///
/// For latent points p (codes of training samples) with labels y, the step computes
///
///     g = ∂L(F(G(p)), y)/∂p = J_G(p)ᵀ ∂L/∂x |_{x = G(p)}      (pullback through G)
///     d = g / ‖g‖                                              (per point)
///     p' = p + α·d
///
/// A point whose gradient vanishes (‖g‖ = 0, or not finite) does not move: d = 0.
public struct LatentMove: Sendable, Hashable {
    /// The starting points p (or z), N×d.
    public var start: LatentPoints
    /// The normalized directions d, N×d (rows of unit length, or zero).
    public var direction: LatentPoints
    /// The moved points p' = p + α·d.
    public var moved: LatentPoints
    /// The target model's loss at G(p), per point.
    public var losses: [Float]
    /// ‖∂L/∂p‖ before normalization, per point.
    public var gradientNorms: [Float]

    /// Computes the move of `points` by step size `alpha` (α, latent units).
    ///
    /// - Parameters:
    ///   - points: the starting latent points p.
    ///   - labels: the label of each point's sample, used in the loss L.
    ///   - alpha: the step size α; 0 leaves the points where they are.
    ///   - generator: G, through which the loss gradient is pulled back to the points.
    ///   - model: F, whose loss L and input gradient ∂L/∂x are taken at G(p).
    /// - Throws: ``SamplingError/invalidParameter(_:)`` when labels and points differ in
    ///   number; ``ConformanceError`` when the generator or the model returns the wrong
    ///   number or shape of results; and whatever they throw themselves.
    public init<Model: TargetModel>(
        from points: LatentPoints, labels: [Model.Label], alpha: Float,
        generator: some Generator, model: Model
    ) throws {
        guard labels.count == points.count else {
            throw SamplingError.invalidParameter("\(labels.count) labels for \(points.count) latent points")
        }
        // Every value a conformance returns is checked (ConformanceError names the type).
        let samples = try generator.checkedGenerate(points)
        let (losses, sampleGradient) = try model.checkedLossAndInputGradient(at: samples, labels: labels)
        let latentGradient = try generator.checkedPullback(at: points, cotangent: sampleGradient)

        let d = points.dimension
        var direction = [Float](repeating: 0, count: points.values.count)
        var moved = points.values
        var norms = [Float](repeating: 0, count: points.count)
        latentGradient.values.withUnsafeBufferPointer { g in
            for i in 0..<points.count {
                var squared: Double = 0
                for k in 0..<d { squared += Double(g[i * d + k]) * Double(g[i * d + k]) }
                let norm = squared.squareRoot()
                norms[i] = Float(norm)
                guard norm > 0, norm.isFinite else { continue }
                for k in 0..<d {
                    let unit = Float(Double(g[i * d + k]) / norm)
                    direction[i * d + k] = unit
                    moved[i * d + k] += alpha * unit
                }
            }
        }
        self.start = points
        self.direction = LatentPoints(dimension: d, values: direction)
        self.moved = LatentPoints(dimension: d, values: moved)
        self.losses = losses
        self.gradientNorms = norms
    }
}
