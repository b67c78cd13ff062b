import Foundation
import LatentSampling

/// The settings of a VasFEM run: geometry scale, material, blood pressure, mesh and solver.
public struct VasFEMConfiguration: Sendable, Hashable, Codable {
    /// The expected mask height and width, in pixels.
    public var rows = 64, columns = 64
    /// The pixel size h, in mm (default 0.15625 mm: a 10 mm field of view over 64 pixels).
    public var pixelSize = 0.15625
    /// The wall material (default: Teng et al., 2014).
    public var material = MooneyRivlinMaterial()
    /// The systolic (peak) blood pressure, in mmHg.
    public var systolicPressure = 120.0
    /// The diastolic blood pressure, in mmHg.
    public var diastolicPressure = 80.0
    /// The pulsatile pressure template.
    public var waveform = PressureWaveform.standard
    /// Load steps from the stress-free reference to the diastolic pressure.
    public var rampSteps = 2
    /// Load steps along the waveform from end-diastole to the systolic peak.
    public var waveformSteps = 2
    /// The target element size in the wall and on its outer border, in mm.
    public var meshSize = 0.4
    /// The target element size on the lumen border, in mm, where the hoop stress is largest and
    /// steepest (grading the mesh there buys accuracy cheaply: see the tube figures in the docs).
    public var lumenMeshSize = 0.16
    /// The arc-length spacing of the smoothed contours handed to gmsh, in mm.
    public var contourSpacing = 0.2
    /// Newton–Raphson settings.
    public var newton = NewtonOptions()

    /// Creates the default configuration.
    public init() {}

    /// The lumen pressures of the quasi-static load path, in kPa (last: systole).
    public var loadPath: [Double] {
        waveform.loadPath(diastolic: diastolicPressure, systolic: systolicPressure, rampSteps: rampSteps, waveformSteps: waveformSteps)
    }
}

/// Where the time went for one mask, in seconds.
public struct StageTimes: Sendable, Hashable, Codable {
    /// Validation, contour tracing and gmsh meshing.
    public var meshing = 0.0
    /// Residual and tangent assembly.
    public var assembly = 0.0
    /// Banded LU solves.
    public var linearSolve = 0.0
    /// Locating pixel centres and evaluating stresses.
    public var rasterization = 0.0
    /// End to end.
    public var total = 0.0
}

/// The label VasFEM gives a wall mask: stress maps at systole on the mask's own
/// pixel grid, with the solve's statistics.
public struct StressMap: Sendable {
    /// Grid height and width, in pixels.
    public var rows: Int, columns: Int
    /// The pixel size, in mm.
    public var pixelSize: Double
    /// The in-plane maximum principal Cauchy stress at systole, in kPa, row-major;
    /// 0 outside the wall.
    public var maximumPrincipalStress: [Float]
    /// The von Mises stress of the 3-D (plane-strain) Cauchy stress at systole, in kPa; 0 outside the wall.
    public var vonMisesStress: [Float]
    /// The displacement at systole of each wall pixel centre, in mm, without rigid motion
    /// (zero mean displacement and zero best-fit rotation over the wall); zero outside the wall.
    public var displacement: [SIMD2<Float>]
    /// The deformed lumen border at systole (mesh vertices), in mm.
    public var deformedLumen: [SIMD2<Double>]
    /// The systolic lumen pressure, in kPa.
    public var systolicPressure: Double
    /// Newton iterations (linear solves) over the whole load path.
    public var newtonIterations: Int
    /// Tangent LU factorizations over the whole load path (the expensive iterations).
    public var factorizations: Int
    /// Load steps taken (cut-backs included) and cut-backs.
    public var loadSteps: Int, cutBacks: Int
    /// Unknowns (P2 displacements and P1 pressures), triangles, and the tangent's half-bandwidth.
    public var unknowns: Int, triangles: Int, bandwidth: Int
    /// The mesh's smallest scaled Jacobian.
    public var minimumScaledJacobian: Double
    /// Time per stage.
    public var times: StageTimes
}

/// A failure's status code, as written by `vasfem label` (0 = solved).
public protocol StatusCoded: Error {
    /// The code: 1–9 mask problems, 10–19 geometry and meshing, 20–29 the solver.
    var statusCode: Int32 { get }
}

extension MaskError: StatusCoded {
    /// 1 wrong shape, 2 invalid value, 3 empty, 4 all wall, 5 touches border, 6 several wall components, 7 no lumen, 8 several lumens.
    public var statusCode: Int32 {
        switch self {
        case .wrongShape: 1
        case .invalidValue: 2
        case .empty: 3
        case .allWall: 4
        case .touchesBorder: 5
        case .severalWallComponents: 6
        case .noLumen: 7
        case .severalLumens: 8
        }
    }
}

extension ContourError: StatusCoded {
    /// 10 unexpected contour count, 11 lumen outside, 12 wall too thin.
    public var statusCode: Int32 {
        switch self {
        case .unexpectedContourCount: 10
        case .lumenOutsideWall: 11
        case .wallTooThin: 12
        }
    }
}

extension MeshError: StatusCoded {
    /// 13 gmsh error, 14 inverted or poor elements, 15 other mesh problems.
    public var statusCode: Int32 {
        switch self {
        case .gmsh: 13
        case .invertedElement, .poorQuality: 14
        case .noElements, .invalidConnectivity, .unexpectedBoundary: 15
        }
    }
}

extension SolverError: StatusCoded {
    /// 20 divergence, 21 singular tangent.
    public var statusCode: Int32 {
        switch self {
        case .diverged: 20
        case .singularTangent: 21
        }
    }
}

/// VasFEM as a labeling tool: wall masks in, systolic stress maps out.
///
/// Each mask is validated, its wall traced and meshed with gmsh (serialized by a
/// process-wide lock), then solved and rasterized; masks run in parallel on up to
/// `maximumConcurrentMasks` tasks. A failure is reported for its mask alone.
/// Cost: seconds, and Newton iterations as units.
public struct StressLabeler: LabelingTool {
    /// A vessel-wall mask.
    public typealias Sample = WallMask
    /// Its stress maps.
    public typealias Label = StressMap

    /// The run settings.
    public var configuration: VasFEMConfiguration
    /// How many masks are solved at once (default: the active processor count).
    public var maximumConcurrentMasks: Int

    /// Creates a labeler.
    public init(configuration: VasFEMConfiguration = VasFEMConfiguration(),
                maximumConcurrentMasks: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.configuration = configuration
        self.maximumConcurrentMasks = max(1, maximumConcurrentMasks)
    }

    /// Labels a batch of masks, in parallel; one outcome per mask, in input order.
    public func label(_ samples: [WallMask]) async throws -> [LabelingOutcome<StressMap>] {
        try await label(samples, progress: { _ in })
    }

    /// Labels a batch of masks, calling `progress(completed)` as masks finish.
    public func label(_ samples: [WallMask], progress: @escaping @Sendable (Int) -> Void) async throws -> [LabelingOutcome<StressMap>] {
        var outcomes = [LabelingOutcome<StressMap>?](repeating: nil, count: samples.count)
        let configuration = self.configuration
        await withTaskGroup(of: (Int, LabelingOutcome<StressMap>).self) { group in
            var next = 0, done = 0
            func submit() {
                let index = next
                let mask = samples[index]
                next += 1
                group.addTask { (index, Self.outcome(for: mask, configuration: configuration)) }
            }
            while next < min(samples.count, maximumConcurrentMasks) { submit() }
            for await (index, outcome) in group {
                outcomes[index] = outcome
                done += 1
                progress(done)
                if next < samples.count { submit() }
            }
        }
        return outcomes.map { $0! }
    }

    /// Labels one mask synchronously, timing it.
    static func outcome(for mask: WallMask, configuration: VasFEMConfiguration) -> LabelingOutcome<StressMap> {
        let start = DispatchTime.now().uptimeNanoseconds
        do {
            let map = try stressMap(for: mask, configuration: configuration)
            return LabelingOutcome(.success(map), cost: LabelingCost(seconds: map.times.total, units: Double(map.newtonIterations)))
        } catch {
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            return LabelingOutcome(.failure(error), cost: LabelingCost(seconds: seconds, units: nil))
        }
    }

    /// Meshes a mask's wall (validation, contours, gmsh), optionally writing the mesh to `meshExportPath`.
    ///
    /// - Throws: ``MaskError``, ``ContourError``, ``MeshError``.
    package static func mesh(for mask: WallMask, configuration: VasFEMConfiguration, meshExportPath: String? = nil) throws -> TriangleMesh {
        try mask.validate(rows: configuration.rows, columns: configuration.columns)
        let contours = try WallContours(mask: mask, pixelSize: configuration.pixelSize, spacing: configuration.contourSpacing)
        let mesh = try GmshMesher.wall(outer: contours.outer, lumen: contours.lumen, meshSize: configuration.meshSize,
                                       lumenMeshSize: min(configuration.lumenMeshSize, configuration.meshSize),
                                       exportPath: meshExportPath)
        guard mesh.holeCount == 1 else { throw MeshError.unexpectedBoundary(outerLoops: 1, holes: mesh.holeCount) }
        return mesh
    }

    /// Labels one mask: validate, trace, mesh, solve along the load path, rasterize at systole.
    ///
    /// - Throws: ``MaskError``, ``ContourError``, ``MeshError``, ``SolverError``.
    public static func stressMap(for mask: WallMask, configuration: VasFEMConfiguration, meshExportPath: String? = nil) throws -> StressMap {
        let clock = { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }
        let t0 = clock()
        var times = StageTimes()
        let mesh = try Self.mesh(for: mask, configuration: configuration, meshExportPath: meshExportPath)
        times.meshing = clock() - t0
        let path = configuration.loadPath.map { LoadState(lumenPressure: $0) }
        let analysis = try WallAnalysis.solve(mesh: mesh, material: configuration.material, path: path, options: configuration.newton)
        times.assembly = analysis.solution.assemblySeconds
        times.linearSolve = analysis.solution.linearSolveSeconds
        let t1 = clock()
        let count = mask.rows * mask.columns
        var principal = [Float](repeating: 0, count: count), vonMises = principal
        var displacement = [SIMD2<Float>](repeating: .zero, count: count)
        let h = configuration.pixelSize
        for k in 0..<count where mask.pixels[k] == 1 {
            let x = SIMD2(Double(k % mask.columns) + 0.5, Double(k / mask.columns) + 0.5) * h
            let sample = analysis.stress(atReferencePoint: x)
            principal[k] = Float(sample.maximumPrincipal)
            vonMises[k] = Float(sample.vonMises)
            displacement[k] = SIMD2<Float>(Float(sample.displacement.x), Float(sample.displacement.y))
        }
        let t2 = clock()
        times.rasterization = t2 - t1
        times.total = t2 - t0
        let s = analysis.solution
        return StressMap(rows: mask.rows, columns: mask.columns, pixelSize: h, maximumPrincipalStress: principal,
                         vonMisesStress: vonMises, displacement: displacement, deformedLumen: analysis.deformedLumen,
                         systolicPressure: path.last!.lumenPressure, newtonIterations: s.newtonIterations, factorizations: s.factorizations,
                         loadSteps: s.loadSteps, cutBacks: s.cutBacks, unknowns: analysis.unknownCount,
                         triangles: mesh.triangleCount, bandwidth: analysis.bandwidth,
                         minimumScaledJacobian: mesh.minimumScaledJacobian, times: times)
    }
}
