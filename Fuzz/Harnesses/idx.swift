// IDX files (MNIST's format), raw or gzip-compressed, as FileBytes.readDecompressing reads them.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIDX(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    do {
        let raw = Gzip.isCompressed(bytes) ? try Gzip.decompress(bytes, file: "fuzz.idx") : bytes
        _ = try IDXArray(parsing: raw, file: "fuzz.idx")
    } catch {}
    return 0
}
