import CZlib
import Foundation

/// Why a PNG mask could not be decoded. Supported: non-interlaced grayscale (1, 2, 4, 8,
/// 16 bit), grayscale + alpha, RGB(A) and palette images.
public enum PNGDecodingError: Error, Equatable, CustomStringConvertible {
    /// The PNG signature is missing.
    case notPNG
    /// A chunk runs past the end of the file.
    case truncated
    /// A feature this reader does not handle (interlacing, odd colour types or sizes).
    case unsupported(String)
    /// zlib could not inflate the image data (zlib's code).
    case inflateFailed(Int32)
    /// A row filter type outside 0…4.
    case badFilter(UInt8)

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .notPNG: "not a PNG file"
        case .truncated: "truncated PNG file"
        case .unsupported(let what): "unsupported PNG: \(what)"
        case .inflateFailed(let code): "PNG image data could not be inflated (zlib error \(code))"
        case .badFilter(let f): "PNG row filter \(f) is invalid"
        }
    }
}

/// A minimal PNG reader for single masks: non-interlaced grayscale (1, 2, 4, 8, 16 bit),
/// grayscale + alpha, RGB(A) and palette images, inflated with zlib.
///
/// Each pixel becomes one sample value: the gray level (for colour images, the common
/// value when R = G = B, else 255 so that mask validation reports it; palette entries
/// likewise). Black (0) reads 0; full intensity and the value 1 (masks stored as 0/1)
/// read 1; anything else is kept (at least 2) so that validation rejects it.
enum PNGReader {
    typealias ReadError = PNGDecodingError

    /// Decodes `data` into (rows, columns, mask values).
    static func decode(_ data: Data) throws -> (rows: Int, columns: Int, pixels: [UInt8]) {
        let bytes = [UInt8](data)
        guard bytes.count > 8, bytes[0..<8].elementsEqual([137, 80, 78, 71, 13, 10, 26, 10]) else { throw ReadError.notPNG }
        func be32(_ i: Int) -> Int { Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3]) }
        var i = 8
        var width = 0, height = 0, depth = 0, colour = 0
        var idat: [UInt8] = []
        var palette: [UInt8] = []
        while i + 8 <= bytes.count {
            let length = be32(i)
            let type = String(decoding: bytes[(i + 4)..<(i + 8)], as: UTF8.self)
            guard i + 12 + length <= bytes.count else { throw ReadError.truncated }
            let body = bytes[(i + 8)..<(i + 8 + length)]
            switch type {
            case "IHDR":
                guard length >= 13 else { throw ReadError.truncated }
                width = be32(i + 8); height = be32(i + 12)
                depth = Int(body[body.startIndex + 8]); colour = Int(body[body.startIndex + 9])
                if body[body.startIndex + 12] != 0 { throw ReadError.unsupported("interlaced images") }
            case "PLTE": palette = Array(body)
            case "IDAT": idat += body
            default: break
            }
            i += 12 + length
            if type == "IEND" { break }
        }
        let channels: Int
        switch colour {
        case 0, 3: channels = 1
        case 4: channels = 2
        case 2: channels = 3
        case 6: channels = 4
        default: throw ReadError.unsupported("colour type \(colour)")
        }
        // Each side first, so that the product cannot overflow (sides are read as 32-bit values).
        guard width > 0, height > 0, [1, 2, 4, 8, 16].contains(depth), width <= 1 << 24, height <= 1 << 24,
              width * height <= 1 << 24 else {
            throw ReadError.unsupported("size \(width)×\(height), bit depth \(depth)")
        }
        let bitsPerPixel = channels * depth
        let rowBytes = (width * bitsPerPixel + 7) / 8
        let bpp = max(1, bitsPerPixel / 8)
        var raw = [UInt8](repeating: 0, count: height * (rowBytes + 1))
        var rawLength = UInt(raw.count)
        let status = raw.withUnsafeMutableBufferPointer { out in
            idat.withUnsafeBufferPointer { src in uncompress(out.baseAddress, &rawLength, src.baseAddress, UInt(src.count)) }
        }
        guard status == Z_OK, rawLength == UInt(raw.count) else { throw ReadError.inflateFailed(status) }
        // Undo the per-row filters.
        var image = [UInt8](repeating: 0, count: height * rowBytes)
        for r in 0..<height {
            let filter = raw[r * (rowBytes + 1)]
            for k in 0..<rowBytes {
                let x = raw[r * (rowBytes + 1) + 1 + k]
                let a = k >= bpp ? Int(image[r * rowBytes + k - bpp]) : 0
                let b = r > 0 ? Int(image[(r - 1) * rowBytes + k]) : 0
                let c = (k >= bpp && r > 0) ? Int(image[(r - 1) * rowBytes + k - bpp]) : 0
                let predictor: Int
                switch filter {
                case 0: predictor = 0
                case 1: predictor = a
                case 2: predictor = b
                case 3: predictor = (a + b) / 2
                case 4:
                    let p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    predictor = (pa <= pb && pa <= pc) ? a : (pb <= pc ? b : c)
                default: throw ReadError.badFilter(filter)
                }
                image[r * rowBytes + k] = UInt8(truncatingIfNeeded: Int(x) + predictor)
            }
        }
        // Samples → one value per pixel.
        func sample(_ r: Int, _ c: Int, _ channel: Int) -> Int {
            let bit = (c * channels + channel) * depth
            if depth == 16 { return Int(image[r * rowBytes + bit / 8]) << 8 | Int(image[r * rowBytes + bit / 8 + 1]) }
            let byte = Int(image[r * rowBytes + bit / 8])
            return (byte >> (8 - depth - bit % 8)) & ((1 << depth) - 1)
        }
        let full = (1 << depth) - 1
        var pixels = [UInt8](repeating: 0, count: width * height)
        for r in 0..<height {
            for c in 0..<width {
                var value: Int
                var scale = full
                switch colour {
                case 0, 4: value = sample(r, c, 0)
                case 3:
                    let k = sample(r, c, 0)
                    guard 3 * k + 2 < palette.count else { throw ReadError.unsupported("palette index out of range") }
                    let (red, green, blue) = (palette[3 * k], palette[3 * k + 1], palette[3 * k + 2])
                    value = (red == green && green == blue) ? Int(red) : -1
                    scale = 255
                default:
                    let (red, green, blue) = (sample(r, c, 0), sample(r, c, 1), sample(r, c, 2))
                    value = (red == green && green == blue) ? red : -1
                }
                pixels[r * width + c] = value < 0 ? 255 : value == 0 ? 0 : (value == 1 || value == scale) ? 1 : UInt8(min(255, max(2, value)))
            }
        }
        return (height, width, pixels)
    }
}
