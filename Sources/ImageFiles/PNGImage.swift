import CZlib

/// Why PNG bytes could not be decoded.
public enum PNGError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The bytes do not start with the PNG signature.
    case notPNG
    /// A chunk runs past the end of the data (or the header chunk is shorter than 13 bytes).
    case truncated(chunk: String)
    /// A chunk's CRC-32 does not match its bytes.
    case badChecksum(chunk: String)
    /// The header asks for something this decoder does not read (bit depth, colour type,
    /// interlacing, a size beyond the limit).
    case unsupported(String)
    /// The image data is not a valid zlib stream, inflates to the wrong size, uses an
    /// unknown row filter or a palette index out of range.
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

/// A decoded PNG file: its samples as stored, before any colour conversion.
///
/// Reads every non-interlaced PNG the standard allows: greyscale at 1, 2, 4, 8 or 16 bits,
/// RGB, grey + alpha and RGBA at 8 or 16 bits, palette images at 1, 2, 4 or 8 bits, any row
/// filters. Every chunk's CRC-32 is checked, and a header asking for more than
/// `maximumPixels` pixels is refused before anything is allocated. Callers decide what the
/// samples mean: VasFEM reads mask values (``sample(x:y:channel:)``), the figures read
/// ``rgba()``.
public struct PNGImage: Sendable, Hashable {
    /// The PNG colour types.
    public enum ColourType: Int, Sendable, Hashable {
        /// One grey sample per pixel.
        case greyscale = 0
        /// Red, green, blue.
        case rgb = 2
        /// One palette index per pixel (see ``PNGImage/palette``).
        case palette = 3
        /// Grey, then alpha.
        case greyscaleAlpha = 4
        /// Red, green, blue, alpha.
        case rgba = 6

        /// Samples per pixel.
        public var channels: Int {
            switch self {
            case .greyscale, .palette: 1
            case .greyscaleAlpha: 2
            case .rgb: 3
            case .rgba: 4
            }
        }

        /// The bit depths the standard allows for this colour type.
        var allowedDepths: [Int] {
            switch self {
            case .greyscale: [1, 2, 4, 8, 16]
            case .palette: [1, 2, 4, 8]
            default: [8, 16]
            }
        }
    }

    /// Width and height, in pixels.
    public let width: Int, height: Int
    /// Bits per sample (1, 2, 4, 8 or 16).
    public let bitDepth: Int
    /// How the samples are to be read.
    public let colourType: ColourType
    /// Row-major samples, ``ColourType/channels`` per pixel, top row first, each in
    /// 0...``maximumSample`` (palette indices for palette images).
    public let samples: [UInt16]
    /// The PLTE chunk: RGB triples (empty when there is none).
    public let palette: [UInt8]
    /// The tRNS chunk as stored (alpha per palette entry for palette images; empty when none).
    public let transparency: [UInt8]

    /// The largest sample value, 2^bitDepth − 1.
    public var maximumSample: Int { (1 << bitDepth) - 1 }

    /// Sample `channel` of the pixel at column `x`, row `y`.
    public func sample(x: Int, y: Int, channel: Int = 0) -> Int {
        Int(samples[(y * width + x) * colourType.channels + channel])
    }

    /// Decodes a PNG file.
    ///
    /// - Parameters:
    ///   - data: the file's bytes.
    ///   - maximumPixels: the most pixels (width × height) a header may ask for.
    public init(pngData data: [UInt8], maximumPixels: Int = 1 << 26) throws(PNGError) {
        guard data.count >= 8, data[0..<8].elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else {
            throw .notPNG
        }
        func readUInt32(_ at: Int) -> Int {
            Int(data[at]) << 24 | Int(data[at + 1]) << 16 | Int(data[at + 2]) << 8 | Int(data[at + 3])
        }
        var offset = 8
        var width = 0, height = 0, depth = 0
        var colour: ColourType?
        var compressed = [UInt8](), palette = [UInt8](), transparency = [UInt8]()
        while offset + 8 <= data.count {
            let length = readUInt32(offset)
            let type = String(decoding: data[(offset + 4)..<(offset + 8)], as: UTF8.self)
            guard offset + 12 + length <= data.count else { throw .truncated(chunk: type) }
            let body = Array(data[(offset + 4)..<(offset + 8 + length)])  // type and content, as the CRC covers
            guard Self.crc32(body) == UInt32(readUInt32(offset + 8 + length)) else { throw .badChecksum(chunk: type) }
            let content = body[4...]
            switch type {
            case "IHDR":
                guard length >= 13 else { throw .truncated(chunk: type) }
                guard length == 13 else { throw .unsupported("IHDR of \(length) bytes") }
                let c = Array(content)
                width = Int(c[0]) << 24 | Int(c[1]) << 16 | Int(c[2]) << 8 | Int(c[3])
                height = Int(c[4]) << 24 | Int(c[5]) << 16 | Int(c[6]) << 8 | Int(c[7])
                depth = Int(c[8])
                guard let type = ColourType(rawValue: Int(c[9])) else { throw .unsupported("colour type \(c[9])") }
                guard type.allowedDepths.contains(depth) else { throw .unsupported("bit depth \(depth) for colour type \(type.rawValue)") }
                guard c[12] == 0 else { throw .unsupported("interlaced image") }
                // Each side first, so that the product cannot overflow: a corrupt header must not
                // allocate the machine away.
                guard width > 0, height > 0, width <= 1 << 24, height <= 1 << 24, width * height <= maximumPixels else {
                    throw .unsupported("size \(width)×\(height)")
                }
                colour = type
            case "PLTE": palette = Array(content)
            case "tRNS": transparency = Array(content)
            case "IDAT": compressed += content
            case "IEND": offset = data.count; continue
            default: break
            }
            offset += 12 + length
        }
        guard let colour else { throw .unsupported("no IHDR chunk") }
        let channels = colour.channels
        let rowBytes = (width * channels * depth + 7) / 8
        let bytesPerPixel = max(1, channels * depth / 8)  // the filters' left neighbour distance
        let raw = try Self.inflate(compressed, expectedCount: height * (rowBytes + 1))
        var rows = [UInt8](repeating: 0, count: height * rowBytes)
        for y in 0..<height {
            let filter = raw[y * (rowBytes + 1)]
            for i in 0..<rowBytes {
                let x = raw[y * (rowBytes + 1) + 1 + i]
                let a = i >= bytesPerPixel ? Int(rows[y * rowBytes + i - bytesPerPixel]) : 0
                let b = y > 0 ? Int(rows[(y - 1) * rowBytes + i]) : 0
                let c = (i >= bytesPerPixel && y > 0) ? Int(rows[(y - 1) * rowBytes + i - bytesPerPixel]) : 0
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
                rows[y * rowBytes + i] = UInt8(truncatingIfNeeded: Int(x) + predictor)
            }
        }
        // Unpack the samples: sub-byte depths are packed from the most significant bit,
        // 16-bit samples are big-endian.
        var samples = [UInt16](repeating: 0, count: width * height * channels)
        let perRow = width * channels, mask = (1 << depth) - 1
        for y in 0..<height {
            let row = y * rowBytes
            for k in 0..<perRow {
                let value: Int
                switch depth {
                case 16: value = Int(rows[row + 2 * k]) << 8 | Int(rows[row + 2 * k + 1])
                case 8: value = Int(rows[row + k])
                default:
                    let bit = k * depth
                    value = (Int(rows[row + bit / 8]) >> (8 - depth - bit % 8)) & mask
                }
                samples[y * perRow + k] = UInt16(value)
            }
        }
        if colour == .palette, let largest = samples.max(), 3 * Int(largest) + 2 >= palette.count {
            throw .badImageData("palette index \(largest) out of range (\(palette.count / 3) entries)")
        }
        self.width = width
        self.height = height
        self.bitDepth = depth
        self.colourType = colour
        self.samples = samples
        self.palette = palette
        self.transparency = transparency
    }

    /// The image as 8-bit RGBA: grey and colour samples scaled to 0...255 (16-bit samples
    /// keep their high byte), palette entries looked up with their tRNS alpha; alpha 255
    /// where the file has none.
    public func rgba() -> RGBAImage {
        let channels = colourType.channels
        let full = maximumSample
        func byte(_ value: UInt16) -> UInt8 {
            bitDepth == 16 ? UInt8(value >> 8) : UInt8(Int(value) * 255 / full)
        }
        var out = [UInt8](repeating: 255, count: width * height * 4)
        for p in 0..<(width * height) {
            let s = p * channels
            switch colourType {
            case .greyscale, .greyscaleAlpha:
                let g = byte(samples[s])
                out[4 * p] = g; out[4 * p + 1] = g; out[4 * p + 2] = g
                if colourType == .greyscaleAlpha { out[4 * p + 3] = byte(samples[s + 1]) }
            case .rgb, .rgba:
                for k in 0..<channels { out[4 * p + k] = byte(samples[s + k]) }
            case .palette:
                let index = Int(samples[s])
                for k in 0..<3 { out[4 * p + k] = palette[3 * index + k] }
                if index < transparency.count { out[4 * p + 3] = transparency[index] }
            }
        }
        return RGBAImage(width: width, height: height, pixels: out)
    }

    /// The CRC-32 of PNG chunks (zlib's `crc32`).
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { UInt32(CZlib.crc32(0, $0.baseAddress, uInt($0.count))) }
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
