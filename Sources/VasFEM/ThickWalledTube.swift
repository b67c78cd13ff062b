// The exact solution used to verify the finite-element solver: plane-strain
// inflation of an incompressible thick-walled tube.
//
// A material circle of reference radius R moves to r with r² = R² + a² − A²
// (incompressibility, plane strain), stretches λθ = r/R, λr = 1/λθ. Radial
// equilibrium dσr/dr = (σθ − σr)/r with σθ − σr = λθ ∂W/∂λθ − λr ∂W/∂λr
// = 2Ŵ′(Ī₁)(λθ² − λθ⁻²) and σr(b) = 0 give
//
//     P = ∫_a^b (σθ − σr) dr / r = ∫_A^B (σθ − σr) R dR / r²      (since r dr = R dR)
//
// which is solved for the deformed inner radius a by bisection; then
// σr(R) = −P + ∫_A^R (σθ − σr) R′ dR′ / r′² and σθ = σr + (σθ − σr).

/// The exact plane-strain inflation of an incompressible thick-walled tube of
/// the modified Mooney–Rivlin material; radii in mm, pressures and stresses in kPa.
public struct ThickWalledTube: Sendable {
    /// The reference inner radius A, in mm.
    public let innerRadius: Double
    /// The reference outer radius B, in mm.
    public let outerRadius: Double
    /// The wall material.
    public let material: MooneyRivlinMaterial
    /// The lumen pressure P, in kPa.
    public let pressure: Double
    /// The deformed inner radius a that balances P, in mm.
    public let deformedInnerRadius: Double

    /// Solves for the deformed inner radius a at lumen pressure P (kPa).
    public init(innerRadius: Double, outerRadius: Double, material: MooneyRivlinMaterial = MooneyRivlinMaterial(), pressure: Double) {
        self.innerRadius = innerRadius
        self.outerRadius = outerRadius
        self.material = material
        self.pressure = pressure
        var lo = innerRadius, hi = innerRadius * 1.01
        let f = { (a: Double) in Self.integral(from: innerRadius, to: outerRadius, A: innerRadius, a: a, material: material) }
        while f(hi) < pressure { lo = hi; hi = innerRadius + 2 * (hi - innerRadius) }
        for _ in 0..<100 {
            let mid = (lo + hi) / 2
            if f(mid) < pressure { lo = mid } else { hi = mid }
            if hi - lo < 1e-15 * innerRadius { break }
        }
        deformedInnerRadius = (lo + hi) / 2
    }

    /// The deformed radius r of the material circle of reference radius R.
    public func deformedRadius(_ R: Double) -> Double {
        (R * R + deformedInnerRadius * deformedInnerRadius - innerRadius * innerRadius).squareRoot()
    }

    /// The radial and hoop Cauchy stresses σr, σθ at reference radius R, in kPa.
    public func stresses(atReferenceRadius R: Double) -> (radial: Double, hoop: Double) {
        let radial = -pressure + Self.integral(from: innerRadius, to: R, A: innerRadius, a: deformedInnerRadius, material: material)
        let lambda = deformedRadius(R) / R
        return (radial, radial + material.hoopMinusRadialStress(hoopStretch: lambda))
    }

    /// The out-of-plane Cauchy stress σz at reference radius R, in kPa (plane strain,
    /// λz = 1): σz = σr + λz ∂W/∂λz − λr ∂W/∂λr = σr + 2Ŵ′(Ī₁)(1 − λr²).
    public func axialStress(atReferenceRadius R: Double) -> Double {
        let lambda = deformedRadius(R) / R
        let i1 = lambda * lambda + 1 / (lambda * lambda) + 1
        return stresses(atReferenceRadius: R).radial
            + 2 * material.energyDerivatives(isochoricInvariant: i1).first * (1 - 1 / (lambda * lambda))
    }

    /// ∫ (σθ − σr) R dR / r² from R₀ to R₁, by composite 5-point Gauss–Legendre quadrature.
    static func integral(from r0: Double, to r1: Double, A: Double, a: Double, material: MooneyRivlinMaterial) -> Double {
        guard r1 > r0 else { return 0 }
        let nodes = [0.0, -0.5384693101056831, 0.5384693101056831, -0.9061798459386640, 0.9061798459386640]
        let weights = [0.5688888888888889, 0.4786286704993665, 0.4786286704993665, 0.2369268850561891, 0.2369268850561891]
        let panels = 64
        let h = (r1 - r0) / Double(panels)
        var total = 0.0
        for k in 0..<panels {
            let mid = r0 + (Double(k) + 0.5) * h
            for (x, w) in zip(nodes, weights) {
                let R = mid + x * h / 2
                let r2 = R * R + a * a - A * A
                total += w * h / 2 * material.hoopMinusRadialStress(hoopStretch: (r2.squareRoot()) / R) * R / r2
            }
        }
        return total
    }
}

/// 1 mmHg in kPa.
public let kilopascalsPerMillimeterOfMercury = 0.133322
