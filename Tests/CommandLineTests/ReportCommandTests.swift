import CommandLineTesting
import Foundation
import HDF5Store
import Testing

@Suite("report: bad files are named, the others are still reported")
struct ReportCommandTests {
    @Test func missingGarbageAndEmptyFiles() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        _ = FileManager.default.createFile(atPath: scratch.path("garbage.h5"), contents: Data((0..<500).map { UInt8($0 % 251) }))
        _ = try HDF5File(path: scratch.path("empty.h5"), mode: .truncate)
        for name in ["missing.h5", "garbage.h5", "empty.h5"] {
            expectFailure(try run("report", [scratch.path(name), "--out", scratch.path("out")]), status: 1, naming: [name])
        }
    }
}
