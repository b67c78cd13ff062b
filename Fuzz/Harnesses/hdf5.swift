import Foundation

// HDF5 files as the mask and image-dataset readers open them: the bytes are written to a
// file in memory-backed /dev/shm, opened read-only, and every object is walked and read.
// (Crashes inside Debian's libhdf5 itself are reported separately from this package's code.)
let scratchPath = "/dev/shm/latentsampling-fuzz-\(getpid()).h5"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHDF5(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    guard FileManager.default.createFile(atPath: scratchPath, contents: Data(bytes)) else { return 0 }
    defer { unlink(scratchPath) }
    guard let file = try? HDF5File(path: scratchPath, mode: .readOnly) else { return 0 }
    walk(file, depth: 0)
    _ = try? HDF5Images.load(from: scratchPath)
    _ = try? HDF5Images.load(from: scratchPath, imagesDataset: "masks", labelsDataset: "status")
    return 0
}

func walk(_ group: HDF5Group, depth: Int) {
    guard depth < 4, let names = try? group.memberNames() else { return }
    for name in names.prefix(16) {
        _ = try? group.attributeNames()
        switch try? group.objectKind(at: name) {
        case .group?: if let child = try? group.group(name) { walk(child, depth: depth + 1) }
        case .dataset?:
            // Datasets that claim more than 2²⁰ elements are read by their first row only, and
            // only when that row is small too (reading them whole is checked by HDF5Limits, up to
            // the machine's memory, but filling gigabytes would only test the machine: a crafted
            // [1, 2³⁴] dataset asked for 16 GiB in one row).
            guard let dataset = try? group.dataset(name), let shape = try? dataset.shape else { continue }
            func isSmall(_ extents: [Int]) -> Bool {
                (try? HDF5Limits.byteCheckedCount(extents, elementSize: 8, dataset.site)).map { $0 < 1 << 20 } ?? false
            }
            guard isSmall(shape) else {
                if !shape.isEmpty && isSmall([1] + shape.dropFirst()) {
                    _ = try? dataset.read(as: UInt8.self, rows: 0..<1)
                }
                continue
            }
            _ = try? dataset.read(as: UInt8.self)
            _ = try? dataset.read(as: Float.self)
            _ = try? dataset.read(as: Int64.self)
        default: break
        }
    }
}
