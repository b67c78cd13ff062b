import Foundation
import VasFEM

/// Reading one mask from a small file: a text grid or a PGM image.
enum MaskFile {
    /// Errors reading a mask file.
    enum ReadError: Error, CustomStringConvertible {
        case unsupportedFormat(String)
        case malformed(String)
        var description: String {
            switch self {
            case .unsupportedFormat(let p): "\(p): unsupported mask format (use .h5, .png, .txt or .pgm)"
            case .malformed(let why): "malformed mask file: \(why)"
            }
        }
    }

    /// Reads `path`: `.png` (see ``PNGReader``), `.txt` (one line per row of characters 0/1, optional spaces or
    /// commas between them) or `.pgm` (P2 or P5; 0 → 0, maxval → 1, other values
    /// are kept so validation reports them).
    static func read(_ path: String) throws -> WallMask {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        if path.lowercased().hasSuffix(".txt") {
            guard let text = String(data: data, encoding: .utf8) else { throw ReadError.malformed("not UTF-8 text") }
            let lines = text.split(whereSeparator: \.isNewline).map { $0.filter { !$0.isWhitespace && $0 != "," } }.filter { !$0.isEmpty }
            guard let width = lines.first?.count, lines.allSatisfy({ $0.count == width }) else {
                throw ReadError.malformed("rows of unequal length")
            }
            let pixels = lines.flatMap { $0.map { c -> UInt8 in c.wholeNumberValue.map { UInt8(clamping: $0) } ?? 255 } }
            return WallMask(rows: lines.count, columns: width, pixels: pixels)
        }
        if path.lowercased().hasSuffix(".pgm") { return try readPGM(data) }
        if path.lowercased().hasSuffix(".png") {
            let image = try PNGReader.decode(data)
            return WallMask(rows: image.rows, columns: image.columns, pixels: image.pixels)
        }
        throw ReadError.unsupportedFormat(path)
    }

    static func readPGM(_ data: Data) throws -> WallMask {
        let bytes = [UInt8](data)
        var i = 0
        func token() throws -> String {
            while i < bytes.count {
                if bytes[i] == UInt8(ascii: "#") { while i < bytes.count && bytes[i] != 10 { i += 1 } }
                else if bytes[i] == 32 || bytes[i] == 10 || bytes[i] == 13 || bytes[i] == 9 { i += 1 } else { break }
            }
            let start = i
            while i < bytes.count && !(bytes[i] == 32 || bytes[i] == 10 || bytes[i] == 13 || bytes[i] == 9) { i += 1 }
            guard i > start else { throw ReadError.malformed("truncated PGM header") }
            return String(decoding: bytes[start..<i], as: UTF8.self)
        }
        let magic = try token()
        guard magic == "P2" || magic == "P5", let w = Int(try token()), let h = Int(try token()), let maxval = Int(try token()),
              w > 0, h > 0, maxval > 0, maxval < 256 else { throw ReadError.malformed("bad PGM header (8-bit P2/P5 only)") }
        var values: [Int] = []
        if magic == "P5" {
            i += 1
            guard bytes.count - i >= w * h else { throw ReadError.malformed("truncated PGM data") }
            values = bytes[i..<(i + w * h)].map { Int($0) }
        } else {
            for _ in 0..<(w * h) { guard let v = Int(try token()) else { throw ReadError.malformed("bad PGM value") }; values.append(v) }
        }
        let pixels = values.map { v -> UInt8 in v == 0 ? 0 : (v == maxval ? 1 : UInt8(clamping: v)) }
        return WallMask(rows: h, columns: w, pixels: pixels)
    }
}
