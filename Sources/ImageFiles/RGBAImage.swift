import CZlib

/// An 8-bit RGBA raster image that encodes to and decodes from PNG (zlib streams and
/// CRC-32 through the system zlib).
public struct RGBAImage: Sendable, Hashable {
    /// Width and height, in pixels.
    public let width: Int, height: Int
    /// Row-major RGBA bytes, 4 per pixel, top row first.
    public var pixels: [UInt8]

    /// An image of `width` × `height` pixels filled with `fill` (RGBA bytes).
    public init(width: Int, height: Int, fill: (UInt8, UInt8, UInt8, UInt8) = (255, 255, 255, 255)) {
        precondition(width > 0 && height > 0, "RGBAImage: width and height must be positive")
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 4)
        for i in 0..<(width * height) {
            pixels[4 * i] = fill.0; pixels[4 * i + 1] = fill.1; pixels[4 * i + 2] = fill.2; pixels[4 * i + 3] = fill.3
        }
    }

    /// An image from row-major RGBA bytes (`width · height · 4` of them).
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0 && pixels.count == width * height * 4,
                     "RGBAImage: \(pixels.count) bytes for \(width)×\(height) pixels")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The pixel at column `x`, row `y`, as RGBA bytes.
    public func pixel(x: Int, y: Int) -> (red: UInt8, green: UInt8, blue: UInt8, alpha: UInt8) {
        let k = 4 * (y * width + x)
        return (pixels[k], pixels[k + 1], pixels[k + 2], pixels[k + 3])
    }

    // MARK: Encoding

    /// The PNG file: 8-bit RGBA (colour type 6), filter 0 (none) on every row, one IDAT.
    public func pngData() -> [UInt8] {
        var raw = [UInt8]()
        raw.reserveCapacity(height * (1 + 4 * width))
        for y in 0..<height {
            raw.append(0)
            raw.append(contentsOf: pixels[(4 * width * y)..<(4 * width * (y + 1))])
        }
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header = [UInt8]()
        header += Self.bigEndian(UInt32(width)) + Self.bigEndian(UInt32(height))
        header += [8, 6, 0, 0, 0]  // bit depth 8, RGBA, deflate, filter method 0, no interlace
        Self.appendChunk("IHDR", header, to: &out)
        Self.appendChunk("IDAT", Self.deflate(raw), to: &out)
        Self.appendChunk("IEND", [], to: &out)
        return out
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    static func appendChunk(_ type: String, _ data: [UInt8], to out: inout [UInt8]) {
        let typeBytes = Array(type.utf8)
        out += bigEndian(UInt32(data.count))
        let body = typeBytes + data
        out += body
        out += bigEndian(PNGImage.crc32(body))
    }

    /// A zlib stream of `bytes` (level 6).
    static func deflate(_ bytes: [UInt8]) -> [UInt8] {
        var length = compressBound(uLong(bytes.count))
        var out = [UInt8](repeating: 0, count: Int(length))
        let status = out.withUnsafeMutableBufferPointer { o in
            bytes.withUnsafeBufferPointer { i in compress2(o.baseAddress, &length, i.baseAddress, uLong(i.count), 6) }
        }
        precondition(status == Z_OK, "zlib compress2 failed with status \(status)")
        return Array(out[0..<Int(length)])
    }

    // MARK: Decoding

    /// Decodes a PNG file of any colour type and bit depth into 8-bit RGBA (see
    /// ``PNGImage/rgba()``); chunks' CRCs are checked.
    public init(pngData data: [UInt8]) throws(PNGError) {
        self = try PNGImage(pngData: data).rgba()
    }
}
