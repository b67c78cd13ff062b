import Foundation
import LatentSampling
import Randomness
import Testing

/// The sampling core's public API as a user's own package meets it.
@Suite("Core API")
struct CoreAPITests {
    /// The package root, found from this file's path (Tests/LatentSamplingTests/…).
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("the core depends on nothing but Randomness and HDF5Store, and imports no engine module")
    func coreHasNoEngineDependency() throws {
        let manifest = try String(contentsOf: Self.packageRoot.appendingPathComponent("Package.swift"), encoding: .utf8)
        // The core's target line: .target(name: "LatentSampling", dependencies: [...]).
        let line = try #require(manifest.split(separator: "\n").first {
            $0.contains(".target(name: \"LatentSampling\"")
        })
        let listed = line.split(separator: "[").dropFirst().first?.split(separator: "]").first ?? ""
        let dependencies = Set(listed.split(separator: ",").map {
            $0.trimmingCharacters(in: CharacterSet(charactersIn: " \""))
        }.filter { !$0.isEmpty })
        #expect(dependencies == ["Randomness", "HDF5Store"], "the core's dependencies are \(dependencies)")

        let randomnessLine = try #require(manifest.split(separator: "\n").first {
            $0.contains(".target(name: \"Randomness\"")
        })
        #expect(!randomnessLine.contains("dependencies"), "Randomness must stay dependency-free")

        let forbidden = ["TensorEngine", "NeuralNetworks", "EngineModels", "COpenBLAS", "CTensorKernels", "Datasets"]
        for module in ["LatentSampling", "Randomness"] {
            let folder = Self.packageRoot.appendingPathComponent("Sources/\(module)")
            let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".swift") }
            #expect(!files.isEmpty)
            for file in files {
                let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
                for name in Self.importedModules(text) {
                    #expect(!forbidden.contains(name), "Sources/\(module)/\(file) imports \(name)")
                }
            }
        }
    }

    /// The modules a Swift file imports: lines `import X`, `@_exported import X`, `import struct X.Y`.
    static func importedModules(_ text: String) -> [String] {
        text.split(separator: "\n").compactMap { line in
            let words = line.split(separator: " ").filter { !$0.hasPrefix("@") }
            guard words.first == "import", let last = words.last else { return nil }
            return String(last.split(separator: ".").first ?? last)
        }
    }

    @Test("samples and labels whose counts differ are rejected with a typed error")
    func countMismatchesThrow() throws {
        let two = SampleBatch(sampleShape: [3], values: [Float](repeating: 0, count: 6))
        #expect(throws: CountMismatchError(of: "test set", samples: 2, labels: 1)) {
            try TestSet(samples: two, labels: [Int32(0)])
        }
        #expect(throws: CountMismatchError(of: "pool", samples: 2, labels: 3)) {
            try LabeledPool(samples: two, labels: [Int32(0), 1, 2])
        }
        let record = Provenance(round: 1, strategy: "user")
        #expect(throws: CountMismatchError(of: "labeled set", samples: 2, labels: 2, provenanceRecords: 1)) {
            try LabeledSet(samples: two, labels: [Int32(0), 1], provenance: [record])
        }
        let error = CountMismatchError(of: "test set", samples: 2, labels: 1)
        #expect(error.description == "a test set needs one label per sample: got 2 samples, 1 labels")
        #expect(try TestSet(samples: two, labels: [Int32(0), 1]).labels == [0, 1])
    }

    @Test("the generator's stream is the one results files were written with")
    func seededGeneratorStream() {
        // xoshiro256** seeded through SplitMix64, seed 0: the first three outputs as an
        // independent Python implementation of the published reference code gives them.
        var generator = SeededGenerator(seed: 0)
        #expect((0..<3).map { _ in generator.next() } == [0x99EC_5F36_CB75_F2B4, 0xBF6E_1F78_4956_452A, 0x1A5F_849D_4933_E6E0])
        // Box–Muller from the first two outputs of seed 7 (Python, rounded to Float32: 0xBE1B35E3).
        var normal = SeededGenerator(seed: 7)
        #expect(normal.nextNormal().bitPattern == 0xBE1B_35E3)
        // Uniform draws are defined on any RandomNumberGenerator, from one call to next().
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42)
        let bits = b.next()
        #expect(a.nextUniform() == Float(bits >> 40) / 16_777_216)
    }
}
