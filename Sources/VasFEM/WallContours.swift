import Foundation

/// Why the wall boundary could not be traced from a (valid) mask.
public enum ContourError: Error, Equatable, CustomStringConvertible {
    /// The 0.5 level set of the smoothed mask has this many closed curves instead of two (outer border, lumen).
    case unexpectedContourCount(Int)
    /// The lumen curve is not inside the outer curve.
    case lumenOutsideWall
    /// The smoothed wall is thinner than the allowed gap (mm) somewhere: too thin to mesh.
    case wallTooThin(gap: Double)

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .unexpectedContourCount(let n):
            "the smoothed wall boundary has \(n) closed curve(s); expected 2 (outer border and lumen)"
                + (n < 2 ? ": the wall is about one pixel thin somewhere and opens up when smoothed" : "")
        case .lumenOutsideWall: "the lumen contour is not inside the outer contour"
        case .wallTooThin(let g): "the wall is too thin to mesh (gap \(g) mm between its borders)"
        }
    }
}

/// The smoothed wall boundary of a mask: two closed curves in mm, the outer
/// border counter-clockwise and the lumen clockwise (the wall on the left of both).
///
/// Pixel (row i, column j) has its centre at x = (j + ½)·h, y = (i + ½)·h, with h the pixel size.
package struct WallContours: Sendable {
    /// The outer border, counter-clockwise, without repeating the first point.
    package var outer: [SIMD2<Double>]
    /// The lumen border, clockwise, without repeating the first point.
    package var lumen: [SIMD2<Double>]

    /// Traces the wall boundary of a valid mask at sub-pixel accuracy.
    ///
    /// 1. The mask is smoothed slightly (separable binomial kernel ¼[1 2 1]); where that opens a
    ///    one-pixel-thin stretch of wall, the unsmoothed mask is traced instead.
    /// 2. Marching squares traces the level 0.5 of the smoothed field (saddles
    ///    resolved by the cell-centre average).
    /// 3. Each closed curve is smoothed by Taubin's λ|μ filter (no shrinkage) to remove the
    ///    pixel staircase (a curve of fewer than 32 points is first resampled to 32), then
    ///    resampled at equal arc length.
    ///
    /// - Parameters:
    ///   - pixelSize: h, in mm.
    ///   - spacing: the arc-length spacing of the resampled curves, in mm.
    /// - Throws: ``ContourError``.
    package init(mask: WallMask, pixelSize: Double, spacing: Double) throws {
        // One loop inside the other, as a wall around a lumen should trace.
        func nested(_ loops: [[SIMD2<Double>]]) -> Bool {
            guard loops.count == 2 else { return false }
            let (big, small) = abs(Self.signedArea(loops[0])) >= abs(Self.signedArea(loops[1])) ? (loops[0], loops[1]) : (loops[1], loops[0])
            return Self.contains(big, small[0])
        }
        var loops = Self.levelCurves(of: Self.smoothed(mask, passes: 1), level: 0.5)
        if !nested(loops) {
            // Smoothing opened or pinched a one-pixel-thin stretch of wall: trace the unsmoothed
            // mask instead (the curve smoothing below still removes the staircase).
            let raw = Self.levelCurves(of: Self.smoothed(mask, passes: 0), level: 0.5)
            if nested(raw) { loops = raw }
        }
        guard loops.count == 2 else { throw ContourError.unexpectedContourCount(loops.count) }
        var curves = loops.map { loop in
            // Taubin's filter spares only wavelengths of many points: a loop of a small lumen
            // (fewer than 32 points) is resampled to 32 first, or smoothing would shrink it.
            let dense = loop.count < 32 ? Self.resample(loop, spacing: .infinity, minimumCount: 32) : loop
            return Self.resample(Self.taubinSmoothed(dense, iterations: 20), spacing: spacing / pixelSize)
                .map { ($0 - SIMD2(1, 1) + SIMD2(0.5, 0.5)) * pixelSize }  // padded grid index → mm
        }
        curves.sort { abs(Self.signedArea($0)) > abs(Self.signedArea($1)) }
        var outer = curves[0], lumen = curves[1]
        if Self.signedArea(outer) < 0 { outer.reverse() }
        if Self.signedArea(lumen) > 0 { lumen.reverse() }
        guard Self.contains(outer, lumen[0]) else { throw ContourError.lumenOutsideWall }
        let gap = Self.distance(outer, lumen)
        guard gap > 0.5 * pixelSize else { throw ContourError.wallTooThin(gap: gap) }
        self.outer = outer
        self.lumen = lumen
    }

    /// The mask smoothed `passes` times by ¼[1 2 1] in each direction, on a grid padded by one
    /// zero pixel on every side.
    static func smoothed(_ mask: WallMask, passes: Int) -> (values: [Double], rows: Int, columns: Int) {
        let rows = mask.rows + 2, cols = mask.columns + 2
        var v = [Double](repeating: 0, count: rows * cols)
        for r in 0..<mask.rows { for c in 0..<mask.columns { v[(r + 1) * cols + c + 1] = Double(mask[r, c]) } }
        for _ in 0..<passes { smooth(&v, rows: rows, columns: cols) }
        return (v, rows, cols)
    }

    /// One pass of the separable binomial filter ¼[1 2 1], zero outside the grid.
    static func smooth(_ v: inout [Double], rows: Int, columns cols: Int) {
        var h = v
        for r in 0..<rows {
            for c in 0..<cols {
                let left = c > 0 ? v[r * cols + c - 1] : 0, right = c < cols - 1 ? v[r * cols + c + 1] : 0
                h[r * cols + c] = 0.25 * left + 0.5 * v[r * cols + c] + 0.25 * right
            }
        }
        for r in 0..<rows {
            for c in 0..<cols {
                let up = r > 0 ? h[(r - 1) * cols + c] : 0, down = r < rows - 1 ? h[(r + 1) * cols + c] : 0
                v[r * cols + c] = 0.25 * up + 0.5 * h[r * cols + c] + 0.25 * down
            }
        }
    }

    /// The closed level curves f = level of a grid function by marching squares,
    /// in grid coordinates (x = column, y = row).
    static func levelCurves(of field: (values: [Double], rows: Int, columns: Int), level: Double) -> [[SIMD2<Double>]] {
        let (f, rows, cols) = field
        // Crossing points are identified by grid edge: 2·(r·cols + c) for the edge (r,c)–(r,c+1),
        // 2·(r·cols + c) + 1 for (r,c)–(r+1,c).
        func point(_ id: Int) -> SIMD2<Double> {
            let k = id / 2, r = k / cols, c = k % cols
            let (r2, c2) = id % 2 == 0 ? (r, c + 1) : (r + 1, c)
            let a = f[r * cols + c], b = f[r2 * cols + c2]
            let t = (level - a) / (b - a)
            return SIMD2(Double(c) + t * Double(c2 - c), Double(r) + t * Double(r2 - r))
        }
        var neighbours: [Int: [Int]] = [:]
        func link(_ a: Int, _ b: Int) { neighbours[a, default: []].append(b); neighbours[b, default: []].append(a) }
        for r in 0..<(rows - 1) {
            for c in 0..<(cols - 1) {
                let corners = [f[r * cols + c], f[r * cols + c + 1], f[(r + 1) * cols + c + 1], f[(r + 1) * cols + c]]
                let inside = corners.map { $0 >= level }
                // Cell edges: top, right, bottom, left; corner k touches edges k−1 and k (mod 4).
                let edges = [2 * (r * cols + c), 2 * (r * cols + c + 1) + 1, 2 * ((r + 1) * cols + c), 2 * (r * cols + c) + 1]
                let crossing = (0..<4).filter { inside[$0] != inside[($0 + 1) % 4] }
                if crossing.count == 2 {
                    link(edges[crossing[0]], edges[crossing[1]])
                } else if crossing.count == 4 {
                    let centreInside = corners.reduce(0, +) / 4 >= level
                    for k in 0..<4 where inside[k] != centreInside { link(edges[(k + 3) % 4], edges[k]) }
                }
            }
        }
        var visited = Set<Int>()
        var loops: [[SIMD2<Double>]] = []
        for start in neighbours.keys.sorted() where !visited.contains(start) {
            var loop: [SIMD2<Double>] = []
            var previous = -1, current = start
            while !visited.contains(current) {
                visited.insert(current)
                loop.append(point(current))
                guard let next = neighbours[current]?.first(where: { $0 != previous && !visited.contains($0) }) else { break }
                previous = current
                current = next
            }
            if loop.count >= 3 { loops.append(loop) }
        }
        return loops
    }

    /// Taubin λ|μ smoothing of a closed polyline (λ = 0.5, μ = −0.53).
    static func taubinSmoothed(_ loop: [SIMD2<Double>], iterations: Int) -> [SIMD2<Double>] {
        var p = loop
        let n = p.count
        for _ in 0..<iterations {
            for factor in [0.5, -0.53] {
                let q = p
                for i in 0..<n { p[i] = q[i] + factor * ((q[(i + n - 1) % n] + q[(i + 1) % n]) / 2 - q[i]) }
            }
        }
        return p
    }

    /// Resamples a closed polyline at (nearly) equal arc-length spacing, at least `minimumCount` points.
    static func resample(_ loop: [SIMD2<Double>], spacing: Double, minimumCount: Int = 16) -> [SIMD2<Double>] {
        let n = loop.count
        var cumulative = [0.0]
        for i in 0..<n { cumulative.append(cumulative[i] + length(loop[(i + 1) % n] - loop[i])) }
        let total = cumulative[n]
        let count = max(minimumCount, Int((total / spacing).rounded()))
        var out: [SIMD2<Double>] = []
        var segment = 0
        for k in 0..<count {
            let s = total * Double(k) / Double(count)
            while cumulative[segment + 1] < s { segment += 1 }
            let t = (s - cumulative[segment]) / max(cumulative[segment + 1] - cumulative[segment], 1e-300)
            out.append(loop[segment] + t * (loop[(segment + 1) % n] - loop[segment]))
        }
        return out
    }

    /// The signed area of a closed polyline (positive when counter-clockwise).
    static func signedArea(_ p: [SIMD2<Double>]) -> Double {
        var a = 0.0
        for i in 0..<p.count { a += cross(p[i], p[(i + 1) % p.count]) }
        return a / 2
    }

    /// Whether x lies inside the closed polyline p (even–odd rule).
    static func contains(_ p: [SIMD2<Double>], _ x: SIMD2<Double>) -> Bool {
        var inside = false
        for i in 0..<p.count {
            let a = p[i], b = p[(i + 1) % p.count]
            if (a.y > x.y) != (b.y > x.y) && x.x < a.x + (x.y - a.y) * (b.x - a.x) / (b.y - a.y) { inside.toggle() }
        }
        return inside
    }

    /// The smallest distance between the vertices of one polyline and the segments of the other.
    static func distance(_ p: [SIMD2<Double>], _ q: [SIMD2<Double>]) -> Double {
        func pointToSegments(_ x: SIMD2<Double>, _ s: [SIMD2<Double>]) -> Double {
            var best = Double.infinity
            for i in 0..<s.count {
                let a = s[i], b = s[(i + 1) % s.count], d = b - a
                let t = min(1, max(0, ((x - a) * d).sum() / max((d * d).sum(), 1e-300)))
                best = min(best, length(x - a - t * d))
            }
            return best
        }
        return min(p.map { pointToSegments($0, q) }.min() ?? .infinity, q.map { pointToSegments($0, p) }.min() ?? .infinity)
    }
}

@inlinable func length(_ v: SIMD2<Double>) -> Double { (v * v).sum().squareRoot() }
