import Foundation

/// Verification of the finite-element solver against ``ThickWalledTube``: an
/// annulus meshed directly from circles, inflated by a follower lumen pressure.
public enum TubeVerification {
    /// The outcome of one verification run.
    public struct Result: Sendable {
        /// max |σ_FE − σθ| over the sample points, relative to the exact inner hoop stress.
        public var hoopError: Double
        /// max |σ_FE − σr| over the sample points, relative to the exact inner hoop stress.
        public var radialError: Double
        /// max |σ_vM,FE − σ_vM| (von Mises, σz included), relative to the exact inner hoop stress.
        public var vonMisesError: Double
        /// Unknowns of the mixed system.
        public var unknowns: Int
        /// Newton iterations over the load path.
        public var newtonIterations: Int
        /// Wall-clock seconds (meshing and solve).
        public var seconds: Double
        /// The solved annulus.
        package var analysis: WallAnalysis
    }

    /// Meshes the annulus A ≤ R ≤ B (mm) at `meshSize`, ramps the lumen pressure
    /// (kPa) up in `steps` equal steps and compares the principal stresses with the
    /// exact hoop (larger) and radial (smaller) stresses, and the von Mises stress, at 8 angles × 11 radii
    /// spanning 2 %…98 % of the wall. Principal stresses are independent of the
    /// rigid rotation that the point supports leave free.
    public static func run(meshSize: Double, material: MooneyRivlinMaterial = MooneyRivlinMaterial(),
                           pressure: Double = 120 * kilopascalsPerMillimeterOfMercury,
                           innerRadius: Double = 1.5, outerRadius: Double = 2.5, steps: Int = 3,
                           lumenMeshSize: Double? = nil) throws -> Result {
        let start = Date()
        let (A, B) = (innerRadius, outerRadius)
        let mesh = try GmshMesher.annulus(innerRadius: A, outerRadius: B, meshSize: meshSize, lumenMeshSize: lumenMeshSize)
        let path = (1...steps).map { LoadState(lumenPressure: pressure * Double($0) / Double(steps)) }
        let analysis = try WallAnalysis.solve(mesh: mesh, material: material, path: path)
        let seconds = Date().timeIntervalSince(start)
        let exact = ThickWalledTube(innerRadius: A, outerRadius: B, material: material, pressure: pressure)
        let scale = exact.stresses(atReferenceRadius: A).hoop
        var hoop = 0.0, radial = 0.0, vonMises = 0.0
        for k in 0..<8 {
            let angle = 0.3 + Double(k) * Double.pi / 4
            for i in 0...10 {
                let R = A + (B - A) * (0.02 + 0.96 * Double(i) / 10)
                let sample = analysis.stress(atReferencePoint: R * SIMD2(cos(angle), sin(angle)))
                let e = exact.stresses(atReferenceRadius: R)
                hoop = max(hoop, abs(sample.maximumPrincipal - e.hoop) / scale)
                radial = max(radial, abs(sample.minimumPrincipal - e.radial) / scale)
                let z = exact.axialStress(atReferenceRadius: R)
                let exactVonMises = (0.5 * ((e.hoop - e.radial) * (e.hoop - e.radial) + (e.radial - z) * (e.radial - z)
                                            + (z - e.hoop) * (z - e.hoop))).squareRoot()
                vonMises = max(vonMises, abs(sample.vonMises - exactVonMises) / scale)
            }
        }
        return Result(hoopError: hoop, radialError: radial, vonMisesError: vonMises, unknowns: analysis.unknownCount,
                      newtonIterations: analysis.solution.newtonIterations, seconds: seconds, analysis: analysis)
    }
}
