// The pressure-waveform CSV (time,shape lines), then the load path built from it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWaveform(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: fuzzInput(data, size), as: UTF8.self)
    if let waveform = try? PressureWaveform(csv: text) {
        _ = waveform.loadPath(diastolic: 80, systolic: 120, rampSteps: 3, waveformSteps: 5)
    }
    return 0
}

/// VasFEM's unit constant (defined in ThickWalledTube.swift, which this harness does not compile).
let kilopascalsPerMillimeterOfMercury = 0.133322
