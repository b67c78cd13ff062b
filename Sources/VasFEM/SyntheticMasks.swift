import Foundation

/// Deterministic synthetic wall masks (annuli, eccentric lumens, lumpy plaques)
/// for tests and benchmarks. Lengths are in pixels.
public enum SyntheticMasks {
    /// A ring between two circles (lumen centre may be offset from the outer centre).
    ///
    /// - Parameters:
    ///   - rows: the mask's height, in pixels.
    ///   - columns: the mask's width, in pixels.
    ///   - center: the outer circle's centre (x = column, y = row), in pixels.
    ///   - innerRadius: the lumen radius, in pixels.
    ///   - outerRadius: the outer wall radius, in pixels.
    ///   - lumenOffset: the lumen centre relative to `center`, in pixels.
    public static func annulus(rows: Int = 64, columns: Int = 64, center: SIMD2<Double> = SIMD2(32, 32),
                               innerRadius: Double, outerRadius: Double, lumenOffset: SIMD2<Double> = .zero) -> WallMask {
        WallMask(rows: rows, columns: columns) { r, c in
            let x = SIMD2(Double(c) + 0.5, Double(r) + 0.5)
            return length(x - center) <= outerRadius && length(x - center - lumenOffset) > innerRadius
        }
    }

    /// A wall whose outer and lumen radii vary with angle (a few random Fourier
    /// modes, seeded): plaque-like lumps. The lumen is offset towards the thick side.
    public static func lumpy(seed: UInt64, rows: Int = 64, columns: Int = 64) -> WallMask {
        var state = seed &* 6364136223846793005 &+ 1442695040888963407
        func uniform() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        let center = SIMD2(Double(columns) / 2 + 4 * (uniform() - 0.5), Double(rows) / 2 + 4 * (uniform() - 0.5))
        let outer0 = 17 + 5 * uniform(), inner0 = 7 + 3 * uniform()
        let modes = (1...3).map { k in (k, 1.6 * uniform() / Double(k), 2 * Double.pi * uniform(), 1.0 * uniform() / Double(k), 2 * Double.pi * uniform()) }
        let offset = SIMD2(3 * (uniform() - 0.5), 3 * (uniform() - 0.5))
        return WallMask(rows: rows, columns: columns) { r, c in
            let d = SIMD2(Double(c) + 0.5, Double(r) + 0.5) - center
            let theta = atan2(d.y, d.x)
            var outer = outer0
            for (k, ao, po, _, _) in modes { outer += ao * cos(Double(k) * theta + po) }
            let dl = d - offset
            let thetaL = atan2(dl.y, dl.x)
            var innerL = inner0
            for (k, _, _, ai, pi) in modes { innerL += ai * cos(Double(k) * thetaL + pi) }
            return length(d) <= outer && length(dl) > innerL
        }
    }

    /// The benchmark set: three annuli, three eccentric lumens, four lumpy plaques.
    public static var benchmarkSet: [(name: String, mask: WallMask)] {
        [("annulus-r10-r16", annulus(innerRadius: 10, outerRadius: 16)),
         ("annulus-r8-r20", annulus(innerRadius: 8, outerRadius: 20)),
         ("annulus-r12-r18-offcentre", annulus(center: SIMD2(29.3, 34.6), innerRadius: 12, outerRadius: 18)),
         ("eccentric-r9-r18-d4", annulus(innerRadius: 9, outerRadius: 18, lumenOffset: SIMD2(4, 0))),
         ("eccentric-r8-r20-d6", annulus(innerRadius: 8, outerRadius: 20, lumenOffset: SIMD2(-3, 5.2))),
         ("eccentric-r10-r22-d7", annulus(innerRadius: 10, outerRadius: 22, lumenOffset: SIMD2(0, -7)))]
            + (1...4).map { ("lumpy-\($0)", lumpy(seed: UInt64($0))) }
    }
}
