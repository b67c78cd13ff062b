import Foundation
import HDF5Store

/// Why an HDF5 batch could not be labeled at all (per-mask failures go to its `status` dataset).
public enum HDF5LabelingError: Error, Equatable, CustomStringConvertible {
    /// The input dataset `masks` is not three-dimensional (N × rows × columns).
    case badMaskShape([Int])

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .badMaskShape(let shape): "dataset `masks` has shape \(shape); expected N×rows×columns"
        }
    }
}

/// What an HDF5 batch run did.
public struct HDF5LabelingSummary: Sendable {
    /// Masks read, and masks solved.
    public var masks: Int, solved: Int
    /// Wall-clock seconds for the batch.
    public var seconds: Double
    /// Seconds per mask summed over masks (the one-core cost).
    public var maskSeconds: Double
    /// The status code of each mask (0 = solved).
    public var status: [Int32]
}

extension StressLabeler {
    /// Reads dataset `masks` (N×rows×columns, uint8), labels every mask in parallel and writes
    /// `stress` and `von_mises` (N×rows×columns float32, kPa; zeros where a mask failed), `displacement`
    /// (N×rows×columns×2 float32, mm),
    /// `status` (N int32: 0 solved, else ``StatusCoded/statusCode``, 99 for anything else) with a
    /// `messages` attribute (one string per sample, empty when solved), `newton_iterations` and
    /// `seconds`, and the run's settings as root attributes. The output appears atomically
    /// once complete (``HDF5File/init(checkpointedAt:mode:)``): a killed run leaves no torn file.
    ///
    /// - Parameter progress: called with the number of masks finished so far and the batch size.
    /// - Throws: ``HDF5LabelingError`` or `HDF5Error` when the batch cannot be read or written.
    public func labelHDF5(input: String, output: String, progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) async throws -> HDF5LabelingSummary {
        let source = try HDF5File(path: input, mode: .readOnly)
        let (values, shape) = try source.dataset("masks").readWithShape(as: UInt8.self)
        guard shape.count == 3 else { throw HDF5LabelingError.badMaskShape(shape) }
        let (n, rows, columns) = (shape[0], shape[1], shape[2])
        let size = rows * columns
        let masks = (0..<n).map { WallMask(rows: rows, columns: columns, pixels: Array(values[($0 * size)..<(($0 + 1) * size)])) }

        let start = Date()
        let outcomes = try await label(masks) { progress($0, n) }
        let seconds = Date().timeIntervalSince(start)

        var stress = [Float](repeating: 0, count: n * size), vonMises = stress
        var displacement = [Float](repeating: 0, count: 2 * n * size)
        var status = [Int32](repeating: 0, count: n), iterations = [Int32](repeating: 0, count: n)
        var messages = [String](repeating: "", count: n)
        var costs = [Double](repeating: 0, count: n)
        for (i, outcome) in outcomes.enumerated() {
            costs[i] = outcome.cost.seconds
            switch outcome.result {
            case .success(let map):
                if map.maximumPrincipalStress.count == size {
                    stress.replaceSubrange((i * size)..<((i + 1) * size), with: map.maximumPrincipalStress)
                    vonMises.replaceSubrange((i * size)..<((i + 1) * size), with: map.vonMisesStress)
                    for (k, u) in map.displacement.enumerated() {
                        displacement[2 * (i * size + k)] = u.x
                        displacement[2 * (i * size + k) + 1] = u.y
                    }
                }
                iterations[i] = Int32(map.newtonIterations)
            case .failure(let error):
                status[i] = (error as? any StatusCoded)?.statusCode ?? 99
                messages[i] = String(describing: error)
            }
        }
        // Written to a private copy and published by one atomic rename: a kill leaves either
        // the old `output` or the complete new one, never a torn file.
        let file = try HDF5File(checkpointedAt: output, mode: .truncate)
        let stressSet = try file.createDataset("stress", values: stress, shape: [n, rows, columns], compressionLevel: 4)
        try stressSet.setAttribute("units", "kPa")
        try stressSet.setAttribute("quantity", "in-plane maximum principal Cauchy stress at the systolic peak")
        let vmSet = try file.createDataset("von_mises", values: vonMises, shape: [n, rows, columns], compressionLevel: 4)
        try vmSet.setAttribute("units", "kPa")
        try vmSet.setAttribute("quantity", "von Mises stress of the plane-strain Cauchy stress at the systolic peak")
        let uSet = try file.createDataset("displacement", values: displacement, shape: [n, rows, columns, 2], compressionLevel: 4)
        try uSet.setAttribute("units", "mm")
        try uSet.setAttribute("quantity", "displacement (x = column direction, y = row direction) of wall pixel centres at the systolic peak")
        let statusSet = try file.createDataset("status", values: status, shape: [n])
        try statusSet.setAttribute("meaning", "0 solved; 1 wrong shape, 2 invalid value, 3 empty, 4 all wall, 5 touches border, "
            + "6 several wall components, 7 no lumen, 8 several lumens; 10-12 contour errors; 13 gmsh error, "
            + "14 inverted/poor elements, 15 other mesh errors; 20 Newton diverged, 21 singular tangent; 99 other")
        if n > 0 { try statusSet.setAttribute("messages", messages) }
        try file.createDataset("newton_iterations", values: iterations, shape: [n])
        let secondsSet = try file.createDataset("seconds", values: costs, shape: [n])
        try secondsSet.setAttribute("units", "s")
        let m = configuration.material
        try file.setAttribute("source", "VasFEM (incompressible modified Mooney-Rivlin, Taylor-Hood P2/P1, plane strain)")
        try file.setAttribute("material_c1_kPa", m.c1)
        try file.setAttribute("material_D1_kPa", m.d1)
        try file.setAttribute("material_D2", m.d2)
        try file.setAttribute("systolic_mmHg", configuration.systolicPressure)
        try file.setAttribute("diastolic_mmHg", configuration.diastolicPressure)
        try file.setAttribute("load_path_kPa", configuration.loadPath)
        try file.setAttribute("mesh_size_mm", configuration.meshSize)
        try file.setAttribute("lumen_mesh_size_mm", configuration.lumenMeshSize)
        try file.setAttribute("pixel_size_mm", configuration.pixelSize)
        try file.checkpoint()
        return HDF5LabelingSummary(masks: n, solved: status.filter { $0 == 0 }.count, seconds: seconds,
                                   maskSeconds: costs.reduce(0, +), status: status)
    }
}
