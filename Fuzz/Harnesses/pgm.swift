import Foundation

// PGM masks (P2 text and P5 binary).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPGM(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = try? WallMask(pgm: Data(fuzzInput(data, size)))
    return 0
}
