// Element kernels of the mixed weak form, named after its terms.
//
//   R_u(δu) = ∫_Ω₀ P(F, p) : ∇₀δu dA   −   ∫_γ (−P_lumen n)·δu ds       ("incompressible hyperelasticity", "follower pressure")
//   R_p(q)  = ∫_Ω₀ (J − 1) q dA                                        ("incompressible hyperelasticity")
//
// Each kernel fills a local residual and, on request, its exact derivative (the local
// tangent) for one triangle (15 unknowns: u_x, u_y at 6 nodes, then p at 3 vertices) or
// one lumen edge (6 unknowns: u_x, u_y at the edge's start, end and middle nodes).

/// The kernels of the mixed weak form of incompressible plane-strain hyperelasticity.
enum WeakForm {
    /// The state of one 6-node triangle: reference positions X (mm), displacements u (mm)
    /// at its nodes, pressures p (kPa) at its vertices.
    struct TriangleState {
        var reference = [SIMD2<Double>](repeating: .zero, count: 6)
        var displacement = [SIMD2<Double>](repeating: .zero, count: 6)
        var pressure = SIMD3<Double>.zero
    }

    /// A local residual vector and tangent matrix (row-major).
    struct LocalSystem {
        let size: Int
        var residual: [Double]
        var tangent: [Double]
        init(size: Int) {
            self.size = size
            residual = [Double](repeating: 0, count: size)
            tangent = [Double](repeating: 0, count: size * size)
        }
        mutating func clear(withTangent: Bool) {
            for i in 0..<size { residual[i] = 0 }
            if withTangent { tangent.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
        }
    }

    /// ∫ P(F, p) : ∇₀δu dA and ∫ (J − 1) q dA on one triangle, with their derivatives
    /// with respect to (u, p):
    ///
    ///     K_uu = ∫ ∇₀δu : 𝔸 : ∇₀Δu dA,   K_up = ∫ Δp cof F : ∇₀δu dA,   K_pu = K_upᵀ,   K_pp = 0.
    ///
    /// Local unknowns: (u_x, u_y) of nodes 0…5, then p of vertices 0…2. Returns false when
    /// J ≤ 0 or a stress is not finite at some quadrature point.
    static func incompressibleHyperelasticity(_ element: TriangleState, material: MooneyRivlinMaterial, basis: TabulatedBasis,
                                              into local: inout LocalSystem, withTangent: Bool) -> Bool {
        local.clear(withTangent: withTangent)
        var admissible = true
        var dN = [SIMD2<Double>](repeating: .zero, count: 6)
        let X = element.reference, u = element.displacement
        for q in 0..<basis.quadrature.weights.count {
            let dNdXi = basis.p2Gradients[q]
            // Reference geometry: J₀ = ∂X/∂ξ, and ∇₀Nₐ = J₀⁻ᵀ ∂Nₐ/∂ξ.
            var j0 = SIMD4<Double>.zero
            for a in 0..<6 { j0 += SIMD4(X[a].x * dNdXi[a].x, X[a].x * dNdXi[a].y, X[a].y * dNdXi[a].x, X[a].y * dNdXi[a].y) }
            let det = j0[0] * j0[3] - j0[1] * j0[2]
            let w = basis.quadrature.weights[q] * det
            // F = I + Σ uₐ ⊗ ∇₀Nₐ,  p = Σ p_k L_k.
            var f = SIMD4<Double>(1, 0, 0, 1)
            for a in 0..<6 {
                let g = dNdXi[a]
                dN[a] = SIMD2((j0[3] * g.x - j0[2] * g.y) / det, (-j0[1] * g.x + j0[0] * g.y) / det)
                f += SIMD4(u[a].x * dN[a].x, u[a].x * dN[a].y, u[a].y * dN[a].x, u[a].y * dN[a].y)
            }
            let l = basis.p1[q]
            let point = material.response(deformationGradient: f, pressure: (element.pressure * l).sum(), withTangent: withTangent)
            if !(point.jacobian > 0) || !point.firstPiola.sum().isFinite { admissible = false }
            let P = point.firstPiola
            for a in 0..<6 {
                local.residual[2 * a] += w * (P[0] * dN[a].x + P[1] * dN[a].y)
                local.residual[2 * a + 1] += w * (P[2] * dN[a].x + P[3] * dN[a].y)
            }
            for k in 0..<3 { local.residual[12 + k] += w * (point.jacobian - 1) * l[k] }
            guard withTangent else { continue }
            let A = point.tangent, cof = point.cofactor
            local.tangent.withUnsafeMutableBufferPointer { K in
                for b in 0..<6 {
                    let db = dN[b]
                    // 𝔸_{iJ,kL} ∂N_b/∂X_L for k = x (colX) and k = y (colY), indexed by iJ.
                    let colX = SIMD4(A.0[0] * db.x + A.0[1] * db.y, A.1[0] * db.x + A.1[1] * db.y,
                                     A.2[0] * db.x + A.2[1] * db.y, A.3[0] * db.x + A.3[1] * db.y)
                    let colY = SIMD4(A.0[2] * db.x + A.0[3] * db.y, A.1[2] * db.x + A.1[3] * db.y,
                                     A.2[2] * db.x + A.2[3] * db.y, A.3[2] * db.x + A.3[3] * db.y)
                    for a in 0..<6 {
                        let da = dN[a]
                        K[(2 * a) * 15 + 2 * b] += w * (da.x * colX[0] + da.y * colX[1])
                        K[(2 * a + 1) * 15 + 2 * b] += w * (da.x * colX[2] + da.y * colX[3])
                        K[(2 * a) * 15 + 2 * b + 1] += w * (da.x * colY[0] + da.y * colY[1])
                        K[(2 * a + 1) * 15 + 2 * b + 1] += w * (da.x * colY[2] + da.y * colY[3])
                    }
                }
                for a in 0..<6 {
                    let cx = w * (cof[0] * dN[a].x + cof[1] * dN[a].y)
                    let cy = w * (cof[2] * dN[a].x + cof[3] * dN[a].y)
                    for k in 0..<3 {
                        K[(2 * a) * 15 + 12 + k] += cx * l[k]
                        K[(2 * a + 1) * 15 + 12 + k] += cy * l[k]
                        K[(12 + k) * 15 + 2 * a] += cx * l[k]
                        K[(12 + k) * 15 + 2 * a + 1] += cy * l[k]
                    }
                }
            }
        }
        return admissible
    }

    /// −∫ (−P n)·δu ds on one lumen edge in its current position x = X + u, with
    /// n ds = (x₂′, −x₁′) dξ (the wall on the left of the edge), and its derivative:
    ///
    ///     R_{c,x} = P ∫ N_c x₂′ dξ,   R_{c,y} = −P ∫ N_c x₁′ dξ,
    ///     ∂R_{c,x}/∂u_{d,y} = P ∫ N_c N_d′ dξ,   ∂R_{c,y}/∂u_{d,x} = −P ∫ N_c N_d′ dξ.
    ///
    /// Local unknowns: (u_x, u_y) of the start, end and middle nodes.
    static func followerPressure(_ pressure: Double, currentEdge x: [SIMD2<Double>], into local: inout LocalSystem, withTangent: Bool) {
        local.clear(withTangent: withTangent)
        let line = LineQuadrature.gauss3
        for (s, w) in zip(line.points, line.weights) {
            let n = QuadraticEdge.values(s), dn = QuadraticEdge.derivatives(s)
            let tangentVector = dn[0] * x[0] + dn[1] * x[1] + dn[2] * x[2]  // x′(ξ)
            for c in 0..<3 {
                local.residual[2 * c] += pressure * w * n[c] * tangentVector.y
                local.residual[2 * c + 1] -= pressure * w * n[c] * tangentVector.x
                guard withTangent else { continue }
                for d in 0..<3 {
                    local.tangent[(2 * c) * 6 + 2 * d + 1] += pressure * w * n[c] * dn[d]
                    local.tangent[(2 * c + 1) * 6 + 2 * d] -= pressure * w * n[c] * dn[d]
                }
            }
        }
    }
}
