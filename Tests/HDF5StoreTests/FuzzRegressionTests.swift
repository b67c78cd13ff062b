import Foundation
import Testing
import HDF5Store

/// Inputs the fuzzers (Fuzz/) found to stop the process, kept in Fuzz/regressions/hdf5/: each
/// must now open, be walked and read with typed errors only.
@Suite("Fuzzer regressions: damaged HDF5 files")
struct FuzzRegressionTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz/regressions/hdf5")

    static var inputs: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
    }

    @Test func regressionInputsArePresent() {
        #expect(Self.inputs.contains("extent-beyond-int-max.h5"), "\(Self.folder.path)")
    }

    @Test(arguments: inputs)
    func damagedFileGivesTypedErrors(name: String) throws {
        let file = try HDF5File(path: Self.folder.appendingPathComponent(name).path, mode: .readOnly)
        var errors = 0
        func walk(_ group: HDF5Group, depth: Int) {
            guard depth < 4, let names = try? group.memberNames() else { return }
            for member in names {
                if let child = try? group.group(member) { walk(child, depth: depth + 1); continue }
                do {
                    let dataset = try group.dataset(member)
                    _ = try dataset.shape
                    _ = try dataset.read(as: UInt8.self)
                } catch is HDF5Error {
                    errors += 1
                } catch {
                    Issue.record("not an HDF5Error: \(error)")
                }
            }
        }
        walk(file, depth: 0)
        // extent-beyond-int-max.h5 declares a dataset whose extent exceeds Int.max (it trapped).
        if name == "extent-beyond-int-max.h5" { #expect(errors > 0) }
    }
}
