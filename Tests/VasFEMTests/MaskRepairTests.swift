import LatentSampling
import Testing
@testable import VasFEM

/// The repair of generated masks before labeling: speckles go, valid masks stay as they are.
@Suite("Mask repair")
struct MaskRepairTests {
    let ring = SyntheticMasks.annulus(innerRadius: 8, outerRadius: 16)

    @Test func aValidMaskIsLeftAlone() throws {
        for mask in [ring, SyntheticMasks.lumpy(seed: 3), SyntheticMasks.lumpy(seed: 4)] {
            try mask.validate()
            let (repaired, changed) = mask.repaired()
            #expect(changed == 0)
            #expect(repaired == mask)
        }
    }

    @Test func speckleHolesInTheWallAreFilled() throws {
        var mask = ring
        // Two one-pixel holes and a 2×1 hole inside the wall (radius 12 from the centre).
        for (r, c) in [(32, 44), (20, 32), (44, 32), (44, 33)] { mask.pixels[r * 64 + c] = 0 }
        #expect(throws: MaskError.severalLumens(4)) { try mask.validate() }
        let (repaired, changed) = mask.repaired()
        #expect(changed == 4)
        #expect(repaired == ring)
        try repaired.validate()
    }

    @Test func strayWallPiecesAreCleared() throws {
        var mask = ring
        // A 2×2 blob and a single pixel of wall in the background, off the ring.
        for (r, c) in [(3, 3), (3, 4), (4, 3), (4, 4), (60, 8)] { mask.pixels[r * 64 + c] = 1 }
        #expect(throws: MaskError.severalWallComponents(3)) { try mask.validate() }
        let (repaired, changed) = mask.repaired()
        #expect(changed == 5)
        #expect(repaired == ring)
    }

    /// A stray wall piece inside the lumen is cleared, which leaves the lumen whole.
    @Test func aWallIslandInTheLumenIsCleared() throws {
        var mask = ring
        mask.pixels[32 * 64 + 32] = 1
        #expect(throws: MaskError.severalWallComponents(2)) { try mask.validate() }
        #expect(mask.repaired().mask == ring)
    }

    @Test func aMaskWithoutLumenOrOnTheBorderStaysInvalid() throws {
        let disc = WallMask(rows: 64, columns: 64) { r, c in (r - 32) * (r - 32) + (c - 32) * (c - 32) < 100 }
        #expect(disc.repaired().changedPixels == 0)
        #expect(throws: MaskError.noLumen) { try disc.repaired().mask.validate() }
        let border = SyntheticMasks.annulus(innerRadius: 8, outerRadius: 33)
        #expect(throws: MaskError.touchesBorder(row: 0, column: 22)) { try border.repaired().mask.validate() }
    }

    /// The generator wrapper repairs every sample and passes the pullback through.
    @Test func theGeneratorRepairsItsSamples() throws {
        struct Fixed: Generator {
            var masks: [WallMask]
            var latentDimension: Int { 2 }
            var sampleShape: [Int] { [1, 64, 64] }
            func generate(_ codes: LatentPoints) throws -> SampleBatch {
                SampleBatch(sampleShape: sampleShape, values: (0..<codes.count).flatMap { masks[$0].pixels.map(Float.init) })
            }
            func pullback(at codes: LatentPoints, cotangent: SampleBatch) throws -> LatentPoints {
                LatentPoints(dimension: 2, values: [Float](repeating: 7, count: 2 * codes.count))
            }
        }
        var speckled = ring
        speckled.pixels[32 * 64 + 44] = 0
        let generator = RepairedWallMaskGenerator(Fixed(masks: [speckled, ring]))
        let codes = LatentPoints(dimension: 2, values: [0, 0, 1, 1])
        let out = try generator.generate(codes)
        #expect(out.sample(at: 0) == ring.pixels.map(Float.init))
        #expect(out.sample(at: 1) == ring.pixels.map(Float.init))
        let back = try generator.pullback(at: codes, cotangent: out)
        #expect(back.values == [7, 7, 7, 7])
    }
}
