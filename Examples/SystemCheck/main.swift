// system-check: one short, real pass through every native library LatentSampling stands on.
//
//   BLAS    a single-precision matrix product (the tensor engine's workhorse), checked entry by
//           entry against a plain loop, with its speed in GFLOP/s;
//   LAPACK  a banded LU solve (VasFEM's Newton step) of the 1-D Poisson problem -u'' = π² sin(πx),
//           u(0) = u(1) = 0, checked against the exact solution u = sin(πx);
//   gmsh    a second-order triangle mesh of a vessel-wall annulus (inner radius A, outer B), whose
//           area is checked against π(B² − A²);
//   HDF5    everything above written to one file, then read back and compared.
//
// Run: swift run -c release system-check [--out Output/system-check.h5] [--threads 2]

import ArgumentParser
import CGmsh
import COpenBLAS
import Foundation
import HDF5Store
import OptionChecks

@main
struct SystemCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "system-check",
        abstract: "Exercise BLAS, LAPACK, gmsh and HDF5 once and write the results to an HDF5 file."
    )

    @Option(help: "The HDF5 file to write (its folder is created).")
    var out: String = "Output/system-check.h5"

    @Option(help: "OpenBLAS threads.")
    var threads: Int = 2

    @Option(help: "Matrix size n for the n×n×n BLAS product.")
    var matrixSize: Int = 512

    @Option(help: "Interior grid points of the Poisson problem.")
    var gridPoints: Int = 2_000

    @Option(help: "Target mesh size of the annulus, mm.")
    var meshSize: Double = 0.1

    func validate() throws {
        try OptionCheck.count(threads, "--threads", in: 1...OptionCheck.maximumThreads)
        try OptionCheck.count(matrixSize, "--matrix-size", in: 1...8_192)
        try OptionCheck.count(gridPoints, "--grid-points", in: 3...10_000_000)
        try OptionCheck.positive(meshSize, "--mesh-size", atMost: 1)
    }

    mutating func run() throws {
        openblas_set_num_threads(Int32(threads))
        print("OpenBLAS threads: \(openblas_get_num_threads())")

        let blas = BLASCheck.run(size: matrixSize)
        print(String(format: "BLAS    sgemm %d×%d×%d: %.2f GFLOP/s, max |error| vs loop %.2e",
                     matrixSize, matrixSize, matrixSize, blas.gflops, blas.maxError))

        let lapack = try LAPACKCheck.run(interiorPoints: gridPoints)
        print(String(format: "LAPACK  dgbsv, %d unknowns: max |u − sin(πx)| = %.3e (O(h²) = %.3e)",
                     gridPoints, lapack.maxError, lapack.h * lapack.h))

        let mesh = try AnnulusMesh.generate(innerRadius: 1.5, outerRadius: 2.5, meshSize: meshSize)
        let exactArea = Double.pi * (2.5 * 2.5 - 1.5 * 1.5)
        print(String(format: "gmsh    annulus A = 1.5 mm, B = 2.5 mm: %d nodes, %d six-node triangles, area %.6f mm² (π(B²−A²) = %.6f)",
                     mesh.nodeCount, mesh.triangleCount, mesh.area, exactArea))

        try write(blas: blas, lapack: lapack, mesh: mesh)
        try verifyFile(lapack: lapack, mesh: mesh)
        print("HDF5    wrote and re-read \(out); inspect with: h5dump -H \(out)")

        var failures: [String] = []
        if blas.maxError > 1e-3 { failures.append("BLAS product disagrees with the reference loop") }
        if lapack.maxError > 10 * lapack.h * lapack.h { failures.append("LAPACK solution is not O(h²) accurate") }
        if abs(mesh.area - exactArea) / exactArea > 1e-3 { failures.append("mesh area is off by more than 0.1%") }
        guard failures.isEmpty else {
            throw ValidationError("system check failed: " + failures.joined(separator: "; "))
        }
        print("system-check: all checks passed.")
    }

    private func write(blas: BLASCheck, lapack: LAPACKCheck, mesh: AnnulusMesh) throws {
        let url = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let file = try HDF5File(path: out, mode: .truncate)
        try file.setAttribute("created_by", "LatentSampling system-check")
        try file.setAttribute("openblas_threads", Int64(threads))

        let blasGroup = try file.createGroup("blas")
        try blasGroup.setAttribute("gflops", blas.gflops)
        try blasGroup.setAttribute("max_error", blas.maxError)
        try blasGroup.setAttribute("matrix_size", Int64(matrixSize))
        try blasGroup.createDataset("product_corner", values: blas.cornerBlock, shape: [8, 8])

        let lapackGroup = try file.createGroup("lapack")
        try lapackGroup.setAttribute("max_error", lapack.maxError)
        try lapackGroup.setAttribute("routine", "LAPACKE_dgbsv")
        try lapackGroup.createDataset("x", values: lapack.x, shape: [lapack.x.count])
        let u = try lapackGroup.createDataset("u", values: lapack.u, shape: [lapack.u.count], chunkShape: [min(512, lapack.u.count)], compressionLevel: 4)
        try u.setAttribute("equation", "-u'' = pi^2 sin(pi x), u(0) = u(1) = 0")

        let meshGroup = try file.createGroup("gmsh/annulus")
        try meshGroup.setAttribute("inner_radius_mm", 1.5)
        try meshGroup.setAttribute("outer_radius_mm", 2.5)
        try meshGroup.setAttribute("area_mm2", mesh.area)
        let nodes = try meshGroup.createDataset("nodes", values: mesh.coordinates, shape: [mesh.nodeCount, 2],
                                        chunkShape: [min(1024, mesh.nodeCount), 2], compressionLevel: 4)
        try nodes.setAttribute("units", "mm")
        try meshGroup.createDataset("triangles", values: mesh.triangles, shape: [mesh.triangleCount, 6],
                            chunkShape: [min(1024, mesh.triangleCount), 6], compressionLevel: 4)
    }

    private func verifyFile(lapack: LAPACKCheck, mesh: AnnulusMesh) throws {
        let file = try HDF5File(path: out, mode: .readOnly)
        let u = try file.dataset("lapack/u").read(as: Double.self)
        let triangles = try file.dataset("gmsh/annulus/triangles").read(as: Int64.self)
        let middle = try file.dataset("gmsh/annulus/nodes").read(as: Double.self, rows: 1..<3)
        guard u == lapack.u, triangles == mesh.triangles,
              middle == Array(mesh.coordinates[2..<6]) else {
            throw ValidationError("system check failed: \(out) does not read back what was written")
        }
    }
}

/// A single-precision n×n×n product through `cblas_sgemm`, checked against a plain loop.
struct BLASCheck {
    var gflops: Double
    var maxError: Float
    var cornerBlock: [Float]

    static func run(size n: Int) -> BLASCheck {
        var generator = SplitMix64(seed: 42)
        let a = (0..<n * n).map { _ in Float(generator.nextUnit() - 0.5) }
        let b = (0..<n * n).map { _ in Float(generator.nextUnit() - 0.5) }
        var c = [Float](repeating: 0, count: n * n)
        let n32 = Int32(n)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n32, n32, n32, 1, a, n32, b, n32, 0, &c, n32)
        let repeats = 5
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<repeats {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n32, n32, n32, 1, a, n32, b, n32, 0, &c, n32)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let gflops = 2 * Double(n * n * n) * Double(repeats) / seconds / 1e9

        var maxError: Float = 0
        var corner = [Float](repeating: 0, count: 64)
        for i in 0..<min(8, n) {
            for j in 0..<min(8, n) {
                var sum: Float = 0
                for k in 0..<n { sum += a[i * n + k] * b[k * n + j] }
                maxError = max(maxError, abs(sum - c[i * n + j]))
                corner[i * 8 + j] = c[i * n + j]
            }
        }
        return BLASCheck(gflops: gflops, maxError: maxError, cornerBlock: corner)
    }
}

/// The 1-D Poisson problem solved with LAPACK's banded LU (`dgbsv`).
struct LAPACKCheck {
    var x: [Double]
    var u: [Double]
    var h: Double
    var maxError: Double

    static func run(interiorPoints n: Int) throws -> LAPACKCheck {
        let h = 1.0 / Double(n + 1)
        let x = (1...n).map { Double($0) * h }
        // Band storage for dgbsv (column-major, kl = ku = 1, ldab = 2kl + ku + 1 = 4):
        // row kl + ku + i − j holds A[i, j]; the first kl rows are workspace for the LU fill-in.
        let kl = 1, ku = 1, ldab = 2 * kl + ku + 1
        var ab = [Double](repeating: 0, count: ldab * n)
        for j in 0..<n {
            for i in max(0, j - ku)...min(n - 1, j + kl) {
                ab[j * ldab + kl + ku + i - j] = i == j ? 2 / (h * h) : -1 / (h * h)
            }
        }
        var rhs = x.map { Double.pi * Double.pi * sin(Double.pi * $0) }
        var pivots = [Int32](repeating: 0, count: n)
        let info = LAPACKE_dgbsv(LAPACK_COL_MAJOR, Int32(n), Int32(kl), Int32(ku), 1,
                                 &ab, Int32(ldab), &pivots, &rhs, Int32(n))
        guard info == 0 else { throw ValidationError("LAPACKE_dgbsv failed with info = \(info)") }
        let maxError = zip(x, rhs).map { abs($1 - sin(Double.pi * $0)) }.max() ?? 0
        return LAPACKCheck(x: x, u: rhs, h: h, maxError: maxError)
    }
}

/// A second-order triangle mesh of an annulus made with gmsh's built-in geometry kernel.
struct AnnulusMesh {
    var coordinates: [Double]  // node count × 2, mm
    var triangles: [Int64]     // triangle count × 6, zero-based node indices
    var area: Double           // mm², by 3-point quadrature of the exact P2 map

    var nodeCount: Int { coordinates.count / 2 }
    var triangleCount: Int { triangles.count / 6 }

    static func generate(innerRadius a: Double, outerRadius b: Double, meshSize: Double) throws -> AnnulusMesh {
        var ierr: Int32 = 0
        func check(_ what: String) throws {
            if ierr != 0 { throw ValidationError("gmsh failed in \(what) (error \(ierr))") }
        }
        gmshInitialize(0, nil, 0, &ierr)
        try check("initialize")
        defer { gmshFinalize(&ierr) }
        gmshOptionSetNumber("General.Terminal", 0, &ierr)
        gmshModelAdd("annulus", &ierr)

        func circle(_ radius: Double) throws -> Int32 {
            let centre = gmshModelGeoAddPoint(0, 0, 0, meshSize, -1, &ierr)
            let points = (0..<4).map { k -> Int32 in
                let angle = Double(k) * Double.pi / 2
                return gmshModelGeoAddPoint(radius * cos(angle), radius * sin(angle), 0, meshSize, -1, &ierr)
            }
            var arcs = (0..<4).map { k in
                gmshModelGeoAddCircleArc(points[k], centre, points[(k + 1) % 4], -1, 0, 0, 0, &ierr)
            }
            let loop = gmshModelGeoAddCurveLoop(&arcs, arcs.count, -1, 0, &ierr)
            try check("building a circle of radius \(radius)")
            return loop
        }
        var loops = [try circle(b), try circle(a)]
        _ = gmshModelGeoAddPlaneSurface(&loops, loops.count, -1, &ierr)
        gmshModelGeoSynchronize(&ierr)
        gmshOptionSetNumber("Mesh.ElementOrder", 2, &ierr)
        gmshModelMeshGenerate(2, &ierr)
        try check("meshing")

        var tags: UnsafeMutablePointer<Int>?, tagCount = 0
        var coords: UnsafeMutablePointer<Double>?, coordCount = 0
        var parametric: UnsafeMutablePointer<Double>?, parametricCount = 0
        gmshModelMeshGetNodes(&tags, &tagCount, &coords, &coordCount, &parametric, &parametricCount,
                              -1, -1, 0, 0, &ierr)
        defer { gmshFree(tags); gmshFree(coords); gmshFree(parametric) }
        try check("reading nodes")
        var indexOfTag: [Int: Int] = [:]
        var coordinates = [Double](repeating: 0, count: 2 * tagCount)
        for i in 0..<tagCount {
            indexOfTag[tags![i]] = i
            coordinates[2 * i] = coords![3 * i]
            coordinates[2 * i + 1] = coords![3 * i + 1]
        }

        let sixNodeTriangle: Int32 = 9  // gmsh element type 9: 6-node second-order triangle
        var elementTags: UnsafeMutablePointer<Int>?, elementCount = 0
        var nodeTags: UnsafeMutablePointer<Int>?, nodeTagCount = 0
        gmshModelMeshGetElementsByType(sixNodeTriangle, &elementTags, &elementCount,
                                       &nodeTags, &nodeTagCount, -1, 0, 1, &ierr)
        defer { gmshFree(elementTags); gmshFree(nodeTags) }
        try check("reading triangles")
        let triangles = (0..<nodeTagCount).map { Int64(indexOfTag[nodeTags![$0]]!) }

        // Area of the curved P2 triangles: ∫ det J over the reference triangle, 3-point rule
        // (exact for the degree-2 Jacobian determinant of a P2 map).
        let quadrature: [(Double, Double)] = [(1.0 / 6, 1.0 / 6), (2.0 / 3, 1.0 / 6), (1.0 / 6, 2.0 / 3)]
        var area = 0.0
        for t in 0..<triangles.count / 6 {
            let node = (0..<6).map { Int(triangles[6 * t + $0]) }
            for (r, s) in quadrature {
                let l = 1 - r - s
                // Derivatives of the six P2 shape functions (vertices 0,1,2; edges 01,12,20).
                let dr = [1 - 4 * l, 4 * r - 1, 0, 4 * (l - r), 4 * s, -4 * s]
                let ds = [1 - 4 * l, 0, 4 * s - 1, -4 * r, 4 * r, 4 * (l - s)]
                var j = (0.0, 0.0, 0.0, 0.0)
                for k in 0..<6 {
                    let x = coordinates[2 * node[k]], y = coordinates[2 * node[k] + 1]
                    j.0 += dr[k] * x; j.1 += ds[k] * x; j.2 += dr[k] * y; j.3 += ds[k] * y
                }
                area += abs(j.0 * j.3 - j.1 * j.2) / 6
            }
        }
        return AnnulusMesh(coordinates: coordinates, triangles: triangles, area: area)
    }
}

/// A small, seedable generator (SplitMix64), so every run computes the same numbers.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E4B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// A uniform double in [0, 1).
    mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1.0p-53 }
}
