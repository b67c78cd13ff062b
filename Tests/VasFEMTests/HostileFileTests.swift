import Foundation
import Testing
@testable import ImageFiles
@testable import VasFEM

/// Mask files crafted to break the readers: each must give a typed error, never trap.
@Suite("Hostile mask files")
struct HostileFileTests {
    /// A PNG of just a signature and one chunk, with its correct CRC-32 (so that the reader
    /// gets past the checksum to the content).
    func png(chunk type: String, _ body: [UInt8]) -> Data {
        var bytes: [UInt8] = [137, 80, 78, 71, 13, 10, 26, 10]
        RGBAImage.appendChunk(type, body, to: &bytes)
        return Data(bytes)
    }

    @Test func pngWithHugeSidesIsRejected() {
        // 0xFFFFFFFF × 0xFFFFFFFF overflowed Int in the size check.
        let ihdr: [UInt8] = [255, 255, 255, 255, 255, 255, 255, 255, 8, 0, 0, 0, 0]
        #expect(throws: PNGError.unsupported("size 4294967295×4294967295")) { try WallMask(png: png(chunk: "IHDR", ihdr)) }
    }

    @Test func pngWithAShortHeaderChunkIsRejected() {
        // An IHDR of 4 bytes was read past its end.
        #expect(throws: PNGError.truncated(chunk: "IHDR")) { try WallMask(png: png(chunk: "IHDR", [0, 0, 0, 64])) }
    }

    @Test func pgmWithHugeSidesIsRejected() {
        // w·h overflowed Int.
        #expect(throws: MaskFileError.self) { try WallMask(pgm: Data("P5 9223372036854775807 9 255\n".utf8)) }
        #expect(throws: MaskFileError.self) { try WallMask(pgm: Data("P2 4294967296 4294967296 1\n0".utf8)) }
    }

    @Test func fileErrorsNameTheFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in ["bad.png", "bad.pgm", "bad.txt", "missing.png"] {
            let path = folder.appendingPathComponent(name).path
            if name != "missing.png" { try Data([0xFF, 0xFE, 0x00, 0x01]).write(to: URL(fileURLWithPath: path)) }
            do {
                _ = try WallMask(contentsOfFile: path)
                Issue.record("\(name) was read")
            } catch let error as MaskFileError {
                guard case .unreadable(let file, _) = error else { Issue.record("\(error)"); continue }
                #expect(file == path && "\(error)".contains(name) && !"\(error)".contains("\n"))
            }
        }
    }
}
