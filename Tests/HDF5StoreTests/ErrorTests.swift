import Foundation
import Testing
import HDF5Store

@Suite("Errors")
struct ErrorTests {
    @Test func missingFile() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.path("absent.h5")
            for mode in [HDF5File.Mode.readOnly, .readWrite] {
                let error = expectHDF5Error({ try HDF5File(path: path, mode: mode) }) {
                    $0 == .fileNotFound(file: path)
                }
                #expect(error?.file == path)
                #expect(error?.description.contains(path) == true)
                #expect(error?.localizedDescription == error?.description)
            }
            #expect(!FileManager.default.fileExists(atPath: path))
            // Creating in a directory that does not exist fails with HDF5's message.
            let nowhere = directory.path("no/such/dir/x.h5")
            let error = expectHDF5Error({ try HDF5File(path: nowhere, mode: .truncate) }) {
                if case .cannotOpenFile(nowhere, _) = $0 { true } else { false }
            }
            // HDF5's innermost message names the file it could not create.
            #expect(error?.libraryMessage?.contains(nowhere) == true, "\(String(describing: error?.libraryMessage))")
        }
    }

    @Test func corruptFile() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.path("random.h5")
            var generator = SystemRandomNumberGenerator()
            let bytes = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            for mode in [HDF5File.Mode.readOnly, .readWrite] {
                let error = expectHDF5Error({ try HDF5File(path: path, mode: mode) }) {
                    if case .cannotOpenFile(path, _) = $0 { true } else { false }
                }
                // HDF5's own explanation, e.g. "File accessibility / Not an HDF5 file: ...".
                #expect(error?.libraryMessage?.localizedCaseInsensitiveContains("signature") == true
                        || error?.libraryMessage?.localizedCaseInsensitiveContains("not an hdf5") == true,
                        "\(String(describing: error?.libraryMessage))")
            }
        }
    }

    @Test func truncatedFile() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.path("truncated.h5")
            do {
                let file = try HDF5File(path: path, mode: .truncate)
                try file.createDataset("x", values: (0..<50_000).map { Double($0) }, shape: [50_000])
                try file.setAttribute("note", "some metadata")
            }
            let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try handle.truncate(atOffset: UInt64(size / 2))
            try handle.close()
            let error = expectHDF5Error({ try HDF5File(path: path).dataset("x").read(as: Double.self) }) {
                if case .cannotOpenFile(path, _) = $0 { true } else { false }
            }
            #expect(error?.libraryMessage?.localizedCaseInsensitiveContains("truncated") == true,
                    "\(String(describing: error?.libraryMessage))")
        }
    }

    @Test func missingObjects() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.path("m.h5")
            let file = try HDF5File(path: path, mode: .truncate)
            try file.createDataset("g/x", values: [1.0], shape: [1])
            let group = try file.group("g")
            expectHDF5Error({ try file.dataset("g/y") }) { $0 == .objectNotFound(file: path, object: "/g/y") }
            expectHDF5Error({ try group.dataset("y") }) { $0 == .objectNotFound(file: path, object: "/g/y") }
            expectHDF5Error({ try file.group("h/i") }) { $0 == .objectNotFound(file: path, object: "/h/i") }
            expectHDF5Error({ try file.objectKind(at: "zz") }) { $0 == .objectNotFound(file: path, object: "/zz") }
            expectHDF5Error({ try file.remove("zz") }) { $0 == .objectNotFound(file: path, object: "/zz") }
            expectHDF5Error({ try group.stringAttribute("units") }) {
                $0 == .objectNotFound(file: path, object: "/g@units")
            }
            expectHDF5Error({ try file.dataset("g/x").doubleAttribute("alpha") }) {
                $0 == .objectNotFound(file: path, object: "/g/x@alpha")
            }
            // Wrong kinds: a group where a dataset is expected and vice versa.
            expectHDF5Error({ try file.dataset("g") }) {
                $0 == .wrongObjectKind(file: path, object: "/g", expected: .dataset, actual: .group)
            }
            expectHDF5Error({ try file.group("g/x") }) {
                $0 == .wrongObjectKind(file: path, object: "/g/x", expected: .group, actual: .dataset)
            }
            // Creating below a dataset, or over an existing object.
            expectHDF5Error({ try file.createGroup("g/x/sub") }) {
                $0 == .wrongObjectKind(file: path, object: "/g/x", expected: .group, actual: .dataset)
            }
            expectHDF5Error({ try file.createGroup("g") }) { $0 == .objectExists(file: path, object: "/g") }
            expectHDF5Error({ try file.createDataset("g/x", values: [2.0], shape: [1]) }) {
                $0 == .objectExists(file: path, object: "/g/x")
            }
            expectHDF5Error({ try file.createGroup("") }) {
                if case .invalidArgument(path, "/", _) = $0 { true } else { false }
            }
        }
    }

    @Test func wrongElementType() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.path("t.h5")
            let file = try HDF5File(path: path, mode: .truncate)
            let dataset = try file.createDataset("d", values: [1.0, 2.0], shape: [2])
            let error = expectHDF5Error({ try dataset.read(as: Float.self) }) {
                if case .elementTypeMismatch(path, "/d", _, "float64") = $0 { true } else { false }
            }
            #expect(error?.description.contains("float32") == true)
            expectHDF5Error({ try dataset.read(as: Int64.self, rows: 0..<1) }) {
                if case .elementTypeMismatch = $0 { true } else { false }
            }
            expectHDF5Error({ try dataset.write([Float(1), 2]) }) {
                if case .elementTypeMismatch = $0 { true } else { false }
            }
            #expect(try dataset.read(as: Double.self) == [1, 2])  // unchanged
            try file.setAttribute("name", "x")
            try file.setAttribute("alpha", 0.5)
            try file.setAttribute("n", Int32(3))
            expectHDF5Error({ try file.doubleAttribute("name") }) {
                $0 == .elementTypeMismatch(file: path, object: "/@name", requested: "Double", stored: "string")
            }
            expectHDF5Error({ try file.stringAttribute("alpha") }) {
                $0 == .elementTypeMismatch(file: path, object: "/@alpha", requested: "string", stored: "float64")
            }
            expectHDF5Error({ try file.intAttribute("alpha") }) {
                if case .elementTypeMismatch = $0 { true } else { false }
            }
            expectHDF5Error({ try file.attribute("alpha", as: Float.self) }) {
                if case .elementTypeMismatch = $0 { true } else { false }
            }
            expectHDF5Error({ try file.attribute("n", as: Int64.self) }) {  // strict: int32 is not Int64
                if case .elementTypeMismatch = $0 { true } else { false }
            }
            #expect(try file.intAttribute("n") == 3)  // the Int convenience reader widens exactly
        }
    }

    @Test func wrongShapesAndRanges() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.path("s.h5")
            let file = try HDF5File(path: path, mode: .truncate)
            func isShapeMismatch(_ error: HDF5Error) -> Bool {
                if case .shapeMismatch = error { true } else { false }
            }
            func isInvalid(_ error: HDF5Error) -> Bool {
                if case .invalidArgument = error { true } else { false }
            }
            expectHDF5Error({ try file.createDataset("a", values: [1.0, 2.0, 3.0], shape: [2, 2]) }, where: isShapeMismatch)
            #expect(!file.contains("a"))
            expectHDF5Error({ try file.createDataset("b", of: Float.self, shape: []) }, where: isInvalid)
            expectHDF5Error({ try file.createDataset("b", of: Float.self, shape: [2, -1]) }, where: isInvalid)
            expectHDF5Error({ try file.createDataset("b", of: Float.self, shape: [4], compressionLevel: 10) },
                            where: isInvalid)
            expectHDF5Error({ try file.createDataset("b", of: Float.self, shape: [4, 4], chunkShape: [2]) },
                            where: isInvalid)
            expectHDF5Error({ try file.createDataset("b", of: Float.self, shape: [4, 4], chunkShape: [2, 8]) },
                            where: isInvalid)
            expectHDF5Error({ try file.createDataset("b", of: Float.self, shape: [0, 0], extendible: true) },
                            where: isInvalid)
            #expect(!file.contains("b"))

            let fixed = try file.createDataset("fixed", values: (0..<12).map { Int32($0) }, shape: [4, 3])
            expectHDF5Error({ try fixed.write([Int32](repeating: 0, count: 11)) }, where: isShapeMismatch)
            expectHDF5Error({ try fixed.write([Int32](repeating: 0, count: 3), rows: 0..<2) }, where: isShapeMismatch)
            expectHDF5Error({ try fixed.read(as: Int32.self, rows: 3..<5) }) {
                $0 == .rowsOutOfRange(file: path, object: "/fixed", rows: 3..<5, rowCount: 4)
            }
            expectHDF5Error({ try fixed.write([Int32](repeating: 0, count: 3), rows: 4..<5) }) {
                if case .rowsOutOfRange = $0 { true } else { false }
            }
            expectHDF5Error({ try fixed.append([Int32](repeating: 0, count: 3)) }) {
                $0 == .notExtendible(file: path, object: "/fixed")
            }
            #expect(try fixed.read(as: Int32.self) == (0..<12).map { Int32($0) })

            let log = try file.createDataset("log", of: Double.self, shape: [0, 2, 2], extendible: true)
            try log.append([Double](repeating: 1, count: 8))
            expectHDF5Error({ try log.append([Double](repeating: 2, count: 6)) }, where: isShapeMismatch)
            // Same count, wrong trailing shape: caught when the shape is given.
            expectHDF5Error({ try log.append([Double](repeating: 2, count: 8), shape: [2, 4, 1]) }, where: isShapeMismatch)
            expectHDF5Error({ try log.append([Double](repeating: 2, count: 8), shape: [8]) }, where: isShapeMismatch)
            expectHDF5Error({ try log.append([Double](repeating: 2, count: 8), shape: [3, 2, 2]) }, where: isShapeMismatch)
            #expect(try log.shape == [2, 2, 2])
            #expect(try log.read(as: Double.self) == [Double](repeating: 1, count: 8))

            try file.setAttribute("pair", [1.0, 2.0])
            expectHDF5Error({ try file.doubleAttribute("pair") }, where: isShapeMismatch)
            expectHDF5Error({ try file.setAttribute("bad", "a\u{0}b") }, where: isInvalid)
            expectHDF5Error({ try file.setAttribute("", 1.0) }, where: isInvalid)
            #expect(!file.hasAttribute("bad"))
            try file.setAttribute("words", ["a", "b"])
            expectHDF5Error({ try file.stringAttribute("words") }, where: isShapeMismatch)
        }
    }

    @Test func writesToReadOnlyFile() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.path("ro.h5")
            do {
                let file = try HDF5File(path: path, mode: .truncate)
                try file.createDataset("g/x", values: [1.0, 2.0], shape: [2])
                try file.createDataset("g/log", values: [1.0], shape: [1], extendible: true)
                try file.setAttribute("a", 1.0)
            }
            let file = try HDF5File(path: path, mode: .readOnly)
            #expect(!file.isWritable)
            let group = try file.group("g")
            let dataset = try group.dataset("x")
            func isReadOnly(_ error: HDF5Error) -> Bool {
                if case .readOnlyFile(path, _) = error { true } else { false }
            }
            expectHDF5Error({ try file.createGroup("h") }, where: isReadOnly)
            expectHDF5Error({ try group.createDataset("y", values: [1.0], shape: [1]) }, where: isReadOnly)
            expectHDF5Error({ try dataset.write([3.0, 4.0]) }, where: isReadOnly)
            expectHDF5Error({ try dataset.write([3.0], rows: 0..<1) }, where: isReadOnly)
            expectHDF5Error({ try group.dataset("log").append([5.0]) }, where: isReadOnly)
            expectHDF5Error({ try file.setAttribute("a", 2.0) }, where: isReadOnly)
            expectHDF5Error({ try dataset.setAttribute("b", "x") }, where: isReadOnly)
            expectHDF5Error({ try file.removeAttribute("a") }, where: isReadOnly)
            expectHDF5Error({ try file.remove("g") }, where: isReadOnly)
            #expect(try dataset.read(as: Double.self) == [1, 2])
            #expect(try file.doubleAttribute("a") == 1)
            #expect(try group.memberNames() == ["log", "x"])
        }
    }
}
