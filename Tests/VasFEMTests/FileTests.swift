import Foundation
import HDF5Store
import ImageFiles
import Testing
@testable import VasFEM

/// Small PNG files of the ring 9 < r ≤ 16 pixels around (32, 32), written by an independent
/// Python encoder (zlib + struct): 1-bit gray; RGBA with every row filter (None, Sub, Up,
/// Average, Paeth in turn); 8-bit palette.
enum PNGFixtures {
    static let m1 = "iVBORw0KGgoAAAANSUhEUgAAAEAAAABAAQAAAACCEkxzAAAAbElEQVR4nM2Quw3AIAxEjSgoMwKjZDQYjVEYISVFlIvkI0edDgvJD8mfO5vtF8c1oTzMAagOEWgOCeisBVidgeFwjnwTeiKUFjmo1DDBjAB/5t/yH9SugWvFt1QyJExSJV52ZFCWdYR1lp3iBfwJQq9QuwD3AAAAAElFTkSuQmCC"
    static let mfilters = "iVBORw0KGgoAAAANSUhEUgAAAEAAAABACAYAAACqaXHeAAABs0lEQVR4nO2aDYrCMBSE012Pugdpb7e3qj52AyLSps38RPoGBgQ1mZj28yVpKaX8XtnT/4vL6ssdwK3vh3/cIZy6uQOMIDuInE4IugO4lRB0BxhBdhA5nRB0B3ArIegOMILsIHJaDsF1XTffn6ZJlORPEgjGoKuRn0WICsEYxDzPp78f3w0vy4IL9SIaBJEzGG0xbw04WB6BKWZkhUOQfe+irwQoBBXgQvcBg+CRYDGLAbZXtwITCUZpJbh3+db3VX+BVRLojdDmO0MgyKruFFUjvRLsCakoi7shuDdLvbDaAiMChlQIImYw2mBDkQbA3rYVfXRDcGt2UPcws4/cEyydENyCFKpaY/aRe4KFXAWO3j69EuyFFBuydAj2/IcrFkWQ5fDeMvZMxdYyeARkIRBsqdaO7Ou1DB65TqBXa63gcuwPQvcEVRsZyNmHQlCxfEX3AT8YObK3d1SMH5hSCTKWsB91MFI98oFIteR0+OzVoGCKZDkcA6lGfhYh+SMy7w5Enq1WLocLETCf4HxO0B3ArXxO0B1gBNlB5HRC0B3ArYSgO8AIsoPI6YSgO4Bbl4fgHWZKde9Viv7cAAAAAElFTkSuQmCC"
    static let mpal = "iVBORw0KGgoAAAANSUhEUgAAAEAAAABACAMAAACdt4HsAAAABlBMVEUAAAD///+l2Z/dAAAAdklEQVR4nO2VMQrAMAwDk/9/ukuXYgckX+lS3Risw5DEXiuEEAT2DUsPHbtA856hyzuGPq8bTnnVUAKuoam2BG2xY+hLfYF4rDZgtHCsi+B7wfwa8UN67SnPPxP+znyg4JHGhyof63yx8NVWFHb84ZilQwh/4wK2vwItQp0wDgAAAABJRU5ErkJggg=="
}

@Suite("Mask files")
struct MaskFileTests {
    let expected = SyntheticMasks.annulus(innerRadius: 9, outerRadius: 16)

    @Test("PNG: 1-bit gray, RGBA with all five row filters, palette", arguments: [PNGFixtures.m1, PNGFixtures.mfilters, PNGFixtures.mpal])
    func png(_ base64: String) throws {
        let mask = try WallMask(png: try #require(Data(base64Encoded: base64)))
        #expect(mask == expected)
    }

    @Test("PNG errors are typed") func pngErrors() {
        #expect(throws: PNGError.notPNG) { try WallMask(png: Data("P2 1 1 1 0".utf8)) }
        var truncated = Data(base64Encoded: PNGFixtures.m1)!
        truncated.removeLast(40)
        #expect(throws: PNGError.self) { try WallMask(png: truncated) }
    }

    @Test("text grid and PGM (P2, P5)") func textAndPGM() throws {
        let rows = (0..<64).map { r in String((0..<64).map { expected[r, $0] == 1 ? "1" : "0" }) }
        #expect(try WallMask(textGrid: rows.joined(separator: "\n")) == expected)
        let p2 = "P2\n# ring\n64 64\n255\n" + expected.pixels.map { String(Int($0) * 255) }.joined(separator: " ")
        #expect(try WallMask(pgm: Data(p2.utf8)) == expected)
        let p5 = Data("P5 64 64 255\n".utf8) + Data(expected.pixels.map { $0 * 255 })
        #expect(try WallMask(pgm: p5) == expected)
        #expect(throws: MaskFileError.malformed("rows of unequal length")) { try WallMask(textGrid: "010\n01\n") }
        // A gray level that is neither black nor white survives for validation to report.
        let odd = try WallMask(pgm: Data("P2 2 1 255 0 128".utf8))
        #expect(odd.pixels == [0, 128])
    }
}

@Suite("HDF5 batches")
struct HDF5BatchTests {
    @Test("labelHDF5 writes stress, von Mises, displacement, per-mask status and messages, accounting, and the settings")
    func roundTrip() async throws {
        let dir = FileManager.default.temporaryDirectory
        let input = dir.appendingPathComponent("vasfem-in-\(getpid()).h5").path
        let output = dir.appendingPathComponent("vasfem-out-\(getpid()).h5").path
        defer { try? FileManager.default.removeItem(atPath: input); try? FileManager.default.removeItem(atPath: output) }
        let good = SyntheticMasks.annulus(innerRadius: 8, outerRadius: 15)
        let noLumen = SyntheticMasks.annulus(innerRadius: 0, outerRadius: 15)
        do {
            let file = try HDF5File(path: input, mode: .truncate)
            try file.createDataset("masks", values: good.pixels + noLumen.pixels, shape: [2, 64, 64])
        }
        let summary = try await StressLabeler(configuration: coarse, maximumConcurrentMasks: 2).labelHDF5(input: input, output: output)
        #expect(summary.masks == 2 && summary.solved == 1 && summary.failed == 1 && summary.labeledNow == 2 && summary.status == [0, 7])
        let file = try HDF5File(path: output, mode: .readOnly)
        let stress = try file.dataset("stress")
        #expect(try stress.shape == [2, 64, 64])
        #expect(try stress.stringAttribute("units") == "kPa")
        let values = try stress.read(as: Float.self)
        let direct = try StressLabeler.stressMap(for: good, configuration: coarse)
        #expect(Array(values[0..<4096]) == direct.maximumPrincipalStress)
        #expect(values[4096...].allSatisfy { $0 == 0 })
        #expect(try file.dataset("von_mises").read(as: Float.self).count == 2 * 4096)
        #expect(try file.dataset("displacement").shape == [2, 64, 64, 2])
        let status = try file.dataset("status")
        #expect(try status.read(as: Int32.self) == [0, 7])
        let messages = try file.dataset("messages").read(as: UInt8.self)
        #expect(messages.count == 2 * LabelStore.messageWidth)
        #expect(messages[..<LabelStore.messageWidth].allSatisfy { $0 == 0 })
        #expect(String(decoding: messages[LabelStore.messageWidth...].prefix { $0 != 0 }, as: UTF8.self) == MaskError.noLumen.description)
        #expect(try file.dataset("newton_iterations").read(as: Int32.self)[0] == Int32(direct.newtonIterations))
        #expect(try file.dataset("rank").read(as: Int32.self) == [0, 0])
        #expect(try file.dataset("shard").read(as: Int32.self) == [0, 0])
        #expect(try file.dataset("seconds").read(as: Double.self).allSatisfy { $0 > 0 })
        #expect(try file.doubleAttribute("systolic_mmHg") == 120)
        #expect(try file.doubleAttribute("mesh_size_mm") == coarse.meshSize)
    }
}
