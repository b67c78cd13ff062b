import CZlib

/// Why PNG bytes could not be decoded.
public enum PNGError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The bytes do not start with the PNG signature.
    case notPNG
    /// A chunk runs past the end of the data.
    case truncated(chunk: String)
    /// A chunk's CRC-32 does not match its bytes.
    case badChecksum(chunk: String)
    /// The header asks for something this decoder does not read (bit depth, colour type, interlacing).
    case unsupported(String)
    /// The image data is not a valid zlib stream, or inflates to the wrong size.
    case badImageData(String)

    /// A one-line message.
    public var description: String {
        switch self {
        case .notPNG: "not a PNG file (bad signature)"
        case .truncated(let chunk): "PNG chunk \(chunk) is truncated"
        case .badChecksum(let chunk): "PNG chunk \(chunk) has a bad CRC-32"
        case .unsupported(let what): "unsupported PNG: \(what)"
        case .badImageData(let why): "bad PNG image data: \(why)"
        }
    }
}

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
        out += bigEndian(crc32(body))
    }

    /// The CRC-32 of PNG chunks (zlib's `crc32`).
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { UInt32(CZlib.crc32(0, $0.baseAddress, uInt($0.count))) }
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

    /// Decodes a PNG file: 8-bit greyscale, grey + alpha, RGB, RGBA or palette images, not
    /// interlaced, any row filters. Chunks' CRCs are checked.
    public init(pngData data: [UInt8]) throws(PNGError) {
        guard data.count >= 8, Array(data[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else { throw .notPNG }
        var offset = 8
        var width = 0, height = 0, colourType = -1
        var compressed = [UInt8](), palette = [UInt8](), transparency = [UInt8]()
        func readUInt32(_ at: Int) -> Int {
            Int(data[at]) << 24 | Int(data[at + 1]) << 16 | Int(data[at + 2]) << 8 | Int(data[at + 3])
        }
        while offset + 8 <= data.count {
            let length = readUInt32(offset)
            let type = String(decoding: data[(offset + 4)..<(offset + 8)], as: UTF8.self)
            guard length >= 0, offset + 12 + length <= data.count else { throw .truncated(chunk: type) }
            let body = Array(data[(offset + 4)..<(offset + 8 + length)])
            guard Self.crc32(body) == UInt32(readUInt32(offset + 8 + length)) else { throw .badChecksum(chunk: type) }
            let content = body.dropFirst(4)
            switch type {
            case "IHDR":
                guard length == 13 else { throw .unsupported("IHDR of \(length) bytes") }
                let c = Array(content)
                width = Int(c[0]) << 24 | Int(c[1]) << 16 | Int(c[2]) << 8 | Int(c[3])
                height = Int(c[4]) << 24 | Int(c[5]) << 16 | Int(c[6]) << 8 | Int(c[7])
                guard c[8] == 8 else { throw .unsupported("bit depth \(c[8])") }
                colourType = Int(c[9])
                guard [0, 2, 3, 4, 6].contains(colourType) else { throw .unsupported("colour type \(colourType)") }
                guard c[12] == 0 else { throw .unsupported("interlaced image") }
                // At most 2²⁶ pixels (256 MiB of RGBA): a corrupt header must not allocate the machine away.
                guard width > 0, height > 0, width <= 1 << 15, height <= 1 << 15, width * height <= 1 << 26 else {
                    throw .unsupported("size \(width)×\(height)")
                }
            case "PLTE": palette = Array(content)
            case "tRNS": transparency = Array(content)
            case "IDAT": compressed += content
            case "IEND": offset = data.count; continue
            default: break
            }
            offset += 12 + length
        }
        guard colourType >= 0 else { throw .unsupported("no IHDR chunk") }
        let channels = [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][colourType]!
        let stride = width * channels
        let expected = height * (stride + 1)
        let raw = try Self.inflate(compressed, expectedCount: expected)
        var rows = [UInt8](repeating: 0, count: height * stride)
        for y in 0..<height {
            let filter = raw[y * (stride + 1)]
            for i in 0..<stride {
                let x = raw[y * (stride + 1) + 1 + i]
                let a = i >= channels ? Int(rows[y * stride + i - channels]) : 0
                let b = y > 0 ? Int(rows[(y - 1) * stride + i]) : 0
                let c = (i >= channels && y > 0) ? Int(rows[(y - 1) * stride + i - channels]) : 0
                let predictor: Int
                switch filter {
                case 0: predictor = 0
                case 1: predictor = a
                case 2: predictor = b
                case 3: predictor = (a + b) / 2
                case 4:
                    let p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c
                default: throw .badImageData("row \(y) has filter type \(filter)")
                }
                rows[y * stride + i] = UInt8(truncatingIfNeeded: Int(x) + predictor)
            }
        }
        var rgba = [UInt8](repeating: 255, count: width * height * 4)
        for p in 0..<(width * height) {
            let s = p * channels
            switch colourType {
            case 0: rgba[4 * p] = rows[s]; rgba[4 * p + 1] = rows[s]; rgba[4 * p + 2] = rows[s]
            case 4: rgba[4 * p] = rows[s]; rgba[4 * p + 1] = rows[s]; rgba[4 * p + 2] = rows[s]; rgba[4 * p + 3] = rows[s + 1]
            case 2: for k in 0..<3 { rgba[4 * p + k] = rows[s + k] }
            case 6: for k in 0..<4 { rgba[4 * p + k] = rows[s + k] }
            default:
                let index = Int(rows[s])
                guard 3 * index + 2 < palette.count else { throw .badImageData("palette index \(index) out of range") }
                for k in 0..<3 { rgba[4 * p + k] = palette[3 * index + k] }
                if index < transparency.count { rgba[4 * p + 3] = transparency[index] }
            }
        }
        self.init(width: width, height: height, pixels: rgba)
    }

    /// Inflates a zlib stream that must hold exactly `expectedCount` bytes.
    static func inflate(_ bytes: [UInt8], expectedCount: Int) throws(PNGError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: expectedCount + 1)
        var length = uLongf(out.count)
        let status = out.withUnsafeMutableBufferPointer { o in
            bytes.withUnsafeBufferPointer { i in uncompress(o.baseAddress, &length, i.baseAddress, uLong(i.count)) }
        }
        guard status == Z_OK else { throw .badImageData("zlib status \(status)") }
        guard Int(length) == expectedCount else { throw .badImageData("\(length) bytes inflated, \(expectedCount) expected") }
        return Array(out[0..<expectedCount])
    }
}
