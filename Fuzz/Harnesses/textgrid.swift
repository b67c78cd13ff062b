// Text-grid masks (lines of 0/1), read as vasfem reads a .txt file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTextGrid(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let text = String(validating: fuzzInput(data, size), as: UTF8.self) else { return 0 }
    if let mask = try? WallMask(textGrid: text) { _ = try? mask.validate(rows: 64, columns: 64) }
    return 0
}
