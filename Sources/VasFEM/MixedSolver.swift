import Foundation

// The Taylor–Hood (P2 displacement / P1 pressure) mixed formulation of
// incompressible plane-strain hyperelasticity with a follower pressure load.
//
// Weak form (reference configuration Ω₀, lumen border Γ₀, current lumen border γ):
//
//   R_u(u, p; δu) = ∫_Ω₀ P(F, p) : ∇₀δu dA  −  ∫_γ (−P_lumen n) · δu ds   = 0   ∀ δu ∈ V_h (P2)
//   R_p(u; q)     = ∫_Ω₀ (J − 1) q dA                                        = 0   ∀ q ∈ Q_h (P1)
//
// where P = ∂W/∂F is the first Piola–Kirchhoff stress of MooneyRivlinMaterial and
// n ds on γ is written on the reference edge, n ds = (x₂′, −x₁′) dξ with x = X + u,
// so the load follows the deformed boundary. Newton's method linearizes both
// lines exactly: the tangent holds ∂P/∂F, the coupling cof F, and the
// follower-load stiffness ∂/∂u of the boundary term.

/// A prescribed displacement component at a node: u_component(node) = fraction · value,
/// with `fraction` the load path's prescribed fraction.
package struct DisplacementConstraint: Sendable, Hashable {
    /// The node index.
    package var node: Int
    /// 0 for x, 1 for y.
    package var component: Int
    /// The prescribed displacement at full load, in mm.
    package var value: Double

    /// Creates a constraint.
    package init(node: Int, component: Int, value: Double = 0) {
        self.node = node
        self.component = component
        self.value = value
    }
}

/// One state of the load path.
package struct LoadState: Sendable, Hashable {
    /// The lumen (blood) pressure, in kPa.
    package var lumenPressure: Double
    /// The fraction of the prescribed displacements applied.
    package var prescribedFraction: Double

    /// Creates a load state.
    package init(lumenPressure: Double, prescribedFraction: Double = 1) {
        self.lumenPressure = lumenPressure
        self.prescribedFraction = prescribedFraction
    }

    func interpolated(to other: LoadState, _ t: Double) -> LoadState {
        LoadState(lumenPressure: lumenPressure + t * (other.lumenPressure - lumenPressure),
                  prescribedFraction: prescribedFraction + t * (other.prescribedFraction - prescribedFraction))
    }
}

/// Settings of the Newton–Raphson iteration and its load-step cut-back.
public struct NewtonOptions: Sendable, Hashable, Codable {
    /// Iterations allowed per load step before it counts as diverged.
    public var maximumIterations: Int = 30
    /// Converged when the largest nodal force residual is below this times μ₀·h (μ₀ the small-strain shear modulus, h the mean element size), and
    public var residualTolerance: Double = 1e-8
    /// the last displacement increment is below this times h (or the residual is 1000 times below its tolerance).
    public var incrementTolerance: Double = 1e-6
    /// How many times a load step may be halved before the solve fails.
    public var maximumCutBacks: Int = 8
    /// Earlier LU factors are reused while each iteration shrinks the residual at least
    /// by this factor; otherwise the tangent is assembled and factored afresh.
    /// 0 gives the full Newton method (a factorization every iteration).
    public var reuseContraction: Double = 0.1

    /// Creates options with the defaults.
    public init() {}
}

/// Why the nonlinear solve failed.
public enum SolverError: Error, Equatable, CustomStringConvertible {
    /// Newton diverged even after the maximum number of cut-backs, on the way to this lumen pressure (kPa).
    case diverged(lumenPressure: Double, cutBacks: Int)
    /// The tangent matrix was singular (LAPACK info).
    case singularTangent(info: Int32)

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .diverged(let p, let c): "Newton diverged on the way to \(p) kPa after \(c) cut-backs"
        case .singularTangent(let i): "singular tangent matrix (dgbsv info \(i))"
        }
    }
}

/// The converged solution of a mixed problem.
package struct MixedSolution: Sendable {
    /// The displacement u at every node, in mm.
    package var displacement: [SIMD2<Double>]
    /// The pressure p (the paper's κ) at every triangle vertex (indexed by `TriangleMesh.vertexIndex`), in kPa.
    package var pressure: [Double]
    /// Total Newton iterations (linear solves) over all load steps.
    package var newtonIterations: Int
    /// Tangent assemblies and LU factorizations (iterations that did not reuse earlier factors).
    package var factorizations: Int
    /// Load steps taken, cut-backs included.
    package var loadSteps: Int
    /// Cut-backs needed.
    package var cutBacks: Int
    /// The largest reaction force at a prescribed component, in mN per mm thickness.
    package var largestReaction: Double
    /// Seconds spent assembling and solving linear systems.
    package var assemblySeconds: Double, linearSolveSeconds: Double
}

/// Incompressible hyperelastic plane-strain problem in the Taylor–Hood P2/P1
/// mixed formulation, solved by Newton–Raphson with banded LU.
package struct MixedSolver: Sendable {
    /// The mesh (reference configuration).
    package let mesh: TriangleMesh
    /// The wall material.
    package let material: MooneyRivlinMaterial
    /// The edges loaded by the lumen pressure (follower load).
    package let pressureEdges: [BoundaryEdge]
    /// The prescribed displacement components.
    package let constraints: [DisplacementConstraint]

    /// Global index of the x displacement of each node (y is the next one).
    let displacementDof: [Int]
    /// Global index of the pressure at each vertex.
    let pressureDof: [Int]
    /// The number of unknowns.
    package let unknownCount: Int
    /// The half-bandwidth of the tangent after reverse Cuthill–McKee renumbering.
    package let bandwidth: Int
    /// Mean element size h = √(area / triangles), in mm.
    let elementSize: Double

    /// Sets up the unknowns (renumbered by reverse Cuthill–McKee to shrink the band).
    package init(mesh: TriangleMesh, material: MooneyRivlinMaterial, pressureEdges: [BoundaryEdge],
                constraints: [DisplacementConstraint]) {
        self.mesh = mesh
        self.material = material
        self.pressureEdges = pressureEdges
        self.constraints = constraints
        let n = mesh.nodes.count
        var adjacency = [Set<Int>](repeating: [], count: n)
        for t in 0..<mesh.triangleCount {
            for a in 0..<6 { for b in 0..<6 where a != b { adjacency[mesh.triangles[6 * t + a]].insert(mesh.triangles[6 * t + b]) } }
        }
        // Reverse Cuthill–McKee from the pseudo-peripheral node and from boundary nodes spread
        // around the wall; the numbering with the smallest half-bandwidth wins.
        let lists = adjacency.map { Array($0).sorted() }
        let boundaryNodes = (mesh.outerEdges + mesh.holeEdges).map { mesh.edgeNodes($0).0 }
        let starts: [Int?] = [nil] + stride(from: 0, to: boundaryNodes.count, by: max(1, boundaryNodes.count / 12)).map { boundaryNodes[$0] }
        var best: (uDof: [Int], pDof: [Int], count: Int, bandwidth: Int)? = nil
        for start in starts {
            let numbering = Self.numberUnknowns(mesh: mesh, order: reverseCuthillMcKee(lists, start: start))
            if best == nil || numbering.bandwidth < best!.bandwidth { best = numbering }
        }
        let (uDof, pDof, next, bw) = best!
        displacementDof = uDof
        pressureDof = pDof
        unknownCount = next
        bandwidth = bw
        elementSize = (mesh.area / Double(mesh.triangleCount)).squareRoot()
    }

    /// Numbers the unknowns node by node in `order` (u_x, u_y, then p at vertices) and
    /// measures the half-bandwidth of the resulting tangent.
    static func numberUnknowns(mesh: TriangleMesh, order: [Int]) -> (uDof: [Int], pDof: [Int], count: Int, bandwidth: Int) {
        var uDof = [Int](repeating: 0, count: mesh.nodes.count), pDof = [Int](repeating: 0, count: mesh.vertexCount)
        var next = 0
        for node in order {
            uDof[node] = next
            next += 2
            let v = mesh.vertexIndex[node]
            if v >= 0 { pDof[v] = next; next += 1 }
        }
        var bw = 0
        for t in 0..<mesh.triangleCount {
            var lo = Int.max, hi = Int.min
            for a in 0..<6 {
                let node = mesh.triangles[6 * t + a]
                lo = min(lo, uDof[node]); hi = max(hi, uDof[node] + 1)
                let v = mesh.vertexIndex[node]
                if v >= 0 { lo = min(lo, pDof[v]); hi = max(hi, pDof[v]) }
            }
            bw = max(bw, hi - lo)
        }
        return (uDof, pDof, next, bw)
    }

    /// The state vector with zero displacement and pressure.
    var zeroState: [Double] { [Double](repeating: 0, count: unknownCount) }

    /// Assembles the residual (R_u, R_p) and, when `tangent` is given, the consistent tangent
    /// at state `x` under lumen pressure `lumenPressure` (kPa), element by element with the
    /// kernels of ``WeakForm``. Returns false when some quadrature point has J ≤ 0 or a
    /// non-finite value (the state is not admissible).
    func assemble(_ x: [Double], lumenPressure: Double, residual r: inout [Double], tangent: UnsafeMutablePointer<BandMatrix>?) -> Bool {
        r.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        tangent?.pointee.zero()
        let basis = TabulatedBasis.standard
        var admissible = true
        var element = WeakForm.TriangleState()
        var dofs = [Int](repeating: 0, count: 15)
        var local = WeakForm.LocalSystem(size: 15)
        for t in 0..<mesh.triangleCount {
            // Gather: reference coordinates, displacements (P2) and pressures (P1) of the triangle.
            for a in 0..<6 {
                let node = mesh.triangles[6 * t + a]
                dofs[2 * a] = displacementDof[node]
                dofs[2 * a + 1] = displacementDof[node] + 1
                element.reference[a] = mesh.nodes[node]
                element.displacement[a] = SIMD2(x[dofs[2 * a]], x[dofs[2 * a + 1]])
                if a < 3 {
                    dofs[12 + a] = pressureDof[mesh.vertexIndex[node]]
                    element.pressure[a] = x[dofs[12 + a]]
                }
            }
            if !WeakForm.incompressibleHyperelasticity(element, material: material, basis: basis, into: &local,
                                                       withTangent: tangent != nil) {
                admissible = false
            }
            scatter(local, dofs: dofs, residual: &r, tangent: tangent)
        }
        if lumenPressure != 0 {
            var edge = WeakForm.LocalSystem(size: 6)
            var edgeDofs = [Int](repeating: 0, count: 6)
            for e in pressureEdges {
                let (n0, n1, nm) = mesh.edgeNodes(e)
                var current = [SIMD2<Double>](repeating: .zero, count: 3)
                for (c, node) in [n0, n1, nm].enumerated() {
                    edgeDofs[2 * c] = displacementDof[node]
                    edgeDofs[2 * c + 1] = displacementDof[node] + 1
                    current[c] = mesh.nodes[node] + SIMD2(x[edgeDofs[2 * c]], x[edgeDofs[2 * c + 1]])
                }
                WeakForm.followerPressure(lumenPressure, currentEdge: current, into: &edge, withTangent: tangent != nil)
                scatter(edge, dofs: edgeDofs, residual: &r, tangent: tangent)
            }
        }
        return admissible
    }

    /// Adds a local residual and tangent into the global ones.
    @inline(__always)
    func scatter(_ local: WeakForm.LocalSystem, dofs: [Int], residual r: inout [Double], tangent: UnsafeMutablePointer<BandMatrix>?) {
        let n = local.size
        for i in 0..<n { r[dofs[i]] += local.residual[i] }
        guard let tangent else { return }
        let ld = tangent.pointee.leadingDimension, kk = 2 * tangent.pointee.bandwidth
        tangent.pointee.storage.withUnsafeMutableBufferPointer { ab in
            local.tangent.withUnsafeBufferPointer { k in
                for i in 0..<n {
                    let di = dofs[i]
                    for j in 0..<n { ab[kk + di - dofs[j] + dofs[j] * ld] += k[i * n + j] }
                }
            }
        }
    }

    /// Solves the problem along a load path by Newton–Raphson, starting from the
    /// stress-free reference state. Each load step starts from the previous
    /// converged state; a step that diverges is halved, up to
    /// `options.maximumCutBacks` times.
    ///
    /// The LU factors of the tangent are reused while they still contract the
    /// residual fast (see ``NewtonOptions/reuseContraction``): the first iteration of a
    /// load step uses the previous step's factors (a tangent predictor), and the last
    /// iterations of a step, close to the solution, need no new factorization.
    ///
    /// - Throws: ``SolverError`` when a step cannot be completed.
    package func solve(path: [LoadState], options: NewtonOptions = NewtonOptions()) throws -> MixedSolution {
        var x = zeroState
        var current = LoadState(lumenPressure: 0, prescribedFraction: 0)
        var stats = NewtonStatistics()
        var reaction = 0.0
        var factors: BandMatrix? = nil
        var steps = 0, cutBacks = 0
        var previous: ([Double], LoadState)? = nil
        func distance(_ a: LoadState, _ b: LoadState) -> Double {
            abs(a.lumenPressure - b.lumenPressure) / max(abs(a.lumenPressure), abs(b.lumenPressure), 1e-300)
                + abs(a.prescribedFraction - b.prescribedFraction)
        }
        for target in path {
            var fraction = 1.0  // of the remaining way from `current` to `target`
            var halvings = 0
            while true {
                let trial = current.interpolated(to: target, fraction)
                // Predictor: extrapolate linearly from the last two converged states along the load path.
                var candidate = x
                if let (xPrevious, loadPrevious) = previous {
                    let d = distance(current, loadPrevious)
                    if d > 0 {
                        let ratio = distance(trial, current) / d
                        for i in 0..<unknownCount { candidate[i] += ratio * (x[i] - xPrevious[i]) }
                    }
                }
                stats.lastSingularInfo = nil
                var outcome = newton(&candidate, load: trial, options: options, factors: &factors, statistics: &stats)
                if !outcome.converged && previous != nil && factors != nil {
                    candidate = x  // the extrapolation may have overshot: retry from the last solution
                    outcome = newton(&candidate, load: trial, options: options, factors: &factors, statistics: &stats)
                }
                if outcome.converged {
                    previous = (x, current)
                    x = candidate
                    current = trial
                    reaction = outcome.reaction
                    steps += 1
                    if fraction == 1 { break }
                    fraction = 1  // try the rest of the way in one go
                } else {
                    factors = nil
                    halvings += 1
                    cutBacks += 1
                    if halvings > options.maximumCutBacks {
                        if let info = stats.lastSingularInfo { throw SolverError.singularTangent(info: info) }
                        throw SolverError.diverged(lumenPressure: target.lumenPressure, cutBacks: halvings - 1)
                    }
                    fraction /= 2
                }
            }
        }
        var u = [SIMD2<Double>](repeating: .zero, count: mesh.nodes.count)
        for node in 0..<mesh.nodes.count { u[node] = SIMD2(x[displacementDof[node]], x[displacementDof[node] + 1]) }
        let p = (0..<mesh.vertexCount).map { x[pressureDof[$0]] }
        return MixedSolution(displacement: u, pressure: p, newtonIterations: stats.iterations, factorizations: stats.factorizations,
                             loadSteps: steps, cutBacks: cutBacks, largestReaction: reaction,
                             assemblySeconds: stats.assemblySeconds, linearSolveSeconds: stats.solveSeconds)
    }

    struct NewtonStatistics {
        var iterations = 0, factorizations = 0
        /// LAPACK's info from the last factorization that found an exactly singular tangent.
        var lastSingularInfo: Int32? = nil
        var assemblySeconds = 0.0, solveSeconds = 0.0
    }

    /// Newton iterations for one load state; returns whether they converged.
    ///
    /// `factors` holds the last LU factorization of the tangent (nil: none yet);
    /// it is refreshed whenever the residual did not fall by `reuseContraction`
    /// in the previous iteration.
    func newton(_ x: inout [Double], load: LoadState, options: NewtonOptions, factors: inout BandMatrix?,
                statistics: inout NewtonStatistics) -> (converged: Bool, reaction: Double) {
        let clock = { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }
        let forceScale = material.shearModulus * elementSize
        let volumeScale = elementSize * elementSize
        var isPressureDof = [Bool](repeating: false, count: unknownCount)
        for d in pressureDof { isPressureDof[d] = true }
        var constrained = [Bool](repeating: false, count: unknownCount)
        for c in constraints { constrained[displacementDof[c.node] + c.component] = true }
        var r = [Double](repeating: 0, count: unknownCount)
        var lastIncrement = Double.infinity
        var previousResidual = Double.infinity
        var refresh = factors == nil || options.reuseContraction <= 0
        var reusedLast = false
        var xBefore = x
        for iteration in 0...options.maximumIterations {
            let t0 = clock()
            var matrix: BandMatrix? = refresh ? BandMatrix(order: unknownCount, bandwidth: bandwidth) : nil
            let admissible: Bool
            if matrix != nil {
                admissible = withUnsafeMutablePointer(to: &matrix!) { assemble(x, lumenPressure: load.lumenPressure, residual: &r, tangent: $0) }
            } else {
                admissible = assemble(x, lumenPressure: load.lumenPressure, residual: &r, tangent: nil)
            }
            statistics.assemblySeconds += clock() - t0
            if !admissible && reusedLast {
                // The step taken with reused factors went too far: undo it and re-linearize.
                x = xBefore
                refresh = true
                previousResidual = .infinity
                lastIncrement = .infinity
                reusedLast = false
                continue
            }
            guard admissible else { return (false, 0) }
            var forceResidual = 0.0, volumeResidual = 0.0, reaction = 0.0
            for i in 0..<unknownCount {
                if constrained[i] { reaction = max(reaction, abs(r[i])) } else if isPressureDof[i] {
                    volumeResidual = max(volumeResidual, abs(r[i]))
                } else { forceResidual = max(forceResidual, abs(r[i])) }
            }
            var prescribedMismatch = 0.0
            for c in constraints {
                let i = displacementDof[c.node] + c.component
                r[i] = x[i] - load.prescribedFraction * c.value
                prescribedMismatch = max(prescribedMismatch, abs(r[i]))
                matrix?.setIdentityRow(i)
            }
            let residual = max(forceResidual / forceScale, volumeResidual / volumeScale)
            guard residual.isFinite else { return (false, 0) }
            if prescribedMismatch <= 1e-12 * elementSize
                && ((residual <= options.residualTolerance && lastIncrement <= options.incrementTolerance * elementSize)
                    || residual <= 1e-3 * options.residualTolerance) {
                return (true, reaction)
            }
            if iteration == options.maximumIterations { return (false, 0) }
            if residual > previousResidual * options.reuseContraction && !refresh {
                // The reused factors no longer contract the residual well: re-linearize here
                // (from the previous state if the residual even grew).
                if residual > previousResidual && reusedLast { x = xBefore }
                refresh = true
                reusedLast = false
                previousResidual = .infinity
                lastIncrement = .infinity
                continue
            }
            if iteration > 3 && residual > 1e3 * previousResidual { return (false, 0) }
            for i in 0..<unknownCount { r[i] = -r[i] }
            let t1 = clock()
            if let fresh = matrix {
                factors = fresh
                statistics.factorizations += 1
                let info = factors!.factor()
                if info != 0 { factors = nil; statistics.lastSingularInfo = info; return (false, 0) }
            }
            if factors!.solveFactored(&r) != 0 { return (false, 0) }
            statistics.solveSeconds += clock() - t1
            statistics.iterations += 1
            reusedLast = matrix == nil
            xBefore = x
            var largest = 0.0
            for i in 0..<unknownCount {
                x[i] += r[i]
                if !isPressureDof[i] { largest = max(largest, abs(r[i])) }
            }
            lastIncrement = largest
            if !largest.isFinite { return (false, 0) }
            previousResidual = residual
            refresh = options.reuseContraction <= 0
        }
        return (false, 0)
    }
}
