// The quadratic triangle mesh of the vessel wall (reference configuration, mm).

/// An edge on the boundary of the mesh: local edge `edge` (0: nodes 0–3–1,
/// 1: nodes 1–4–2, 2: nodes 2–5–0) of triangle `triangle`. Walking an edge from
/// its first to its second vertex keeps the wall on the left.
package struct BoundaryEdge: Sendable, Hashable {
    /// The triangle index.
    package var triangle: Int
    /// The local edge index, 0, 1 or 2.
    package var edge: Int
}

/// Problems with a mesh: degenerate geometry is an error, never a crash.
public enum MeshError: Error, Equatable, CustomStringConvertible {
    /// The mesh has no triangles.
    case noElements
    /// A triangle's node index is out of range.
    case invalidConnectivity(triangle: Int)
    /// The isoparametric map of a triangle folds over (det of its Jacobian ≤ 0 somewhere).
    case invertedElement(triangle: Int)
    /// The worst element's scaled Jacobian (min/max of det J over the element) is below the threshold.
    case poorQuality(minimumScaledJacobian: Double)
    /// The mesh boundary is not made of one outer loop and exactly `expectedHoles` holes.
    case unexpectedBoundary(outerLoops: Int, holes: Int)
    /// gmsh reported an error (code) in the named API function.
    case gmsh(function: String, code: Int32)

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .noElements: "the mesh has no triangles"
        case .invalidConnectivity(let t): "triangle \(t) refers to a node that does not exist"
        case .invertedElement(let t): "triangle \(t) is inverted (non-positive Jacobian)"
        case .poorQuality(let q): "mesh quality too low: minimum scaled Jacobian \(q)"
        case .unexpectedBoundary(let o, let h): "mesh boundary has \(o) outer loop(s) and \(h) hole(s); expected 1 and 1"
        case .gmsh(let f, let c): "gmsh error \(c) in \(f)"
        }
    }
}

/// A mesh of 6-node (quadratic, isoparametric) triangles in the reference
/// configuration; coordinates in mm.
///
/// Displacements live on all nodes (P2); the pressure lives on the triangle
/// vertices (P1). Triangles are stored counter-clockwise.
package struct TriangleMesh: Sendable {
    /// Node coordinates X, in mm.
    package let nodes: [SIMD2<Double>]
    /// Six node indices per triangle (gmsh order), flattened.
    package let triangles: [Int]
    /// For each node, its index among the vertices (the pressure unknowns), or −1 for a mid-edge node.
    package let vertexIndex: [Int]
    /// The number of triangle vertices (pressure unknowns).
    package let vertexCount: Int
    /// Boundary edges on the holes of the domain (the lumen border, where blood pressure acts).
    package let holeEdges: [BoundaryEdge]
    /// Boundary edges on the outer border.
    package let outerEdges: [BoundaryEdge]
    /// The number of holes (closed boundary loops with the domain outside).
    package let holeCount: Int
    /// The smallest scaled Jacobian (min det J / max det J within an element) over all elements; 1 for straight-sided triangles.
    package let minimumScaledJacobian: Double

    /// The number of triangles.
    package var triangleCount: Int { triangles.count / 6 }

    /// The node indices of local edge `edge` (start vertex, end vertex, middle) of triangle `t`.
    @inlinable
    package func edgeNodes(_ e: BoundaryEdge) -> (Int, Int, Int) {
        let base = 6 * e.triangle
        return (triangles[base + e.edge], triangles[base + (e.edge + 1) % 3], triangles[base + 3 + e.edge])
    }

    /// Builds a mesh from coordinates and 6-node connectivity, orients every
    /// triangle counter-clockwise, finds the boundary loops and checks element quality.
    ///
    /// - Parameter minimumScaledJacobian: elements whose scaled Jacobian falls below this are an error.
    /// - Throws: ``MeshError``.
    package init(nodes: [SIMD2<Double>], triangles input: [Int], minimumScaledJacobian threshold: Double = 0.05) throws {
        guard input.count >= 6, input.count % 6 == 0 else { throw MeshError.noElements }
        var tris = input
        let n = nodes.count
        for t in 0..<(tris.count / 6) {
            for k in 0..<6 where tris[6 * t + k] < 0 || tris[6 * t + k] >= n { throw MeshError.invalidConnectivity(triangle: t) }
            let a = nodes[tris[6 * t]], b = nodes[tris[6 * t + 1]], c = nodes[tris[6 * t + 2]]
            if cross(b - a, c - a) < 0 {  // swap vertices 1 and 2, and mid-edge nodes 3 and 5
                tris.swapAt(6 * t + 1, 6 * t + 2)
                tris.swapAt(6 * t + 3, 6 * t + 5)
            }
        }
        // Vertex numbering for the pressure space.
        var vIndex = [Int](repeating: -1, count: n)
        var vCount = 0
        for t in 0..<(tris.count / 6) {
            for k in 0..<3 where vIndex[tris[6 * t + k]] < 0 {
                vIndex[tris[6 * t + k]] = vCount
                vCount += 1
            }
        }
        // Quality: det of the isoparametric Jacobian at the nodes and quadrature points.
        let samplePoints: [SIMD2<Double>] = [SIMD2(0, 0), SIMD2(1, 0), SIMD2(0, 1), SIMD2(0.5, 0), SIMD2(0.5, 0.5), SIMD2(0, 0.5)]
            + TriangleQuadrature.degree4.points
        let sampleGradients = samplePoints.map(QuadraticTriangle.gradients)
        var worst = 1.0
        for t in 0..<(tris.count / 6) {
            var lo = Double.infinity, hi = -Double.infinity
            for g in sampleGradients {
                var jac = SIMD4<Double>.zero  // (∂x/∂ξ, ∂x/∂η, ∂y/∂ξ, ∂y/∂η)
                for a in 0..<6 {
                    let x = nodes[tris[6 * t + a]]
                    jac += SIMD4(x.x * g[a].x, x.x * g[a].y, x.y * g[a].x, x.y * g[a].y)
                }
                let d = jac[0] * jac[3] - jac[1] * jac[2]
                lo = min(lo, d)
                hi = max(hi, d)
            }
            if !(lo > 0) { throw MeshError.invertedElement(triangle: t) }
            worst = min(worst, lo / hi)
        }
        if worst < threshold { throw MeshError.poorQuality(minimumScaledJacobian: worst) }

        // Boundary edges: vertex pairs used by exactly one triangle.
        struct Key: Hashable { var a: Int, b: Int }
        var count: [Key: Int] = [:]
        for t in 0..<(tris.count / 6) {
            for e in 0..<3 {
                let a = tris[6 * t + e], b = tris[6 * t + (e + 1) % 3]
                count[Key(a: min(a, b), b: max(a, b)), default: 0] += 1
            }
        }
        var boundary: [BoundaryEdge] = []
        for t in 0..<(tris.count / 6) {
            for e in 0..<3 {
                let a = tris[6 * t + e], b = tris[6 * t + (e + 1) % 3]
                if count[Key(a: min(a, b), b: max(a, b))] == 1 { boundary.append(BoundaryEdge(triangle: t, edge: e)) }
            }
        }
        // Group boundary edges into loops (union–find on vertices) and classify each loop
        // by its signed area: positive for the outer border, negative for a hole.
        var parent = Array(0..<n)
        func find(_ x: Int) -> Int {
            var x = x
            while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }
            return x
        }
        for e in boundary {
            let a = tris[6 * e.triangle + e.edge], b = tris[6 * e.triangle + (e.edge + 1) % 3]
            let ra = find(a), rb = find(b)
            if ra != rb { parent[ra] = rb }
        }
        var loopArea: [Int: Double] = [:]
        for e in boundary {
            let a = nodes[tris[6 * e.triangle + e.edge]], b = nodes[tris[6 * e.triangle + (e.edge + 1) % 3]]
            loopArea[find(tris[6 * e.triangle + e.edge]), default: 0] += cross(a, b) / 2
        }
        var holeRoots = Set<Int>()
        for (root, area) in loopArea where area < 0 { holeRoots.insert(root) }
        self.nodes = nodes
        self.triangles = tris
        self.vertexIndex = vIndex
        self.vertexCount = vCount
        self.holeEdges = boundary.filter { holeRoots.contains(find(tris[6 * $0.triangle + $0.edge])) }
        self.outerEdges = boundary.filter { !holeRoots.contains(find(tris[6 * $0.triangle + $0.edge])) }
        self.holeCount = holeRoots.count
        self.minimumScaledJacobian = worst
    }

    /// The area of the reference domain, in mm².
    package var area: Double {
        var total = 0.0
        forEachQuadraturePoint { _, _, _, w in total += w }
        return total
    }

    /// Calls `body(triangle, pointIndex, X, weight·det J)` for every quadrature point of the standard rule.
    func forEachQuadraturePoint(_ body: (Int, Int, SIMD2<Double>, Double) -> Void) {
        let basis = TabulatedBasis.standard
        for t in 0..<triangleCount {
            for q in 0..<basis.quadrature.weights.count {
                var x = SIMD2<Double>.zero
                var jac = SIMD4<Double>.zero
                for a in 0..<6 {
                    let xa = nodes[triangles[6 * t + a]]
                    let g = basis.p2Gradients[q][a]
                    x += basis.p2[q][a] * xa
                    jac += SIMD4(xa.x * g.x, xa.x * g.y, xa.y * g.x, xa.y * g.y)
                }
                body(t, q, x, basis.quadrature.weights[q] * (jac[0] * jac[3] - jac[1] * jac[2]))
            }
        }
    }
}

@inlinable func cross(_ a: SIMD2<Double>, _ b: SIMD2<Double>) -> Double { a.x * b.y - a.y * b.x }

/// Finds which triangle of a mesh holds a reference point, and where in it.
///
/// Triangles are bucketed on a uniform grid by their bounding boxes; the local
/// coordinates come from Newton's method on the isoparametric map.
package struct MeshLocator: Sendable {
    let mesh: TriangleMesh
    let origin: SIMD2<Double>
    let cell: Double
    let columns: Int, rows: Int
    let buckets: [[Int]]

    /// Indexes the triangles of `mesh`.
    package init(_ mesh: TriangleMesh) {
        self.mesh = mesh
        var lo = SIMD2<Double>(repeating: .infinity), hi = SIMD2<Double>(repeating: -.infinity)
        for x in mesh.nodes { lo = pointwiseMin(lo, x); hi = pointwiseMax(hi, x) }
        let span = hi - lo
        let cellSize = max(span.x, span.y, 1e-9) / (Double(mesh.triangleCount).squareRoot().rounded(.up) + 1)
        let cols = Int((span.x / cellSize).rounded(.down)) + 1, rws = Int((span.y / cellSize).rounded(.down)) + 1
        var b = [[Int]](repeating: [], count: cols * rws)
        for t in 0..<mesh.triangleCount {
            var tl = SIMD2<Double>(repeating: .infinity), th = SIMD2<Double>(repeating: -.infinity)
            for a in 0..<6 { let x = mesh.nodes[mesh.triangles[6 * t + a]]; tl = pointwiseMin(tl, x); th = pointwiseMax(th, x) }
            let c0 = Int(((tl.x - lo.x) / cellSize).rounded(.down)), c1 = min(cols - 1, Int(((th.x - lo.x) / cellSize).rounded(.down)))
            let r0 = Int(((tl.y - lo.y) / cellSize).rounded(.down)), r1 = min(rws - 1, Int(((th.y - lo.y) / cellSize).rounded(.down)))
            for r in max(0, r0)...r1 { for c in max(0, c0)...c1 { b[r * cols + c].append(t) } }
        }
        origin = lo; cell = cellSize; columns = cols; rows = rws; buckets = b
    }

    /// The local coordinates (ξ, η) of X in triangle t, by Newton's method on
    /// x(ξ) = Σ Nₐ(ξ) Xₐ, started from the straight-sided estimate.
    package func localCoordinates(of x: SIMD2<Double>, in t: Int) -> SIMD2<Double> {
        let tri = mesh.triangles
        let a = mesh.nodes[tri[6 * t]], b = mesh.nodes[tri[6 * t + 1]], c = mesh.nodes[tri[6 * t + 2]]
        let det = cross(b - a, c - a)
        var s = SIMD2(cross(x - a, c - a) / det, cross(b - a, x - a) / det)
        for _ in 0..<8 {
            let v = QuadraticTriangle.values(s)
            let vals = [v.0, v.1, v.2, v.3, v.4, v.5]
            let g = QuadraticTriangle.gradients(s)
            var pos = SIMD2<Double>.zero, jac = SIMD4<Double>.zero
            for k in 0..<6 {
                let xk = mesh.nodes[tri[6 * t + k]]
                pos += vals[k] * xk
                jac += SIMD4(xk.x * g[k].x, xk.x * g[k].y, xk.y * g[k].x, xk.y * g[k].y)
            }
            let r = x - pos
            let d = jac[0] * jac[3] - jac[1] * jac[2]
            guard d != 0 else { break }
            let ds = SIMD2((jac[3] * r.x - jac[1] * r.y) / d, (-jac[2] * r.x + jac[0] * r.y) / d)
            s += ds
            if abs(ds.x) + abs(ds.y) < 1e-13 { break }
        }
        return s
    }

    /// The triangle containing X and the local coordinates there; when X lies
    /// outside the mesh (a pixel centre just beyond the smoothed boundary), the
    /// nearest triangle with local coordinates clamped onto it.
    package func locate(_ x: SIMD2<Double>) -> (triangle: Int, local: SIMD2<Double>) {
        let c = min(max(0, Int(((x.x - origin.x) / cell).rounded(.down))), columns - 1)
        let r = min(max(0, Int(((x.y - origin.y) / cell).rounded(.down))), rows - 1)
        var best = (triangle: -1, local: SIMD2<Double>.zero, outside: Double.infinity)
        var radius = 0
        while radius <= max(columns, rows) {
            for rr in (r - radius)...(r + radius) where rr >= 0 && rr < rows {
                for cc in (c - radius)...(c + radius) where cc >= 0 && cc < columns {
                    if radius > 0 && abs(rr - r) != radius && abs(cc - c) != radius { continue }
                    for t in buckets[rr * columns + cc] {
                        let s = localCoordinates(of: x, in: t)
                        let outside = max(0, -s.x) + max(0, -s.y) + max(0, s.x + s.y - 1)
                        if outside < best.outside { best = (t, s, outside) }
                        if outside <= 1e-10 { return (t, s) }
                    }
                }
            }
            if best.triangle >= 0 && radius >= 1 { break }
            radius += 1
        }
        var s = best.local
        s.x = max(0, s.x); s.y = max(0, s.y)
        if s.x + s.y > 1 { let k = s.x + s.y; s /= k }
        return (best.triangle, s)
    }
}
