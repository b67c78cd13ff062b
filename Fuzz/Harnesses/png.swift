import Foundation

// PNG masks (ImageFiles' decoder over zlib, then VasFEM's mask values): any bytes give a mask
// or a typed error. The decoder checks every chunk's CRC-32, which random mutations almost never
// get right, so the harness first rewrites the CRC of each whole chunk it finds: the fuzzer then
// explores the chunks' contents, the inflater and the row filters.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPNG(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var bytes = fuzzInput(data, size)
    var offset = 8
    while offset + 12 <= bytes.count {
        let length = Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
        guard length <= bytes.count - offset - 12 else { break }
        let crc = PNGImage.crc32(Array(bytes[(offset + 4)..<(offset + 8 + length)]))
        for k in 0..<4 { bytes[offset + 8 + length + k] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * UInt32(k))) }
        offset += 12 + length
    }
    _ = try? WallMask(png: Data(bytes))
    return 0
}
