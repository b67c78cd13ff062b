import CGmsh
import Foundation

/// Meshes wall geometries with gmsh (second-order, 6-node triangles).
///
/// gmsh keeps one global model per process and is not thread-safe: every gmsh
/// call in VasFEM goes through ``GmshMesher`` and runs under one process-wide
/// lock. Only meshing is serialized; assembly and solves run in parallel.
package enum GmshMesher {
    /// The process-wide lock around every gmsh call.
    static let lock = NSLock()
    /// Whether gmshInitialize has run (read and written under `lock` only).
    nonisolated(unsafe) static var initialized = false

    /// Meshes the annulus between two concentric circles (radii in mm), built
    /// directly from circle arcs: the geometry of the exact thick-walled-tube solution.
    ///
    /// - Parameters:
    ///   - meshSize: the target element size, in mm.
    ///   - exportPath: when given, the mesh is also written there (gmsh picks the format from the extension, e.g. `.msh`).
    package static func annulus(innerRadius: Double, outerRadius: Double, center: SIMD2<Double> = .zero,
                               meshSize: Double, lumenMeshSize: Double? = nil, exportPath: String? = nil) throws -> TriangleMesh {
        try withModel(meshSize: meshSize, exportPath: exportPath) { check in
            var loops: [Int32] = []
            let c = gmshModelGeoAddPoint(center.x, center.y, 0, meshSize, -1, check.ierr)
            try check("gmshModelGeoAddPoint")
            for (radius, size) in [(outerRadius, meshSize), (innerRadius, lumenMeshSize ?? meshSize)] {
                var points: [Int32] = []
                for k in 0..<4 {
                    let angle = Double(k) * Double.pi / 2
                    points.append(gmshModelGeoAddPoint(center.x + radius * cos(angle), center.y + radius * sin(angle), 0, size, -1, check.ierr))
                    try check("gmshModelGeoAddPoint")
                }
                var arcs: [Int32] = []
                for k in 0..<4 {
                    arcs.append(gmshModelGeoAddCircleArc(points[k], c, points[(k + 1) % 4], -1, 0, 0, 0, check.ierr))
                    try check("gmshModelGeoAddCircleArc")
                }
                loops.append(gmshModelGeoAddCurveLoop(&arcs, arcs.count, -1, 0, check.ierr))
                try check("gmshModelGeoAddCurveLoop")
            }
            _ = gmshModelGeoAddPlaneSurface(&loops, loops.count, -1, check.ierr)
            try check("gmshModelGeoAddPlaneSurface")
        }
    }

    /// Meshes the wall between an outer contour and a lumen contour (closed
    /// polylines in mm, without repeating the first point), each turned into
    /// Catmull–Rom splines through its points.
    package static func wall(outer: [SIMD2<Double>], lumen: [SIMD2<Double>], meshSize: Double, lumenMeshSize: Double? = nil,
                            exportPath: String? = nil) throws -> TriangleMesh {
        try withModel(meshSize: meshSize, exportPath: exportPath) { check in
            var loops: [Int32] = []
            for (contour, size) in [(outer, meshSize), (lumen, lumenMeshSize ?? meshSize)] {
                var points: [Int32] = []
                for p in contour {
                    points.append(gmshModelGeoAddPoint(p.x, p.y, 0, size, -1, check.ierr))
                    try check("gmshModelGeoAddPoint")
                }
                // Four splines per loop (no periodic curve), joined end to end.
                let n = points.count
                let cuts = (0...4).map { $0 * n / 4 }
                var curves: [Int32] = []
                for k in 0..<4 {
                    var tags = (cuts[k]...cuts[k + 1]).map { points[$0 % n] }
                    curves.append(gmshModelGeoAddSpline(&tags, tags.count, -1, check.ierr))
                    try check("gmshModelGeoAddSpline")
                }
                loops.append(gmshModelGeoAddCurveLoop(&curves, curves.count, -1, 0, check.ierr))
                try check("gmshModelGeoAddCurveLoop")
            }
            _ = gmshModelGeoAddPlaneSurface(&loops, loops.count, -1, check.ierr)
            try check("gmshModelGeoAddPlaneSurface")
        }
    }

    /// Checks gmsh's error code after a call.
    struct Check {
        let ierr: UnsafeMutablePointer<Int32>
        func callAsFunction(_ function: String) throws {
            if ierr.pointee != 0 { throw MeshError.gmsh(function: function, code: ierr.pointee) }
        }
    }

    /// Runs `build` on a fresh gmsh model under the lock, meshes it in 2-D with
    /// second-order elements and reads the 6-node triangles back.
    static func withModel(meshSize: Double, exportPath: String?, _ build: (Check) throws -> Void) throws -> TriangleMesh {
        guard meshSize > 0, meshSize.isFinite else { throw MeshError.noElements }
        lock.lock()
        defer { lock.unlock() }
        let ierr = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        defer { ierr.deallocate() }
        ierr.pointee = 0
        let check = Check(ierr: ierr)
        if !initialized {
            gmshInitialize(0, nil, 0, ierr)
            try check("gmshInitialize")
            initialized = true
        }
        gmshOptionSetNumber("General.Terminal", 0, ierr)
        gmshOptionSetNumber("General.Verbosity", 0, ierr)
        gmshClear(ierr)
        try check("gmshClear")
        defer { gmshClear(ierr) }
        for (name, value) in [("Mesh.ElementOrder", 2.0), ("Mesh.SecondOrderLinear", 0), ("Mesh.Algorithm", 6),
                              ("Mesh.MeshSizeMax", meshSize), ("Mesh.MeshSizeMin", 0),
                              ("Mesh.MeshSizeFromCurvature", 0), ("Mesh.Optimize", 1)] {
            gmshOptionSetNumber(name, value, ierr)
            try check("gmshOptionSetNumber(\(name))")
        }
        try build(check)
        gmshModelGeoSynchronize(ierr)
        try check("gmshModelGeoSynchronize")
        gmshModelMeshGenerate(2, ierr)
        try check("gmshModelMeshGenerate")
        if let exportPath {
            gmshWrite(exportPath, ierr)
            try check("gmshWrite")
        }

        var nodeTags: UnsafeMutablePointer<Int>?, nodeCount = 0
        var coords: UnsafeMutablePointer<Double>?, coordCount = 0
        var params: UnsafeMutablePointer<Double>?, paramCount = 0
        gmshModelMeshGetNodes(&nodeTags, &nodeCount, &coords, &coordCount, &params, &paramCount, -1, -1, 0, 0, ierr)
        defer { gmshFree(nodeTags); gmshFree(coords); gmshFree(params) }
        try check("gmshModelMeshGetNodes")
        var elementTags: UnsafeMutablePointer<Int>?, elementCount = 0
        var connectivity: UnsafeMutablePointer<Int>?, connectivityCount = 0
        gmshModelMeshGetElementsByType(9, &elementTags, &elementCount, &connectivity, &connectivityCount, -1, 0, 1, ierr)
        defer { gmshFree(elementTags); gmshFree(connectivity) }
        try check("gmshModelMeshGetElementsByType")
        guard nodeCount > 0, connectivityCount >= 6, let nodeTags, let coords, let connectivity else { throw MeshError.noElements }

        // Keep only the nodes the triangles use, numbered 0..<n.
        var index: [Int: Int] = [:]
        for k in 0..<nodeCount { index[nodeTags[k]] = k }
        var used: [Int: Int] = [:]
        var nodes: [SIMD2<Double>] = []
        var triangles = [Int](repeating: 0, count: connectivityCount)
        for k in 0..<connectivityCount {
            guard let source = index[connectivity[k]] else { throw MeshError.invalidConnectivity(triangle: k / 6) }
            if let j = used[source] { triangles[k] = j } else {
                used[source] = nodes.count
                triangles[k] = nodes.count
                nodes.append(SIMD2(coords[3 * source], coords[3 * source + 1]))
            }
        }
        return try TriangleMesh(nodes: nodes, triangles: triangles)
    }
}
