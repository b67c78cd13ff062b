import Foundation

/// Bounds on what a file may ask this process to allocate.
///
/// Shapes, attribute sizes and string widths come from the file, and a damaged or crafted
/// file can declare a dataset of 10¹⁸ elements (without storing them): multiplying such
/// extents overflows `Int`, and allocating them stops the process. Every read sizes its
/// buffer through ``byteCheckedCount(_:elementSize:_:)`` and throws instead.
enum HDF5Limits {
    /// The most bytes one read may allocate: the machine's physical memory.
    static let maximumReadBytes: UInt64 = ProcessInfo.processInfo.physicalMemory

    /// The product of `extents`, after checking that it neither overflows nor needs more than
    /// ``maximumReadBytes`` at `elementSize` bytes per element.
    ///
    /// - Throws: ``HDF5Error/shapeMismatch(file:object:detail:)`` naming the object.
    static func byteCheckedCount(_ extents: [Int], elementSize: Int, _ site: HDF5Site) throws -> Int {
        var count = 1
        var overflow = extents.contains { $0 < 0 }
        for extent in extents where !overflow {
            let (product, overflowed) = count.multipliedReportingOverflow(by: extent)
            count = product
            overflow = overflowed
        }
        let (bytes, overflowed) = count.multipliedReportingOverflow(by: max(elementSize, 1))
        guard !overflow, !overflowed, UInt64(bytes) <= maximumReadBytes else {
            throw HDF5Error.shapeMismatch(
                file: site.file, object: site.object,
                detail: "extents \(extents) of \(elementSize)-byte elements are too large to read into memory "
                    + "(more than \(maximumReadBytes) bytes); the file may be damaged")
        }
        return count
    }
}
