import Foundation
import LatentSampling
import TensorEngine

/// Synthetic vessel-wall masks: a disc of wall (1) around a circular lumen (0), on a square
/// image of ``side`` pixels.
enum WallMasks {
    /// Image side in pixels.
    static let side = 32
    /// The shape of one mask sample.
    static let sampleShape = [1, side, side]

    /// An annulus: wall where the pixel centre lies within `outer` pixels of `center` and farther
    /// than `inner` pixels from the lumen's centre, `center + lumenOffset`.
    static func annulus(center: SIMD2<Double> = SIMD2(16, 16), inner: Double, outer: Double,
                        lumenOffset: SIMD2<Double> = .zero) -> [Float] {
        var mask = [Float](repeating: 0, count: side * side)
        for y in 0..<side {
            for x in 0..<side {
                let p = SIMD2(Double(x) + 0.5, Double(y) + 0.5)
                let fromWall = p - center, fromLumen = p - center - lumenOffset
                let inWall = (fromWall * fromWall).sum() <= outer * outer
                let inLumen = (fromLumen * fromLumen).sum() <= inner * inner
                mask[y * side + x] = inWall && !inLumen ? 1 : 0
            }
        }
        return mask
    }

    /// Lamé's hoop stress at the inner wall of a thick-walled tube of radii a < b under lumen
    /// pressure p, relative to p: σ_θ(a)/p = (b² + a²)/(b² − a²).
    static func hoopFactor(inner a: Double, outer b: Double) -> Double { (b * b + a * a) / (b * b - a * a) }

    /// `count` random eccentric annuli (outer radius 8–13 px, lumen 3–6 px, off-centre by up to
    /// half the thinnest possible wall), from `seed`.
    static func random(count: Int, seed: UInt64) -> SampleBatch {
        var randomness = SeededGenerator(seed: seed)
        var batch = SampleBatch(sampleShape: sampleShape)
        for _ in 0..<count {
            let outer = 8 + 5 * Double(randomness.nextUniform())
            let inner = 3 + 3 * Double(randomness.nextUniform())
            let shift = 0.5 * (outer - inner - 1.5) * Double(randomness.nextUniform())
            let angle = 2 * Double.pi * Double(randomness.nextUniform())
            let center = SIMD2(16 + 2 * Double(randomness.nextUniform() - 0.5), 16 + 2 * Double(randomness.nextUniform() - 0.5))
            batch.append(sample: annulus(center: center, inner: inner, outer: outer,
                                         lumenOffset: SIMD2(shift * cos(angle), shift * sin(angle))))
        }
        return batch
    }

    /// One mask of the demonstration batch, with what is expected of it.
    struct DemoMask {
        var name: String
        var mask: [Float]
        /// σ_θ(a)/p from the nominal radii, for a well-formed mask (`nil` for a bad one).
        var nominalHoopFactor: Double?
    }

    /// The demonstration batch: four good annuli of known radii and four masks the program must
    /// reject (no lumen, two lumens, a non-binary value, wall on the border).
    static var demo: [DemoMask] {
        var twoLumens = annulus(inner: 0, outer: 11)
        for y in 0..<side {
            for x in 0..<side {
                let left = (Double(x) + 0.5 - 12, Double(y) + 0.5 - 16), right = (Double(x) + 0.5 - 20, Double(y) + 0.5 - 16)
                if left.0 * left.0 + left.1 * left.1 <= 6.25 || right.0 * right.0 + right.1 * right.1 <= 6.25 {
                    twoLumens[y * side + x] = 0
                }
            }
        }
        var notBinary = annulus(inner: 5, outer: 11)
        notBinary[16 * side + 5] = 0.5
        return [
            DemoMask(name: "annulus a=4 b=9", mask: annulus(inner: 4, outer: 9), nominalHoopFactor: hoopFactor(inner: 4, outer: 9)),
            DemoMask(name: "annulus a=5 b=11", mask: annulus(inner: 5, outer: 11), nominalHoopFactor: hoopFactor(inner: 5, outer: 11)),
            DemoMask(name: "annulus a=6 b=13, lumen off by 2 px", mask: annulus(inner: 6, outer: 13, lumenOffset: SIMD2(2, 0)),
                     nominalHoopFactor: hoopFactor(inner: 6, outer: 13)),
            DemoMask(name: "annulus a=3 b=12", mask: annulus(inner: 3, outer: 12), nominalHoopFactor: hoopFactor(inner: 3, outer: 12)),
            DemoMask(name: "solid disc (no lumen)", mask: annulus(inner: 0, outer: 10), nominalHoopFactor: nil),
            DemoMask(name: "two lumens", mask: twoLumens, nominalHoopFactor: nil),
            DemoMask(name: "a pixel of 0.5", mask: notBinary, nominalHoopFactor: nil),
            DemoMask(name: "wall on the border", mask: annulus(inner: 8, outer: 17), nominalHoopFactor: nil),
        ]
    }
}
