import Foundation

// PNG masks (VasFEM's own decoder over zlib): any bytes give a mask or a typed error.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPNG(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = try? WallMask(png: Data(fuzzInput(data, size)))
    return 0
}
