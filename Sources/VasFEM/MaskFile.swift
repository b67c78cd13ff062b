import Foundation
import ImageFiles

/// Why a mask file could not be read.
public enum MaskFileError: Error, Equatable, CustomStringConvertible {
    /// The file name has none of the extensions .png, .txt, .pgm.
    case unsupportedFormat(String)
    /// The file's contents do not follow its format.
    case malformed(String)
    /// The file could not be read as a mask: missing, unreadable, or not valid in its
    /// format (`reason` is the underlying error's message).
    case unreadable(file: String, reason: String)

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .unsupportedFormat(let p): "\(p): unsupported mask format (use .h5, .png, .txt or .pgm)"
        case .malformed(let why): "malformed mask file: \(why)"
        case .unreadable(let file, let reason): "\(file): cannot read the mask: \(reason)"
        }
    }
}

extension WallMask {
    /// Reads one mask from a file: `.png` (see ``init(png:)``), `.txt` (``init(textGrid:)``)
    /// or `.pgm` (``init(pgm:)``). Pixel values other than 0/1 are kept, for ``validate(rows:columns:)`` to report.
    ///
    /// - Throws: ``MaskFileError/unsupportedFormat(_:)`` for another extension, and
    ///   ``MaskFileError/unreadable(file:reason:)`` naming the file for anything else (the
    ///   file system's error, ``MaskFileError/malformed(_:)``, `PNGError` from ImageFiles).
    public init(contentsOfFile path: String) throws {
        let lower = path.lowercased()
        guard [".txt", ".pgm", ".png"].contains(where: { lower.hasSuffix($0) }) else {
            throw MaskFileError.unsupportedFormat(path)
        }
        do {
            self = try WallMask(decoding: Data(contentsOf: URL(fileURLWithPath: path)), lowercasedPath: lower)
        } catch {
            throw MaskFileError.unreadable(file: path, reason: "\(error)")
        }
    }

    private init(decoding data: Data, lowercasedPath lower: String) throws {
        if lower.hasSuffix(".txt") {
            guard let text = String(data: data, encoding: .utf8) else { throw MaskFileError.malformed("not UTF-8 text") }
            self = try WallMask(textGrid: text)
        } else if lower.hasSuffix(".pgm") {
            self = try WallMask(pgm: data)
        } else if lower.hasSuffix(".png") {
            self = try WallMask(png: data)
        } else {
            throw MaskFileError.unsupportedFormat(lower)
        }
    }

    /// Reads a text grid: one line per row, one character 0/1 per pixel (spaces and commas
    /// between them are ignored; other characters read as 255).
    public init(textGrid text: String) throws {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.filter { !$0.isWhitespace && $0 != "," } }.filter { !$0.isEmpty }
        guard let width = lines.first?.count, lines.allSatisfy({ $0.count == width }) else {
            throw MaskFileError.malformed("rows of unequal length")
        }
        let pixels = lines.flatMap { $0.map { c -> UInt8 in c.wholeNumberValue.map { UInt8(clamping: $0) } ?? 255 } }
        self.init(rows: lines.count, columns: width, pixels: pixels)
    }

    /// Decodes a PNG image: any non-interlaced PNG (grey at 1–16 bits, grey + alpha, RGB(A),
    /// palette; `PNGImage` from ImageFiles), throwing `PNGError` for a bad file.
    ///
    /// Each pixel becomes one mask value: the grey level (for colour and palette pixels, the
    /// common value when R = G = B, else 255 so that mask validation reports it; alpha is
    /// ignored). Black (0) reads 0; full intensity and the value 1 (masks stored as 0/1) read
    /// 1; anything else is kept (at least 2) so that validation rejects it.
    public init(png data: Data) throws {
        let image = try PNGImage(pngData: [UInt8](data), maximumPixels: 1 << 24)
        var pixels = [UInt8](repeating: 0, count: image.width * image.height)
        for y in 0..<image.height {
            for x in 0..<image.width {
                var value: Int, full = image.maximumSample
                switch image.colourType {
                case .greyscale, .greyscaleAlpha:
                    value = image.sample(x: x, y: y)
                case .palette:
                    let k = 3 * image.sample(x: x, y: y)
                    let (red, green, blue) = (image.palette[k], image.palette[k + 1], image.palette[k + 2])
                    value = red == green && green == blue ? Int(red) : -1
                    full = 255
                case .rgb, .rgba:
                    let (red, green, blue) = (image.sample(x: x, y: y, channel: 0), image.sample(x: x, y: y, channel: 1),
                                              image.sample(x: x, y: y, channel: 2))
                    value = red == green && green == blue ? red : -1
                }
                pixels[y * image.width + x] =
                    value < 0 ? 255 : value == 0 ? 0 : (value == 1 || value == full) ? 1 : UInt8(min(255, max(2, value)))
            }
        }
        self.init(rows: image.height, columns: image.width, pixels: pixels)
    }

    /// Decodes an 8-bit PGM image (P2 text or P5 binary): 0 reads 0, maxval reads 1,
    /// other values are kept.
    public init(pgm data: Data) throws {
        let bytes = [UInt8](data)
        var i = 0
        func token() throws -> String {
            while i < bytes.count {
                if bytes[i] == UInt8(ascii: "#") { while i < bytes.count && bytes[i] != 10 { i += 1 } }
                else if bytes[i] == 32 || bytes[i] == 10 || bytes[i] == 13 || bytes[i] == 9 { i += 1 } else { break }
            }
            let start = i
            while i < bytes.count && !(bytes[i] == 32 || bytes[i] == 10 || bytes[i] == 13 || bytes[i] == 9) { i += 1 }
            guard i > start else { throw MaskFileError.malformed("truncated PGM header") }
            return String(decoding: bytes[start..<i], as: UTF8.self)
        }
        let magic = try token()
        guard magic == "P2" || magic == "P5", let w = Int(try token()), let h = Int(try token()), let maxval = Int(try token()),
              w > 0, h > 0, maxval > 0, maxval < 256 else { throw MaskFileError.malformed("bad PGM header (8-bit P2/P5 only)") }
        // Each side first, so that w·h cannot overflow.
        guard w <= 1 << 14, h <= 1 << 14 else { throw MaskFileError.malformed("PGM image of \(w)×\(h) pixels is too large") }
        var values: [Int] = []
        if magic == "P5" {
            i += 1
            guard bytes.count - i >= w * h else { throw MaskFileError.malformed("truncated PGM data") }
            values = bytes[i..<(i + w * h)].map { Int($0) }
        } else {
            for _ in 0..<(w * h) { guard let v = Int(try token()) else { throw MaskFileError.malformed("bad PGM value") }; values.append(v) }
        }
        let pixels = values.map { v -> UInt8 in v == 0 ? 0 : (v == maxval ? 1 : UInt8(clamping: v)) }
        self.init(rows: h, columns: w, pixels: pixels)
    }
}
