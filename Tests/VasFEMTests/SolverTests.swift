import Foundation
import Testing
@testable import VasFEM

/// Systolic 120 mmHg in kPa.
let systolic = 120 * kilopascalsPerMillimeterOfMercury

@Suite("Exact thick-walled tube")
struct ExactTubeTests {
    @Test("reproduces the reference hoop stresses for A = 1.5 mm, B = 2.5 mm at 120 mmHg")
    func referenceValues() {
        let tube = ThickWalledTube(innerRadius: 1.5, outerRadius: 2.5, pressure: systolic)
        let inner = tube.stresses(atReferenceRadius: 1.5), outer = tube.stresses(atReferenceRadius: 2.5)
        #expect(abs(inner.hoop - 50.6) < 0.1)
        #expect(abs(outer.hoop - 17.4) < 0.1)
        #expect(abs(inner.radial + systolic) < 1e-9)
        #expect(abs(outer.radial) < 1e-9)
    }

    @Test("σz follows from the plane-strain energy: σz − σr = 2Ŵ′(1 − λr²), checked against W's stretch derivatives by differences")
    func axialStress() {
        let tube = ThickWalledTube(innerRadius: 1.5, outerRadius: 2.5, pressure: systolic)
        let R = 2.0
        let lt = tube.deformedRadius(R) / R
        // W(λr, λθ, λz) with I₁ = λr² + λθ² + λz², at J = 1: σz − σr = λz ∂W/∂λz − λr ∂W/∂λr.
        let w = { (lr: Double, lz: Double) in
            let i1 = lr * lr + lt * lt + lz * lz
            return tube.material.c1 * (i1 - 3) + tube.material.d1 * (exp(tube.material.d2 * (i1 - 3)) - 1)
        }
        let h = 1e-6, lr = 1 / lt
        let dWdlz = (w(lr, 1 + h) - w(lr, 1 - h)) / (2 * h), dWdlr = (w(lr + h, 1) - w(lr - h, 1)) / (2 * h)
        let expected = tube.stresses(atReferenceRadius: R).radial + dWdlz - lr * dWdlr
        #expect(abs(tube.axialStress(atReferenceRadius: R) - expected) < 1e-5 * abs(expected))
    }

    @Test("balances the pressure: P = ∫ (σθ − σr)/r dr by an independent trapezoid sum in the deformed radius")
    func equilibrium() {
        let tube = ThickWalledTube(innerRadius: 1.5, outerRadius: 2.5, pressure: systolic)
        let a = tube.deformedInnerRadius, b = tube.deformedRadius(2.5)
        let n = 20000
        var sum = 0.0
        for k in 0...n {
            let r = a + (b - a) * Double(k) / Double(n)
            let R = (r * r - a * a + 1.5 * 1.5).squareRoot()
            let w = (k == 0 || k == n) ? 0.5 : 1.0
            sum += w * tube.material.hoopMinusRadialStress(hoopStretch: r / R) / r
        }
        sum *= (b - a) / Double(n)
        #expect(abs(sum - systolic) < 1e-4 * systolic)
    }
}

/// A small structured P2 mesh of the square [0, L]² with perturbed interior vertices.
func distortedSquareMesh(side: Double, divisions n: Int, distortion: Double) throws -> TriangleMesh {
    var vertices: [SIMD2<Double>] = []
    for j in 0...n {
        for i in 0...n {
            var x = SIMD2(Double(i), Double(j)) * side / Double(n)
            if i > 0 && i < n && j > 0 && j < n {
                x += distortion * side / Double(n) * SIMD2(sin(Double(7 * i + 3 * j)), cos(Double(5 * i + 11 * j)))
            }
            vertices.append(x)
        }
    }
    var nodes = vertices
    var mid: [Int: Int] = [:]
    func midpoint(_ a: Int, _ b: Int) -> Int {
        let key = min(a, b) * 100_000 + max(a, b)
        if let m = mid[key] { return m }
        nodes.append((vertices[a] + vertices[b]) / 2)
        mid[key] = nodes.count - 1
        return nodes.count - 1
    }
    var triangles: [Int] = []
    for j in 0..<n {
        for i in 0..<n {
            let v00 = j * (n + 1) + i, v10 = v00 + 1, v01 = v00 + n + 1, v11 = v01 + 1
            for (a, b, c) in [(v00, v10, v11), (v00, v11, v01)] {
                triangles += [a, b, c, midpoint(a, b), midpoint(b, c), midpoint(c, a)]
            }
        }
    }
    return try TriangleMesh(nodes: nodes, triangles: triangles)
}

@Suite("Mixed P2/P1 solver")
struct MixedSolverTests {
    @Test("the assembled tangent matches central differences of the residual, follower load included")
    func tangentMatchesFiniteDifferences() throws {
        let mesh = try GmshMesher.annulus(innerRadius: 1.5, outerRadius: 2.5, meshSize: 0.9)
        let material = MooneyRivlinMaterial()
        let solver = MixedSolver(mesh: mesh, material: material, pressureEdges: mesh.holeEdges, constraints: [])
        // A non-trivial admissible state: a smooth displacement and pressure field.
        var x = solver.zeroState
        for node in 0..<mesh.nodes.count {
            let X = mesh.nodes[node]
            x[solver.displacementDof[node]] = 0.03 * X.x + 0.01 * sin(X.y)
            x[solver.displacementDof[node] + 1] = 0.02 * X.y + 0.015 * cos(X.x)
        }
        for v in 0..<mesh.vertexCount { x[solver.pressureDof[v]] = 5 + Double(v % 7) }
        let pressure = systolic
        var r = solver.zeroState
        var band = BandMatrix(order: solver.unknownCount, bandwidth: solver.bandwidth)
        #expect(withUnsafeMutablePointer(to: &band) { solver.assemble(x, lumenPressure: pressure, residual: &r, tangent: $0) })
        var worst = 0.0, scale = 0.0
        let h = 1e-6
        for j in stride(from: 0, to: solver.unknownCount, by: max(1, solver.unknownCount / 40)) {
            var plus = x, minus = x
            plus[j] += h; minus[j] -= h
            var rp = solver.zeroState, rm = solver.zeroState
            _ = solver.assemble(plus, lumenPressure: pressure, residual: &rp, tangent: nil)
            _ = solver.assemble(minus, lumenPressure: pressure, residual: &rm, tangent: nil)
            for i in 0..<solver.unknownCount {
                let fd = (rp[i] - rm[i]) / (2 * h)
                worst = max(worst, abs(fd - band.entry(i, j)))
                scale = max(scale, abs(band.entry(i, j)))
            }
        }
        #expect(scale > 0)
        #expect(worst < 1e-6 * scale, "max |K − K_fd| = \(worst), max |K| = \(scale)")
    }

    @Test("reusing LU factors converges to the full Newton solution")
    func reuseMatchesFullNewton() throws {
        let mesh = try GmshMesher.annulus(innerRadius: 1.5, outerRadius: 2.5, meshSize: 0.5)
        let path = [LoadState(lumenPressure: systolic / 2), LoadState(lumenPressure: systolic)]
        var full = NewtonOptions()
        full.reuseContraction = 0
        let a = try WallAnalysis.solve(mesh: mesh, material: MooneyRivlinMaterial(), path: path, options: full)
        let b = try WallAnalysis.solve(mesh: mesh, material: MooneyRivlinMaterial(), path: path)
        #expect(a.solution.factorizations == a.solution.newtonIterations)
        #expect(b.solution.factorizations < a.solution.factorizations)
        let worst = zip(a.solution.displacement, b.solution.displacement).map { abs($0.x - $1.x) + abs($0.y - $1.y) }.max()!
        #expect(worst < 1e-7)  // mm; displacements are about 0.3 mm, Newton tolerances about 1e-7 mm
    }

    @Test("a load the wall cannot carry ends in a typed divergence error after the allowed cut-backs")
    func divergenceIsTyped() throws {
        let mesh = try GmshMesher.annulus(innerRadius: 1.5, outerRadius: 2.5, meshSize: 0.6)
        var options = NewtonOptions()
        options.maximumCutBacks = 2
        options.maximumIterations = 8
        #expect(throws: SolverError.diverged(lumenPressure: 1e7, cutBacks: 2)) {
            _ = try WallAnalysis.solve(mesh: mesh, material: MooneyRivlinMaterial(), path: [LoadState(lumenPressure: 1e7)],
                                       options: options)
        }
    }

    @Test("patch test: a distorted square under uniaxial stretch reproduces the homogeneous solution")
    func homogeneousPatch() throws {
        let side = 1.0, stretch = 1.2
        let mesh = try distortedSquareMesh(side: side, divisions: 3, distortion: 0.2)
        let material = MooneyRivlinMaterial()
        // Rollers on x = 0 (u_x = 0) and y = 0 (u_y = 0); u_x = (λ − 1)L on x = L; y = L free.
        var constraints: [DisplacementConstraint] = []
        for (node, x) in mesh.nodes.enumerated() {
            if abs(x.x) < 1e-12 { constraints.append(DisplacementConstraint(node: node, component: 0)) }
            if abs(x.y) < 1e-12 { constraints.append(DisplacementConstraint(node: node, component: 1)) }
            if abs(x.x - side) < 1e-12 { constraints.append(DisplacementConstraint(node: node, component: 0, value: (stretch - 1) * side)) }
        }
        let solver = MixedSolver(mesh: mesh, material: material, pressureEdges: [], constraints: constraints)
        let path = (1...4).map { LoadState(lumenPressure: 0, prescribedFraction: Double($0) / 4) }
        let solution = try solver.solve(path: path)
        let analysis = WallAnalysis(mesh: mesh, material: material, solution: solution, unknownCount: solver.unknownCount,
                                    bandwidth: solver.bandwidth)
        // Homogeneous solution: F = diag(λ, 1/λ), σ₂₂ = 0, σ₁₁ = 2Ŵ′(λ² − λ⁻²).
        let i1 = stretch * stretch + 1 / (stretch * stretch) + 1
        let sigma11 = 2 * material.energyDerivatives(isochoricInvariant: i1).first * (stretch * stretch - 1 / (stretch * stretch))
        for t in 0..<mesh.triangleCount {
            for s in [SIMD2(1.0 / 3, 1.0 / 3), SIMD2(0.1, 0.2), SIMD2(0.7, 0.1)] {
                let sample = analysis.stress(inTriangle: t, local: s)
                #expect(abs(sample.cauchy[0] - sigma11) < 1e-6 * sigma11)
                #expect(abs(sample.cauchy[3]) < 1e-6 * sigma11)
                #expect(abs(sample.cauchy[1]) < 1e-6 * sigma11)
            }
        }
        for (node, x) in mesh.nodes.enumerated() {
            let expected = SIMD2((stretch - 1) * x.x, (1 / stretch - 1) * x.y)
            #expect(abs(solution.displacement[node].x - expected.x) < 1e-9 && abs(solution.displacement[node].y - expected.y) < 1e-9)
        }
    }

    @Test("uniform follower pressure on a whole square leaves it undeformed with σ = −P I")
    func hydrostaticPatch() throws {
        let mesh = try distortedSquareMesh(side: 2, divisions: 2, distortion: 0.15)
        let material = MooneyRivlinMaterial()
        let solver = MixedSolver(mesh: mesh, material: material, pressureEdges: mesh.outerEdges,
                                 constraints: WallAnalysis.rigidBodySupports(mesh))
        let solution = try solver.solve(path: [LoadState(lumenPressure: systolic)])
        let analysis = WallAnalysis(mesh: mesh, material: material, solution: solution, unknownCount: solver.unknownCount,
                                    bandwidth: solver.bandwidth)
        for t in 0..<mesh.triangleCount {
            let s = analysis.stress(inTriangle: t, local: SIMD2(0.2, 0.3))
            #expect(abs(s.cauchy[0] + systolic) < 1e-8 && abs(s.cauchy[3] + systolic) < 1e-8 && abs(s.cauchy[1]) < 1e-8)
        }
        #expect(solution.displacement.allSatisfy { abs($0.x) + abs($0.y) < 1e-10 })
    }
}

@Suite("Finite elements against the exact tube")
struct TubeConvergenceTests {
    @Test("hoop and radial stress errors fall under mesh refinement and are a few percent on the finest test mesh")
    func convergesUnderRefinement() throws {
        let sizes = [0.5, 0.25, 0.125]
        let errors = try sizes.map { try TubeVerification.run(meshSize: $0) }
        for (a, b) in zip(errors, errors.dropFirst()) {
            #expect(b.hoopError < a.hoopError)
            #expect(b.radialError < a.radialError)
        }
        #expect(errors.last!.hoopError < 0.01)
        #expect(errors.last!.vonMisesError < 0.01)
        #expect(errors.last!.radialError < 0.01)
        #expect(errors.last!.analysis.solution.largestReaction < 1e-6)
    }
}

@Suite("Mesh checks and point location")
struct MeshTests {
    @Test("an inverted or degenerate quadratic triangle is a typed error")
    func invertedElement() throws {
        let corners: [SIMD2<Double>] = [SIMD2(0, 0), SIMD2(1, 0), SIMD2(0, 1)]
        // Mid-edge node of edge 1–2 pulled past vertex 0: the isoparametric map folds.
        let folded = corners + [SIMD2(0.5, 0), SIMD2(-0.3, -0.3), SIMD2(0, 0.5)]
        #expect(throws: MeshError.invertedElement(triangle: 0)) { try TriangleMesh(nodes: folded, triangles: Array(0..<6)) }
        let collinear: [SIMD2<Double>] = [SIMD2(0, 0), SIMD2(1, 0), SIMD2(2, 0), SIMD2(0.5, 0), SIMD2(1.5, 0), SIMD2(1, 0)]
        #expect(throws: MeshError.invertedElement(triangle: 0)) { try TriangleMesh(nodes: collinear, triangles: Array(0..<6)) }
        #expect(throws: MeshError.invalidConnectivity(triangle: 0)) { try TriangleMesh(nodes: corners, triangles: Array(0..<6)) }
        // A clockwise triangle is reoriented, not rejected.
        let clockwise = try TriangleMesh(nodes: [SIMD2(0, 0), SIMD2(0, 1), SIMD2(1, 0), SIMD2(0, 0.5), SIMD2(0.5, 0.5), SIMD2(0.5, 0)],
                                         triangles: Array(0..<6))
        #expect(abs(clockwise.area - 0.5) < 1e-12 && clockwise.outerEdges.count == 3 && clockwise.holeCount == 0)
    }

    @Test("points mapped from local coordinates are located back in their triangle, curved edges included")
    func locateRoundTrip() throws {
        let mesh = try GmshMesher.annulus(innerRadius: 1, outerRadius: 2, meshSize: 0.4)
        let locator = MeshLocator(mesh)
        for t in stride(from: 0, to: mesh.triangleCount, by: 3) {
            for s in [SIMD2(1.0 / 3, 1.0 / 3), SIMD2(0.05, 0.9), SIMD2(0.6, 0.02)] {
                let v = QuadraticTriangle.values(s)
                let weights = [v.0, v.1, v.2, v.3, v.4, v.5]
                var x = SIMD2<Double>.zero
                for a in 0..<6 { x += weights[a] * mesh.nodes[mesh.triangles[6 * t + a]] }
                let found = locator.locate(x)
                if found.triangle == t {
                    #expect(abs(found.local.x - s.x) + abs(found.local.y - s.y) < 1e-10)
                } else {  // on a shared edge or vertex it may land in the neighbour: same point either way
                    let w = QuadraticTriangle.values(found.local)
                    let ww = [w.0, w.1, w.2, w.3, w.4, w.5]
                    var y = SIMD2<Double>.zero
                    for a in 0..<6 { y += ww[a] * mesh.nodes[mesh.triangles[6 * found.triangle + a]] }
                    #expect(length(y - x) < 1e-10)
                }
            }
        }
    }
}
