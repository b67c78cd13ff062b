import Foundation
import Testing
@testable import ImageFiles

// MARK: PNG

@Suite("PNG: encoder and decoder through zlib")
struct PNGTests {
    @Test func roundTripAndChecksums() throws {
        var image = RGBAImage(width: 7, height: 5, fill: (10, 20, 30, 255))
        for k in 0..<(7 * 5) { image.pixels[4 * k] = UInt8(k * 7) }
        let bytes = image.pngData()
        let decoded = try RGBAImage(pngData: bytes)
        #expect(decoded == image)
        // A flipped bit in the IDAT data is caught by its CRC.
        var broken = bytes
        broken[bytes.count - 20] ^= 0x01
        #expect(throws: PNGError.self) { try RGBAImage(pngData: broken) }
        #expect(throws: PNGError.notPNG) { try RGBAImage(pngData: [1, 2, 3]) }
        // A header asking for 30,000 × 30,000 pixels is refused before anything is allocated.
        var huge: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        RGBAImage.appendChunk("IHDR", RGBAImage.bigEndian(30_000) + RGBAImage.bigEndian(30_000) + [8, 6, 0, 0, 0], to: &huge)
        #expect(throws: PNGError.unsupported("size 30000×30000")) { try RGBAImage(pngData: huge) }
        // The IHDR CRC is the standard CRC-32 (check value of "123456789" is 0xCBF43926).
        #expect(PNGImage.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")))
    func pythonZlibReadsOurPNG() throws {
        var image = RGBAImage(width: 33, height: 9)
        for k in 0..<(33 * 9) { image.pixels[4 * k + 1] = UInt8((k * 13) % 256) }
        let path = NSTemporaryDirectory() + "image-files-\(UUID().uuidString).png"
        try Data(image.pngData()).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        // An independent reader: Python's zlib and struct, checking every CRC.
        let script = """
            import sys, struct, zlib
            d = open(sys.argv[1], 'rb').read(); assert d[:8] == b'\\x89PNG\\r\\n\\x1a\\n'; p = 8; idat = b''
            while p < len(d):
                n, = struct.unpack('>I', d[p:p+4]); t = d[p+4:p+8]; body = d[p+8:p+8+n]
                assert zlib.crc32(t + body) == struct.unpack('>I', d[p+8+n:p+12+n])[0], t
                if t == b'IHDR': w, h = struct.unpack('>II', body[:8])
                if t == b'IDAT': idat += body
                p += 12 + n
            raw = zlib.decompress(idat); s = 4 * w
            print(w, h, sum(raw[y*(s+1)+1+4*x+1] for y in range(h) for x in range(w)))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script, path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let expected = (0..<(33 * 9)).reduce(0) { $0 + ($1 * 13) % 256 }
        #expect(process.terminationStatus == 0)
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == "33 9 \(expected)")
    }

    @Test func decodesAllRowFilters() throws {
        // Rows filtered with Sub, Up, Average and Paeth by hand (PNG spec §9), zlib-compressed.
        let width = 3, height = 4
        let rows: [[UInt8]] = (0..<height).map { y in (0..<(3 * width)).map { UInt8(($0 * 37 + y * 11) % 256) } }
        var raw: [UInt8] = []
        for y in 0..<height {
            let filter = UInt8(y + 1)
            raw.append(filter)
            for i in 0..<(3 * width) {
                let a = i >= 3 ? Int(rows[y][i - 3]) : 0, b = y > 0 ? Int(rows[y - 1][i]) : 0
                let c = i >= 3 && y > 0 ? Int(rows[y - 1][i - 3]) : 0
                let p = a + b - c
                let paeth = abs(p - a) <= abs(p - b) && abs(p - a) <= abs(p - c) ? a : abs(p - b) <= abs(p - c) ? b : c
                let predictor = [a, b, (a + b) / 2, paeth][y]
                raw.append(UInt8(truncatingIfNeeded: Int(rows[y][i]) - predictor))
            }
        }
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        RGBAImage.appendChunk("IHDR", RGBAImage.bigEndian(3) + RGBAImage.bigEndian(4) + [8, 2, 0, 0, 0], to: &png)
        RGBAImage.appendChunk("IDAT", RGBAImage.deflate(raw), to: &png)
        RGBAImage.appendChunk("IEND", [], to: &png)
        let decoded = try RGBAImage(pngData: png)
        for y in 0..<height {
            for x in 0..<width {
                let p = decoded.pixel(x: x, y: y)
                #expect([p.red, p.green, p.blue] == Array(rows[y][(3 * x)..<(3 * x + 3)]))
            }
        }
    }

    /// A PNG built chunk by chunk: IHDR for `width` × `height` at `depth` bits, colour type
    /// `colour`, the given filtered rows (filter byte first) deflated into one IDAT.
    func png(width: Int, height: Int, depth: UInt8, colour: UInt8, rows: [UInt8], palette: [UInt8] = []) -> [UInt8] {
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        RGBAImage.appendChunk("IHDR", RGBAImage.bigEndian(UInt32(width)) + RGBAImage.bigEndian(UInt32(height)) + [depth, colour, 0, 0, 0], to: &png)
        if !palette.isEmpty { RGBAImage.appendChunk("PLTE", palette, to: &png) }
        RGBAImage.appendChunk("IDAT", RGBAImage.deflate(rows), to: &png)
        RGBAImage.appendChunk("IEND", [], to: &png)
        return png
    }

    @Test func subByteAndSixteenBitSamples() throws {
        // 1-bit grey, 5 pixels per row packed from the most significant bit: 10110|000, 01001|000.
        let oneBit = try PNGImage(pngData: png(width: 5, height: 2, depth: 1, colour: 0, rows: [0, 0b1011_0000, 0, 0b0100_1000]))
        #expect(oneBit.samples == [1, 0, 1, 1, 0, 0, 1, 0, 0, 1])
        #expect(oneBit.rgba().pixel(x: 0, y: 0).red == 255 && oneBit.rgba().pixel(x: 1, y: 0).red == 0)
        // 2-bit palette indices into a 4-entry palette.
        let palette: [UInt8] = [0, 0, 0, 255, 0, 0, 0, 255, 0, 9, 9, 9]
        let indexed = try PNGImage(pngData: png(width: 4, height: 1, depth: 2, colour: 3, rows: [0, 0b00_01_10_11], palette: palette))
        #expect(indexed.samples == [0, 1, 2, 3])
        #expect(indexed.rgba().pixel(x: 1, y: 0) == (255, 0, 0, 255))
        // 16-bit grey, big-endian, with the Sub filter across 2-byte pixels: 0x0102, 0x0305.
        let sixteen = try PNGImage(pngData: png(width: 2, height: 1, depth: 16, colour: 0, rows: [1, 0x01, 0x02, 0x02, 0x03]))
        #expect(sixteen.samples == [0x0102, 0x0305] && sixteen.maximumSample == 65_535)
        #expect(sixteen.rgba().pixel(x: 1, y: 0).red == 0x03)
    }

    @Test func badFilesGiveTypedErrors() throws {
        // A palette index past the palette, a depth the colour type does not allow, an unknown filter.
        #expect(throws: PNGError.badImageData("palette index 3 out of range (1 entries)")) {
            try PNGImage(pngData: png(width: 1, height: 1, depth: 8, colour: 3, rows: [0, 3], palette: [1, 2, 3]))
        }
        #expect(throws: PNGError.unsupported("bit depth 4 for colour type 2")) {
            try PNGImage(pngData: png(width: 1, height: 1, depth: 4, colour: 2, rows: [0, 0]))
        }
        #expect(throws: PNGError.badImageData("row 0 has filter type 7")) {
            try PNGImage(pngData: png(width: 1, height: 1, depth: 8, colour: 0, rows: [7, 0]))
        }
        // An IHDR cut short is truncated; a chunk running past the end names the chunk.
        var short: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        RGBAImage.appendChunk("IHDR", [0, 0, 0, 64], to: &short)
        #expect(throws: PNGError.truncated(chunk: "IHDR")) { try PNGImage(pngData: short) }
        let whole = png(width: 1, height: 1, depth: 8, colour: 0, rows: [0, 0])
        #expect(throws: PNGError.truncated(chunk: "IEND")) { try PNGImage(pngData: Array(whole.dropLast(2))) }
        // The caller's pixel limit.
        #expect(throws: PNGError.unsupported("size 5×2")) {
            try PNGImage(pngData: png(width: 5, height: 2, depth: 1, colour: 0, rows: [0, 0, 0, 0]), maximumPixels: 9)
        }
    }
}
