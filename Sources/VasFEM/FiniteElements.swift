// Reference elements: quadrature rules and basis functions.
//
// The reference triangle is {(ξ, η): ξ ≥ 0, η ≥ 0, ξ + η ≤ 1} with barycentric
// coordinates L₀ = 1 − ξ − η, L₁ = ξ, L₂ = η. Node order follows gmsh's 6-node
// triangle (type 9): vertices 0, 1, 2, then the mid-edge nodes of edges 0–1, 1–2, 2–0.
// The reference edge is ξ ∈ [0, 1], nodes (start, end, middle) as gmsh's 3-node line.

/// A quadrature rule on the reference triangle: points (ξ, η) and weights that
/// sum to the reference area ½.
package struct TriangleQuadrature: Sendable {
    /// The quadrature points (ξ, η).
    package let points: [SIMD2<Double>]
    /// The weights, summing to ½.
    package let weights: [Double]

    /// The 6-point rule exact for polynomials of degree 4 (Dunavant, 1985).
    package static let degree4: TriangleQuadrature = {
        let a1 = 0.445948490915965, w1 = 0.223381589678011
        let a2 = 0.091576213509771, w2 = 0.109951743655322
        var points: [SIMD2<Double>] = []
        var weights: [Double] = []
        for (a, w) in [(a1, w1), (a2, w2)] {
            let b = 1 - 2 * a
            points += [SIMD2(a, a), SIMD2(b, a), SIMD2(a, b)]
            weights += [w / 2, w / 2, w / 2]
        }
        return TriangleQuadrature(points: points, weights: weights)
    }()

    /// The 3-point rule exact for polynomials of degree 2 (edge midpoints).
    package static let degree2 = TriangleQuadrature(
        points: [SIMD2(0.5, 0), SIMD2(0.5, 0.5), SIMD2(0, 0.5)], weights: [1.0 / 6, 1.0 / 6, 1.0 / 6])
}

/// A Gauss–Legendre rule on the reference edge ξ ∈ [0, 1].
package struct LineQuadrature: Sendable {
    /// The quadrature points ξ.
    package let points: [Double]
    /// The weights, summing to 1.
    package let weights: [Double]

    /// The 3-point Gauss–Legendre rule, exact for polynomials of degree 5.
    package static let gauss3: LineQuadrature = {
        let s = (0.6).squareRoot() / 2
        return LineQuadrature(points: [0.5 - s, 0.5, 0.5 + s], weights: [5.0 / 18, 8.0 / 18, 5.0 / 18])
    }()
}

/// The quadratic (P2) Lagrange basis on the reference triangle: the displacement space.
package enum QuadraticTriangle {
    /// The values N₀…N₅ at (ξ, η).
    @inlinable
    package static func values(_ x: SIMD2<Double>) -> (Double, Double, Double, Double, Double, Double) {
        let l0 = 1 - x.x - x.y, l1 = x.x, l2 = x.y
        return (l0 * (2 * l0 - 1), l1 * (2 * l1 - 1), l2 * (2 * l2 - 1), 4 * l0 * l1, 4 * l1 * l2, 4 * l2 * l0)
    }

    /// The gradients ∂Nₐ/∂(ξ, η) at (ξ, η), as six 2-vectors.
    @inlinable
    package static func gradients(_ x: SIMD2<Double>) -> [SIMD2<Double>] {
        let l0 = 1 - x.x - x.y, l1 = x.x, l2 = x.y
        let d0 = SIMD2<Double>(-1, -1), d1 = SIMD2<Double>(1, 0), d2 = SIMD2<Double>(0, 1)
        return [
            (4 * l0 - 1) * d0, (4 * l1 - 1) * d1, (4 * l2 - 1) * d2,
            4 * (l1 * d0 + l0 * d1), 4 * (l2 * d1 + l1 * d2), 4 * (l0 * d2 + l2 * d0),
        ]
    }
}

/// The linear (P1) Lagrange basis on the reference triangle: the pressure space.
package enum LinearTriangle {
    /// The values L₀, L₁, L₂ (barycentric coordinates) at (ξ, η).
    @inlinable
    package static func values(_ x: SIMD2<Double>) -> SIMD3<Double> { SIMD3(1 - x.x - x.y, x.x, x.y) }
}

/// The quadratic Lagrange basis on the reference edge, nodes (start, end, middle).
package enum QuadraticEdge {
    /// The values at ξ.
    @inlinable
    package static func values(_ s: Double) -> SIMD3<Double> {
        SIMD3((1 - s) * (1 - 2 * s), s * (2 * s - 1), 4 * s * (1 - s))
    }
    /// The derivatives d/dξ at ξ.
    @inlinable
    package static func derivatives(_ s: Double) -> SIMD3<Double> {
        SIMD3(4 * s - 3, 4 * s - 1, 4 - 8 * s)
    }
}

/// Basis functions tabulated at the quadrature points of a rule, so that the
/// element loops do no basis evaluation.
struct TabulatedBasis: Sendable {
    let quadrature: TriangleQuadrature
    /// P2 values, [point][node].
    let p2: [[Double]]
    /// P2 reference gradients, [point][node].
    let p2Gradients: [[SIMD2<Double>]]
    /// P1 values, [point][vertex].
    let p1: [SIMD3<Double>]

    init(_ quadrature: TriangleQuadrature) {
        self.quadrature = quadrature
        p2 = quadrature.points.map { x in
            let v = QuadraticTriangle.values(x)
            return [v.0, v.1, v.2, v.3, v.4, v.5]
        }
        p2Gradients = quadrature.points.map(QuadraticTriangle.gradients)
        p1 = quadrature.points.map(LinearTriangle.values)
    }

    static let standard = TabulatedBasis(.degree4)
}
