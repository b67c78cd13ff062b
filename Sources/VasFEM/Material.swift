import Foundation

// Constitutive law of the vessel wall: the incompressible modified Mooney–Rivlin
// material of the seed paper (appendix A.2, after Teng et al., 2014), in plane strain.
//
// Units throughout VasFEM: lengths in mm, stresses and pressures in kPa, hence
// forces in mN (kPa · mm² = 10³ N/m² · 10⁻⁶ m² = 10⁻³ N). In plane strain every
// force is per unit thickness (mN/mm = N/m).
//
// Notation. F is the 2-D deformation gradient, stored row-major as the vector
// (F₁₁, F₁₂, F₂₁, F₂₂); plane strain adds F₃₃ = 1. J = det F, C = FᵀF,
// I₁ = tr C + 1 (the 3-D first invariant), Ī₁ = J^(−2/3) I₁ (isochoric invariant).
// The stored energy per reference volume is
//
//     W = Ŵ(Ī₁) + p (J − 1),   Ŵ(Ī₁) = c₁(Ī₁ − 3) + D₁[exp(D₂(Ī₁ − 3)) − 1],
//
// where p (the paper's κ) is the Lagrange multiplier that enforces J = 1; at the
// solution it is the hydrostatic part of the Cauchy stress (positive in tension).

/// The incompressible modified Mooney–Rivlin material of the seed paper,
/// W = c₁(Ī₁ − 3) + D₁[exp(D₂(Ī₁ − 3)) − 1] + κ(J − 1).
///
/// Stresses are in kPa. The defaults are the coronary-plaque values of
/// Teng et al. (2014) used by the paper.
public struct MooneyRivlinMaterial: Sendable, Hashable, Codable {
    /// c₁, the linear coefficient, in kPa.
    public var c1: Double
    /// D₁, the exponential coefficient, in kPa.
    public var d1: Double
    /// D₂, the dimensionless exponential stiffening rate.
    public var d2: Double

    /// Creates a material; the defaults are c₁ = 0.138 kPa, D₁ = 3.833 kPa, D₂ = 18.803.
    public init(c1: Double = 0.138, d1: Double = 3.833, d2: Double = 18.803) {
        self.c1 = c1
        self.d1 = d1
        self.d2 = d2
    }

    /// The small-strain shear modulus μ = 2 Ŵ′(3) = 2(c₁ + D₁D₂), in kPa.
    public var shearModulus: Double { 2 * (c1 + d1 * d2) }

    /// The first and second derivatives Ŵ′(Ī₁) and Ŵ″(Ī₁), in kPa.
    @inlinable
    package func energyDerivatives(isochoricInvariant i1Bar: Double) -> (first: Double, second: Double) {
        let e = d1 * d2 * exp(d2 * (i1Bar - 3))
        return (c1 + e, d2 * e)
    }

    /// The stress difference σθ − σr = λθ ∂W/∂λθ − λr ∂W/∂λr of an incompressible
    /// plane-strain state with stretches λθ and λr = 1/λθ, in kPa.
    package func hoopMinusRadialStress(hoopStretch lambda: Double) -> Double {
        let i1 = lambda * lambda + 1 / (lambda * lambda) + 1
        return 2 * energyDerivatives(isochoricInvariant: i1).first * (lambda * lambda - 1 / (lambda * lambda))
    }
}

/// The stress response of the material at one point: everything the element
/// kernels need from the constitutive law.
///
/// Tensors are 2×2, stored row-major as 4-vectors (11, 12, 21, 22).
package struct ConstitutivePoint: Sendable {
    /// The deformation gradient F.
    package var deformationGradient: SIMD4<Double>
    /// J = det F.
    package var jacobian: Double
    /// cof F = J F⁻ᵀ = ∂J/∂F.
    package var cofactor: SIMD4<Double>
    /// The first Piola–Kirchhoff stress P = ∂W/∂F (in-plane part), in kPa.
    package var firstPiola: SIMD4<Double>
    /// The material tangent 𝔸 = ∂P/∂F, a 4×4 matrix stored as four rows, in kPa.
    package var tangent: (SIMD4<Double>, SIMD4<Double>, SIMD4<Double>, SIMD4<Double>)
    /// The isochoric part of the out-of-plane first Piola stress, P₃₃ − p·J, in kPa.
    package var isochoricOutOfPlanePiola: Double
    /// The pressure p (the paper's κ) at this point, in kPa.
    package var pressure: Double
}

extension MooneyRivlinMaterial {
    /// Evaluates P = ∂W/∂F and, when asked, 𝔸 = ∂²W/∂F∂F at a deformation
    /// gradient F and pressure p.
    ///
    /// With α = J^(−2/3), β = J^(−5/3) and G = ∂Ī₁/∂F = 2αF − ⅔βI₁ cof F:
    ///
    ///     P = Ŵ′ G + p cof F
    ///     𝔸 = Ŵ″ G⊗G + Ŵ′ ∂G/∂F + p K,
    ///     ∂G/∂F = 2α 𝕀 − ⁴⁄₃β (F⊗cof + cof⊗F) + ¹⁰⁄₉ (β/J) I₁ cof⊗cof − ⅔ β I₁ K,
    ///
    /// where K = ∂(cof F)/∂F is the constant matrix that maps F to cof F.
    package func response(deformationGradient f: SIMD4<Double>, pressure p: Double, withTangent: Bool = true) -> ConstitutivePoint {
        let cof = SIMD4<Double>(f[3], -f[2], -f[1], f[0])
        let j = f[0] * f[3] - f[1] * f[2]
        let i1 = (f * f).sum() + 1
        let jm13 = cbrt(1 / j)          // J^(−1/3); J ≤ 0 gives NaN/negatives, caught by the solver
        let alpha = jm13 * jm13           // J^(−2/3)
        let beta = alpha / j              // J^(−5/3)
        let i1Bar = alpha * i1
        let (w1, w2) = energyDerivatives(isochoricInvariant: i1Bar)
        let g = 2 * alpha * f - (2.0 / 3.0) * beta * i1 * cof
        let piola = w1 * g + p * cof
        let p33iso = w1 * alpha * (2 - (2.0 / 3.0) * i1)
        var point = ConstitutivePoint(
            deformationGradient: f, jacobian: j, cofactor: cof, firstPiola: piola,
            tangent: (.zero, .zero, .zero, .zero), isochoricOutOfPlanePiola: p33iso, pressure: p)
        guard withTangent else { return point }
        // K rows: cof₁₁ = F₂₂, cof₁₂ = −F₂₁, cof₂₁ = −F₁₂, cof₂₂ = F₁₁.
        let kRows: (SIMD4<Double>, SIMD4<Double>, SIMD4<Double>, SIMD4<Double>) = (
            SIMD4(0, 0, 0, 1), SIMD4(0, 0, -1, 0), SIMD4(0, -1, 0, 0), SIMD4(1, 0, 0, 0))
        let c43b = (4.0 / 3.0) * beta
        let c109 = (10.0 / 9.0) * beta / j * i1
        let kScale = -(2.0 / 3.0) * beta * i1 * w1 + p
        func row(_ a: Int, _ k: SIMD4<Double>) -> SIMD4<Double> {
            var r = w2 * g[a] * g
            let mixed: SIMD4<Double> = f[a] * cof + cof[a] * f
            let cofCof: SIMD4<Double> = (c109 * cof[a]) * cof
            r += w1 * (cofCof - c43b * mixed)
            r[a] += w1 * 2 * alpha
            r += kScale * k
            return r
        }
        point.tangent = (row(0, kRows.0), row(1, kRows.1), row(2, kRows.2), row(3, kRows.3))
        return point
    }

    /// The in-plane Cauchy stress σ = J⁻¹ P Fᵀ (11, 12, 21, 22) and the
    /// out-of-plane component σ₃₃, in kPa.
    package func cauchyStress(_ point: ConstitutivePoint) -> (inPlane: SIMD4<Double>, outOfPlane: Double) {
        let P = point.firstPiola, F = point.deformationGradient
        let s11 = P[0] * F[0] + P[1] * F[1]
        let s12 = P[0] * F[2] + P[1] * F[3]
        let s21 = P[2] * F[0] + P[3] * F[1]
        let s22 = P[2] * F[2] + P[3] * F[3]
        let invJ = 1 / point.jacobian
        let s33 = (point.isochoricOutOfPlanePiola) * invJ + point.pressure
        return (SIMD4(s11, s12, s21, s22) * invJ, s33)
    }
}

