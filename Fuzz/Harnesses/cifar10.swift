// CIFAR-10 binary batches (1 label byte + 3,072 pixel bytes per record).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCIFAR10(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = try? CIFAR10.parseBatch(fuzzInput(data, size), file: "fuzz.bin")
    return 0
}
