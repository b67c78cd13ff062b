import ArgumentParser
import Foundation
import VasFEM

/// `vasfem label IN.h5 --out OUT.h5`.
enum HDF5Labeling {
    static func run(input: String, output: String?, configuration: VasFEMConfiguration, jobs: Int) async throws {
        throw ValidationError("HDF5 input is not available in this build yet")
    }
}
