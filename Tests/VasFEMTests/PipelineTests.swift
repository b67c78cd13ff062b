import Foundation
import LatentSampling
import Testing
@testable import VasFEM

/// A coarse configuration that keeps debug-build tests fast.
var coarse: VasFEMConfiguration {
    var c = VasFEMConfiguration()
    c.meshSize = 0.45
    c.lumenMeshSize = 0.3
    c.contourSpacing = 0.25
    return c
}

func ring(_ inner: Double = 8, _ outer: Double = 16) -> WallMask { SyntheticMasks.annulus(innerRadius: inner, outerRadius: outer) }

@Suite("Mask validation")
struct MaskValidationTests {
    @Test("a ring is valid") func validRing() throws { try ring().validate() }

    @Test("wrong shape") func wrongShape() {
        #expect(throws: MaskError.wrongShape(expectedRows: 64, expectedColumns: 64, rows: 32, columns: 64, pixelCount: 2048)) {
            try WallMask(rows: 32, columns: 64, pixels: [UInt8](repeating: 0, count: 2048)).validate()
        }
        #expect(throws: MaskError.wrongShape(expectedRows: 64, expectedColumns: 64, rows: 64, columns: 64, pixelCount: 10)) {
            try WallMask(rows: 64, columns: 64, pixels: [UInt8](repeating: 0, count: 10)).validate()
        }
    }

    @Test("values other than 0/1") func invalidValue() {
        var m = ring()
        m.pixels[5 * 64 + 7] = 255
        #expect(throws: MaskError.invalidValue(255, row: 5, column: 7)) { try m.validate() }
    }

    @Test("empty and all-wall masks") func emptyAndFull() {
        #expect(throws: MaskError.empty) { try WallMask(rows: 64, columns: 64) { _, _ in false }.validate() }
        #expect(throws: MaskError.allWall) { try WallMask(rows: 64, columns: 64) { _, _ in true }.validate() }
    }

    @Test("wall touching the border") func border() {
        let m = SyntheticMasks.annulus(center: SIMD2(10, 32), innerRadius: 5, outerRadius: 12)
        #expect(throws: MaskError.touchesBorder(row: 25, column: 0)) { try m.validate() }
    }

    @Test("a disc without lumen") func noLumen() {
        #expect(throws: MaskError.noLumen) { try SyntheticMasks.annulus(innerRadius: 0, outerRadius: 15).validate() }
    }

    @Test("two separate rings") func severalWalls() {
        let a = SyntheticMasks.annulus(center: SIMD2(16, 32), innerRadius: 4, outerRadius: 10)
        let b = SyntheticMasks.annulus(center: SIMD2(48, 32), innerRadius: 4, outerRadius: 10)
        let m = WallMask(rows: 64, columns: 64, pixels: zip(a.pixels, b.pixels).map { max($0, $1) })
        #expect(throws: MaskError.severalWallComponents(2)) { try m.validate() }
    }

    @Test("a wall with two lumens") func severalLumens() {
        var m = ring(10, 18)
        for r in 20..<44 { for c in 31...33 { m.pixels[r * 64 + c] = 1 } }  // a septum splits the lumen
        #expect(throws: MaskError.severalLumens(2)) { try m.validate() }
    }

    @Test("a diagonal wall step keeps the lumen closed (8-connected wall, 4-connected lumen)")
    func diagonalClosure() throws {
        var m = WallMask(rows: 8, columns: 8) { r, c in (r == 2 || r == 5) && (2...5).contains(c) || (c == 2 || c == 5) && (2...5).contains(r) }
        m.pixels[2 * 8 + 5] = 0  // corner pixel removed: the wall still closes diagonally
        try m.validate(rows: 8, columns: 8)
    }
}

@Suite("Contours and meshing")
struct ContourTests {
    @Test("the traced borders of a ring are smooth circles at the right radii")
    func ringContours() throws {
        let h = 0.15625
        let contours = try WallContours(mask: ring(8, 16), pixelSize: h, spacing: 0.2)
        let centre = SIMD2(32.0, 32.0) * h
        let outerRadii = contours.outer.map { length($0 - centre) }, lumenRadii = contours.lumen.map { length($0 - centre) }
        // Pixel-area-equivalent radii are 16 and 8 pixels; the 0.5 level lies within about half a pixel.
        #expect(abs(outerRadii.reduce(0, +) / Double(outerRadii.count) - 16 * h) < 0.5 * h)
        #expect(abs(lumenRadii.reduce(0, +) / Double(lumenRadii.count) - 8 * h) < 0.5 * h)
        #expect(outerRadii.max()! - outerRadii.min()! < 0.6 * h)  // no staircase
        #expect(WallContours.signedArea(contours.outer) > 0 && WallContours.signedArea(contours.lumen) < 0)
    }

    @Test("a lumen of a few pixels keeps its area through the contour smoothing")
    func tinyLumen() throws {
        let h = 0.15625
        let mask = SyntheticMasks.annulus(innerRadius: 1.6, outerRadius: 14)
        let holePixels = (0..<(64 * 64)).filter { mask.pixels[$0] == 0 && length(SIMD2(Double($0 % 64) + 0.5, Double($0 / 64) + 0.5) - SIMD2(32, 32)) < 5 }.count
        let contours = try WallContours(mask: mask, pixelSize: h, spacing: 0.2)
        let area = abs(WallContours.signedArea(contours.lumen))
        #expect(holePixels == 12)
        #expect(abs(area - Double(holePixels) * h * h) < 0.35 * Double(holePixels) * h * h, "lumen area \(area) mm²")
    }

    @Test("gmsh meshes the wall with quadratic triangles, one hole, good quality")
    func wallMesh() throws {
        let mesh = try StressLabeler.mesh(for: ring(), configuration: coarse)
        #expect(mesh.holeCount == 1 && !mesh.holeEdges.isEmpty && !mesh.outerEdges.isEmpty)
        #expect(mesh.minimumScaledJacobian > 0.5)
        let h = coarse.pixelSize
        let exact = Double.pi * (16 * 16 - 8 * 8) * h * h
        #expect(abs(mesh.area - exact) < 0.03 * exact)
    }

    @Test("a valid mask whose wall hangs on one diagonal pixel contact is a typed geometry error, not a crash")
    func diagonalBridge() throws {
        var m = SyntheticMasks.annulus(innerRadius: 10, outerRadius: 15)
        for c in 0..<32 { m.pixels[31 * 64 + c] = 0; m.pixels[32 * 64 + c] = 0 }  // slit through the left wall
        m.pixels[31 * 64 + 19] = 1
        m.pixels[32 * 64 + 20] = 1  // ... bridged by two diagonal neighbours
        try m.validate()
        do {
            _ = try StressLabeler.mesh(for: m, configuration: coarse)
            Issue.record("meshing a wall pinched to a point should fail")
        } catch {
            #expect(error is ContourError || error is MeshError, "\(error)")
        }
    }

    @Test("a one-pixel ring is traced from the unsmoothed mask and carries a much higher hoop stress than a thick one")
    func thinRing() throws {
        let thin = try StressLabeler.stressMap(for: SyntheticMasks.annulus(innerRadius: 12, outerRadius: 13), configuration: coarse)
        let thick = try StressLabeler.stressMap(for: SyntheticMasks.annulus(innerRadius: 12, outerRadius: 18), configuration: coarse)
        let thinPeak = thin.maximumPrincipalStress.max()!, thickPeak = thick.maximumPrincipalStress.max()!
        // Thin-walled estimate σθ ≈ P r / t grows as the wall thins.
        #expect(thinPeak.isFinite && thinPeak > 3 * thickPeak)
    }

    @Test("the mesh can be exported as a gmsh .msh file")
    func export() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vasfem-test-\(getpid()).msh").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try StressLabeler.mesh(for: ring(), configuration: coarse, meshExportPath: path)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasPrefix("$MeshFormat"))
    }
}

@Suite("Pressure waveform")
struct WaveformTests {
    @Test("Data/pressure-waveform.csv tabulates the built-in template")
    func dataFileMatches() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Data/pressure-waveform.csv")
        let table = try PressureWaveform(csv: String(contentsOf: url, encoding: .utf8))
        #expect(table.times.count == 200)
        for (t, s) in zip(table.times, table.shape) { #expect(abs(PressureWaveform.standard.shape(at: t) - s) < 1e-5) }
    }

    @Test("the load path ramps to diastole, then follows the waveform up to exactly the systolic peak")
    func loadPath() {
        let path = PressureWaveform.standard.loadPath(diastolic: 80, systolic: 120, rampSteps: 2, waveformSteps: 3)
        let k = kilopascalsPerMillimeterOfMercury
        #expect(path.count == 5)
        #expect(abs(path[1] - 80 * k) < 1e-12 && abs(path[4] - 120 * k) < 1e-12)
        #expect(zip(path, path.dropFirst()).allSatisfy { $0 < $1 })
        #expect(abs(PressureWaveform.standard.systolicPeakTime - 0.1975) < 0.002)
    }

    @Test("malformed tables are rejected") func malformed() {
        #expect(throws: PressureWaveform.ReadError.malformedLine(2)) { try PressureWaveform(csv: "time,shape\n0.1;0.5\n") }
        #expect(throws: PressureWaveform.ReadError.invalidSamples) { try PressureWaveform(csv: "0,0\n0.5,0.5\n") }
    }
}

@Suite("Stress maps")
struct StressMapTests {
    @Test("a ring's stress map matches the exact tube: hoop stress inside, zero outside the wall")
    func ringAgainstTube() throws {
        var config = coarse
        config.meshSize = 0.4
        config.lumenMeshSize = 0.16
        let mask = ring(10, 16)
        let map = try StressLabeler.stressMap(for: mask, configuration: config)
        let contours = try WallContours(mask: mask, pixelSize: config.pixelSize, spacing: config.contourSpacing)
        let centre = SIMD2(32.0, 32.0) * config.pixelSize
        let a = contours.lumen.map { length($0 - centre) }.reduce(0, +) / Double(contours.lumen.count)
        let b = contours.outer.map { length($0 - centre) }.reduce(0, +) / Double(contours.outer.count)
        let tube = ThickWalledTube(innerRadius: a, outerRadius: b, pressure: map.systolicPressure)
        // The traced borders are circles only up to the pixel staircase (the lumen radius varies by
        // ±0.15 pixel around the ring), which matters most where the hoop stress is steepest, near the
        // lumen: the worst pixel is compared inside the wall, and all pixels on average.
        var worst = 0.0, total = 0.0, count = 0.0
        for k in 0..<(64 * 64) {
            if mask.pixels[k] == 0 { #expect(map.maximumPrincipalStress[k] == 0); continue }
            let x = SIMD2(Double(k % 64) + 0.5, Double(k / 64) + 0.5) * config.pixelSize
            let R = min(max(length(x - centre), a), b)
            let error = abs(Double(map.maximumPrincipalStress[k]) - tube.stresses(atReferenceRadius: R).hoop)
            total += error; count += 1
            if R > a + 0.2 * (b - a) && R < b - 0.2 * (b - a) { worst = max(worst, error) }
        }
        let scale = tube.stresses(atReferenceRadius: a).hoop
        #expect(worst < 0.08 * scale, "worst mid-wall pixel error \(worst) kPa")
        #expect(total / count < 0.03 * scale, "mean pixel error \(total / count) kPa")
        #expect(map.newtonIterations > 0 && map.unknowns > 0)
        // Displacements: radial, r(R) − R, once the supports' rigid motion is removed.
        var displacementError = 0.0
        for k in 0..<(64 * 64) where mask.pixels[k] == 1 {
            let x = SIMD2(Double(k % 64) + 0.5, Double(k / 64) + 0.5) * config.pixelSize
            let R = length(x - centre)
            let expected = (tube.deformedRadius(min(max(R, a), b)) - min(max(R, a), b)) * (x - centre) / R
            let u = SIMD2<Double>(Double(map.displacement[k].x), Double(map.displacement[k].y))
            displacementError = max(displacementError, length(u - expected))
        }
        #expect(displacementError < 0.05 * (tube.deformedInnerRadius - a), "displacement error \(displacementError) mm")
        #expect(map.deformedLumen.count > 10)
        // The lumen dilates: its deformed vertices sit near the exact deformed radius.
        let deformed = map.deformedLumen.map { length($0 - centre) }.reduce(0, +) / Double(map.deformedLumen.count)
        #expect(abs(deformed - tube.deformedInnerRadius) < 0.02 * tube.deformedInnerRadius)
    }

    @Test("translating or rotating an eccentric wall moves its stress map with it")
    func invariance() throws {
        let base = SyntheticMasks.annulus(innerRadius: 8, outerRadius: 17, lumenOffset: SIMD2(3, 1))
        let shifted = WallMask(rows: 64, columns: 64) { r, c in r >= 5 && c >= 3 && base[r - 5, c - 3] == 1 }
        let rotated = WallMask(rows: 64, columns: 64) { r, c in base[c, 63 - r] == 1 }  // 90° rotation
        let m0 = try StressLabeler.stressMap(for: base, configuration: coarse)
        let m1 = try StressLabeler.stressMap(for: shifted, configuration: coarse)
        let m2 = try StressLabeler.stressMap(for: rotated, configuration: coarse)
        let peak = Double(m0.maximumPrincipalStress.max()!)
        var shiftError = 0.0, rotationError = 0.0, count = 0
        for r in 0..<64 {
            for c in 0..<64 where base[r, c] == 1 {
                count += 1
                shiftError += abs(Double(m0.maximumPrincipalStress[r * 64 + c] - m1.maximumPrincipalStress[(r + 5) * 64 + c + 3]))
                rotationError += abs(Double(m0.maximumPrincipalStress[r * 64 + c] - m2.maximumPrincipalStress[(63 - c) * 64 + r]))
            }
        }
        #expect(rotated[63 - 10, 20] == base[20, 10])
        #expect(shiftError / Double(count) < 0.01 * peak)
        #expect(rotationError / Double(count) < 0.02 * peak)
        // The eccentric wall is not a tube: stresses vary around it by more than the tolerances.
        let wall = (0..<(64 * 64)).filter { base.pixels[$0] == 1 }.map { Double(m0.maximumPrincipalStress[$0]) }
        #expect(wall.max()! - wall.min()! > 0.3 * peak)
    }
}

@Suite("LabelingTool conformance")
struct LabelerTests {
    @Test("a batch with bad masks labels the good ones and reports each bad one with its typed error")
    func batch() async throws {
        let labeler = StressLabeler(configuration: coarse, maximumConcurrentMasks: 2)
        var bad = ring()
        bad.pixels[0] = 7
        let samples = [ring(), WallMask(rows: 64, columns: 64) { _, _ in false }, bad, SyntheticMasks.lumpy(seed: 3),
                       WallMask(rows: 3, columns: 3, pixels: [1])]
        let outcomes = try await labeler.label(samples)
        #expect(outcomes.count == 5)
        #expect(outcomes[0].label != nil && outcomes[3].label != nil)
        #expect(outcomes[0].cost.units ?? 0 > 0 && outcomes[0].cost.seconds > 0)
        func maskError(_ o: LabelingOutcome<StressMap>) -> MaskError? {
            if case .failure(let e) = o.result { return e as? MaskError }
            return nil
        }
        #expect(maskError(outcomes[1]) == .empty)
        #expect(maskError(outcomes[2]) == .invalidValue(7, row: 0, column: 0))
        #expect(maskError(outcomes[4])?.statusCode == 1)
        // Same mask, same label, whether alone or in a batch.
        let alone = try StressLabeler.stressMap(for: ring(), configuration: coarse)
        #expect(alone.maximumPrincipalStress == outcomes[0].label!.maximumPrincipalStress)
    }
}

@Suite("VasFEM as SI's labeling tool")
struct SynthesizedWallLabelerTests {
    @Test("generated images are cut at the threshold, labeled in the chosen stress unit, and bad ones fail alone")
    func synthesizedImages() async throws {
        let labeler = StressLabeler(configuration: coarse, maximumConcurrentMasks: 2)
        let tool = SynthesizedWallLabeler(labeler: labeler, threshold: 0.5, stressUnit: 100)
        // A ring drawn as a soft image (0.8 on the wall, 0.2 elsewhere), a speckled image
        // (two wall components), and an image of the wrong size.
        let image = ring().pixels.map { $0 == 1 ? Float(0.8) : 0.2 }
        var speckled = image
        speckled[2 * 64 + 2] = 0.9
        let outcomes = try await tool.label([image, speckled, [0.7, 0.1]])
        let reference = try StressLabeler.stressMap(for: ring(), configuration: coarse)
        let label = try #require(outcomes[0].label)
        #expect(label == reference.maximumPrincipalStress.map { $0 / 100 })
        #expect(label.contains { $0 > 0.1 })
        if case .failure(let error) = outcomes[1].result {
            #expect(error as? MaskError == .severalWallComponents(2))
        } else {
            Issue.record("a speckled mask should fail")
        }
        if case .failure(let error) = outcomes[2].result {
            #expect((error as? MaskError)?.statusCode == 1)
        } else {
            Issue.record("a wrongly sized image should fail")
        }
    }
}
