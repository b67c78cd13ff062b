import Foundation

/// The stress state at one material point of the deformed wall.
package struct StressSample: Sendable, Hashable {
    /// The in-plane Cauchy stress σ (11, 12, 21, 22), in kPa.
    package var cauchy: SIMD4<Double>
    /// The out-of-plane Cauchy stress σ₃₃ (plane strain), in kPa.
    package var outOfPlane: Double
    /// The displacement u at the point, in mm.
    package var displacement: SIMD2<Double>

    /// The larger in-plane principal Cauchy stress, in kPa (the stress map's value).
    package var maximumPrincipal: Double {
        let mean = (cauchy[0] + cauchy[3]) / 2, half = (cauchy[0] - cauchy[3]) / 2
        return mean + (half * half + cauchy[1] * cauchy[1]).squareRoot()
    }
    /// The smaller in-plane principal Cauchy stress, in kPa.
    package var minimumPrincipal: Double {
        let mean = (cauchy[0] + cauchy[3]) / 2, half = (cauchy[0] - cauchy[3]) / 2
        return mean - (half * half + cauchy[1] * cauchy[1]).squareRoot()
    }
    /// The von Mises stress of the full 3-D Cauchy stress (σ₃₃ included), in kPa.
    package var vonMises: Double {
        let (s11, s22, s33, s12) = (cauchy[0], cauchy[3], outOfPlane, cauchy[1])
        let d = (s11 - s22) * (s11 - s22) + (s22 - s33) * (s22 - s33) + (s33 - s11) * (s33 - s11)
        return (0.5 * d + 3 * s12 * s12).squareRoot()
    }
}

/// A solved vessel wall: the mesh, the material, the converged mixed solution,
/// and stress evaluation anywhere in the reference configuration.
package struct WallAnalysis: Sendable {
    /// The reference mesh.
    package let mesh: TriangleMesh
    /// The wall material.
    package let material: MooneyRivlinMaterial
    /// The converged displacement and pressure fields with solver statistics.
    package let solution: MixedSolution
    /// The number of unknowns (displacements and pressures).
    package let unknownCount: Int
    /// The half-bandwidth of the tangent matrix.
    package let bandwidth: Int
    let locator: MeshLocator
    /// The rigid motion that the point supports left in the solution, removed from reported
    /// displacements and stress axes: the best-fit (area-weighted least-squares) rotation φ
    /// and the centroids X̄ (reference) and x̄ (deformed).
    let rigidRotation: Double, referenceCentroid: SIMD2<Double>, deformedCentroid: SIMD2<Double>

    /// The supports that remove rigid-body motion without stressing the wall.
    ///
    /// Three point constraints: the leftmost vertex A is pinned (u = 0) and the
    /// rightmost vertex B slides along x (u_y = 0). They are statically
    /// determinate, so their reactions follow from global equilibrium alone; the
    /// lumen pressure on a closed curve has zero resultant force and zero moment
    /// (about any point, in the deformed configuration), and so do the discrete
    /// internal forces (partition of unity, symmetric Cauchy stress). The three
    /// reactions must therefore balance nothing: they vanish (up to the solver
    /// tolerance; `MixedSolution.largestReaction` reports them), and the stress
    /// field is that of the unsupported wall.
    package static func rigidBodySupports(_ mesh: TriangleMesh) -> [DisplacementConstraint] {
        var left = -1, right = -1
        for node in 0..<mesh.nodes.count where mesh.vertexIndex[node] >= 0 {
            let x = mesh.nodes[node]
            if left < 0 || x.x < mesh.nodes[left].x || (x.x == mesh.nodes[left].x && x.y < mesh.nodes[left].y) { left = node }
            if right < 0 || x.x > mesh.nodes[right].x || (x.x == mesh.nodes[right].x && x.y < mesh.nodes[right].y) { right = node }
        }
        return [DisplacementConstraint(node: left, component: 0), DisplacementConstraint(node: left, component: 1),
                DisplacementConstraint(node: right, component: 1)]
    }

    /// Solves the wall under lumen pressure along `path` (follower load on the
    /// mesh's hole edges, rigid-body supports of ``rigidBodySupports(_:)``).
    ///
    /// - Throws: ``MeshError/unexpectedBoundary(outerLoops:holes:)`` when the mesh has no lumen; ``SolverError``.
    package static func solve(mesh: TriangleMesh, material: MooneyRivlinMaterial, path: [LoadState],
                             options: NewtonOptions = NewtonOptions()) throws -> WallAnalysis {
        guard mesh.holeCount == 1 else { throw MeshError.unexpectedBoundary(outerLoops: 1, holes: mesh.holeCount) }
        let solver = MixedSolver(mesh: mesh, material: material, pressureEdges: mesh.holeEdges,
                                 constraints: rigidBodySupports(mesh))
        let solution = try solver.solve(path: path, options: options)
        return WallAnalysis(mesh: mesh, material: material, solution: solution, unknownCount: solver.unknownCount,
                            bandwidth: solver.bandwidth, locator: MeshLocator(mesh))
    }

    /// Creates an analysis from a solution already computed on `mesh`.
    package init(mesh: TriangleMesh, material: MooneyRivlinMaterial, solution: MixedSolution, unknownCount: Int, bandwidth: Int) {
        self.init(mesh: mesh, material: material, solution: solution, unknownCount: unknownCount, bandwidth: bandwidth,
                  locator: MeshLocator(mesh))
    }

    init(mesh: TriangleMesh, material: MooneyRivlinMaterial, solution: MixedSolution, unknownCount: Int, bandwidth: Int, locator: MeshLocator) {
        self.mesh = mesh
        self.material = material
        self.solution = solution
        self.unknownCount = unknownCount
        self.bandwidth = bandwidth
        self.locator = locator
        // Best-fit rigid motion over the quadrature points: centroids, then the 2-D Kabsch angle.
        var total = 0.0, sumX = SIMD2<Double>.zero, sumx = SIMD2<Double>.zero
        var points: [(X: SIMD2<Double>, x: SIMD2<Double>, w: Double)] = []
        let basis = TabulatedBasis.standard
        mesh.forEachQuadraturePoint { t, q, X, w in
            var u = SIMD2<Double>.zero
            for a in 0..<6 { u += basis.p2[q][a] * solution.displacement[mesh.triangles[6 * t + a]] }
            points.append((X, X + u, w))
            total += w; sumX += w * X; sumx += w * (X + u)
        }
        let cX = sumX / max(total, 1e-300), cx = sumx / max(total, 1e-300)
        var dotSum = 0.0, crossSum = 0.0
        for p in points {
            let a = p.X - cX, b = p.x - cx
            dotSum += p.w * (a * b).sum()
            crossSum += p.w * cross(a, b)
        }
        rigidRotation = atan2(crossSum, dotSum)
        referenceCentroid = cX
        deformedCentroid = cx
    }

    /// Removes the supports' rigid motion from a deformed position: x′ = R(−φ)(x − x̄) + X̄.
    package func canonicalPosition(_ x: SIMD2<Double>) -> SIMD2<Double> {
        let c = cos(rigidRotation), s = sin(rigidRotation), d = x - deformedCentroid
        return SIMD2(c * d.x + s * d.y, -s * d.x + c * d.y) + referenceCentroid
    }

    /// The stress and displacement at the material point with reference position X (mm),
    /// with the rigid motion left by the point supports removed (zero mean displacement and
    /// zero best-fit rotation over the wall; principal and von Mises stresses do not depend
    /// on it). The point is located in
    /// the mesh (or, just outside it, on the nearest element) and evaluated from the
    /// P2 displacement gradient and the P1 pressure there.
    package func stress(atReferencePoint x: SIMD2<Double>) -> StressSample {
        let (t, s) = locator.locate(x)
        return stress(inTriangle: t, local: s)
    }

    /// The stress in triangle `t` at local coordinates (ξ, η).
    package func stress(inTriangle t: Int, local s: SIMD2<Double>) -> StressSample {
        let g = QuadraticTriangle.gradients(s)
        let v = QuadraticTriangle.values(s)
        let values = [v.0, v.1, v.2, v.3, v.4, v.5]
        var jac = SIMD4<Double>.zero
        for a in 0..<6 {
            let xa = mesh.nodes[mesh.triangles[6 * t + a]]
            jac += SIMD4(xa.x * g[a].x, xa.x * g[a].y, xa.y * g[a].x, xa.y * g[a].y)
        }
        let det = jac[0] * jac[3] - jac[1] * jac[2]
        var f = SIMD4<Double>(1, 0, 0, 1)
        var u = SIMD2<Double>.zero
        for a in 0..<6 {
            let node = mesh.triangles[6 * t + a]
            let d = SIMD2((jac[3] * g[a].x - jac[2] * g[a].y) / det, (-jac[1] * g[a].x + jac[0] * g[a].y) / det)
            let ua = solution.displacement[node]
            f += SIMD4(ua.x * d.x, ua.x * d.y, ua.y * d.x, ua.y * d.y)
            u += values[a] * ua
        }
        let l = LinearTriangle.values(s)
        var p = 0.0
        for k in 0..<3 { p += l[k] * solution.pressure[mesh.vertexIndex[mesh.triangles[6 * t + k]]] }
        let point = material.response(deformationGradient: f, pressure: p, withTangent: false)
        let (sigma, s33) = material.cauchyStress(point)
        var X = SIMD2<Double>.zero
        for a in 0..<6 { X += values[a] * mesh.nodes[mesh.triangles[6 * t + a]] }
        // Express displacement and stress without the supports' rigid motion: σ′ = R(−φ) σ R(−φ)ᵀ.
        let c = cos(rigidRotation), sn = sin(rigidRotation)
        let r = SIMD4(c, sn, -sn, c)  // R(−φ), row-major
        let rs = SIMD4(r[0] * sigma[0] + r[1] * sigma[2], r[0] * sigma[1] + r[1] * sigma[3],
                       r[2] * sigma[0] + r[3] * sigma[2], r[2] * sigma[1] + r[3] * sigma[3])
        let rotated = SIMD4(rs[0] * r[0] + rs[1] * r[1], rs[0] * r[2] + rs[1] * r[3],
                            rs[2] * r[0] + rs[3] * r[1], rs[2] * r[2] + rs[3] * r[3])
        return StressSample(cauchy: rotated, outOfPlane: s33, displacement: canonicalPosition(X + u) - X)
    }

    /// The deformed positions of the lumen border's vertices, in mm, in boundary order
    /// (rigid motion removed, as for ``stress(atReferencePoint:)``).
    package var deformedLumen: [SIMD2<Double>] {
        var next: [Int: Int] = [:]
        for e in mesh.holeEdges {
            let (a, b, _) = mesh.edgeNodes(e)
            next[a] = b
        }
        guard let start = next.keys.min() else { return [] }
        var loop: [SIMD2<Double>] = []
        var node = start
        repeat {
            loop.append(canonicalPosition(mesh.nodes[node] + solution.displacement[node]))
            guard let n = next[node] else { break }
            node = n
        } while node != start && loop.count <= next.count
        return loop
    }
}
