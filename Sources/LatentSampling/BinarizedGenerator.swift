/// A generator whose samples are binary masks: G_b(z) = 1[G(z) ≥ threshold].
///
/// Segmentation masks are binary, and a labeling tool such as VasFEM needs a
/// binary wall mask. The step function has no useful derivative, so the pullback
/// passes through to the underlying generator (the straight-through estimator):
/// J_{G_b}(z)ᵀ v := J_G(z)ᵀ v. The moved codes still follow the loss gradient of the
/// smooth image the mask is cut from.
public struct BinarizedGenerator<Base: Generator>: Generator {
    /// The smooth generator G.
    public let base: Base
    /// The cut level, 0.5 by default.
    public let threshold: Float

    /// Binarizes `base`'s samples at `threshold`.
    public init(_ base: Base, threshold: Float = 0.5) {
        self.base = base
        self.threshold = threshold
    }

    /// The latent dimension d of the base generator.
    public var latentDimension: Int { base.latentDimension }
    /// The sample shape of the base generator.
    public var sampleShape: [Int] { base.sampleShape }

    /// 1 where G(z) ≥ threshold, 0 elsewhere.
    public func generate(_ codes: LatentPoints) throws -> SampleBatch {
        let smooth = try base.checkedGenerate(codes)
        return SampleBatch(sampleShape: smooth.sampleShape, values: smooth.values.map { $0 >= threshold ? 1 : 0 })
    }

    /// The base generator's pullback (straight-through).
    public func pullback(at codes: LatentPoints, cotangent: SampleBatch) throws -> LatentPoints {
        try base.checkedPullback(at: codes, cotangent: cotangent)
    }
}
