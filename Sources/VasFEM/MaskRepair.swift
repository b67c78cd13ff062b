import LatentSampling

extension WallMask {
    /// The mask with the small defects of a generated mask removed, so that VasFEM can label
    /// it: every wall piece but the largest (8-connected) is cleared, and every hole but the
    /// largest (4-connected non-wall regions that do not reach the border) is filled with wall.
    ///
    /// A mask cut from a generator's smooth image, 1[G(z) ≥ ½], often has a one- or
    /// two-pixel speckle of lumen inside the wall or of wall in the background; VasFEM rejects
    /// such a mask (``MaskError/severalLumens(_:)``, ``MaskError/severalWallComponents(_:)``).
    /// The repair changes only those speckles. It does not create a lumen where there is
    /// none, nor move a wall off the border: such masks stay invalid.
    ///
    /// - Returns: the repaired mask and the number of pixels changed.
    public func repaired() -> (mask: WallMask, changedPixels: Int) {
        guard pixels.count == rows * columns, rows > 0, columns > 0, pixels.allSatisfy({ $0 <= 1 }) else {
            return (self, 0)
        }
        var result = self
        var changed = 0
        // 1. Keep the largest wall piece.
        let pieces = labelComponents(of: 1, diagonal: true)
        if pieces.count > 1, let largest = pieces.indices.max(by: { pieces[$0].count < pieces[$1].count }) {
            for (i, piece) in pieces.enumerated() where i != largest {
                for k in piece { result.pixels[k] = 0 }
                changed += piece.count
            }
        }
        // 2. Keep the largest hole as the lumen; fill the others.
        let regions = result.labelComponents(of: 0, diagonal: false)
        let holes = regions.filter { region in
            !region.contains { k in
                let r = k / columns, c = k % columns
                return r == 0 || c == 0 || r == rows - 1 || c == columns - 1
            }
        }
        if holes.count > 1, let lumen = holes.indices.max(by: { holes[$0].count < holes[$1].count }) {
            for (i, hole) in holes.enumerated() where i != lumen {
                for k in hole { result.pixels[k] = 1 }
                changed += hole.count
            }
        }
        return (result, changed)
    }
}

/// A generator of wall masks whose samples are repaired (``WallMask/repaired()``) before
/// they reach the labeling tool: the post-processing step of SI for VasFEM.
///
/// `Base` produces binary 64×64 masks (e.g. a `BinarizedGenerator` of LatentSampling); the pullback is the
/// base generator's (straight-through, as for the binarization itself).
public struct RepairedWallMaskGenerator<Base: Generator>: Generator {
    /// The generator of binary masks.
    public let base: Base

    /// Repairs `base`'s masks.
    public init(_ base: Base) { self.base = base }

    /// The latent dimension d of the base generator.
    public var latentDimension: Int { base.latentDimension }
    /// The sample shape of the base generator ([1, rows, columns] or [rows, columns]).
    public var sampleShape: [Int] { base.sampleShape }

    /// The base generator's masks, each repaired.
    public func generate(_ codes: LatentPoints) throws -> SampleBatch {
        let masks = try base.generate(codes)
        let rows = sampleShape.count >= 2 ? sampleShape[sampleShape.count - 2] : 1
        let columns = sampleShape.last ?? 1
        var repaired = SampleBatch(sampleShape: masks.sampleShape)
        for i in 0..<masks.count {
            let sample = masks.sample(at: i)
            let mask = WallMask(rows: rows, columns: columns, pixels: sample.map { $0 >= 0.5 ? 1 : 0 })
            repaired.append(sample: mask.repaired().mask.pixels.map(Float.init))
        }
        return repaired
    }

    /// The base generator's pullback (straight-through).
    public func pullback(at codes: LatentPoints, cotangent: SampleBatch) throws -> LatentPoints {
        try base.pullback(at: codes, cotangent: cotangent)
    }
}
