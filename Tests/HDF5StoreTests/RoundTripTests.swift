import Foundation
import Testing
import HDF5Store

/// Shapes of rank 1 to 4 used by the round-trip tests.
let testShapes: [[Int]] = [[7], [3, 5], [2, 3, 4], [2, 1, 3, 2]]

/// Writes `values(count)` with each test shape, closes, reopens read-only and compares.
func roundTrip<T: HDF5Scalar & Equatable>(_ type: T.Type, _ values: (Int) -> [T]) throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.path("roundtrip.h5")
    var written: [[T]] = []
    do {
        let file = try HDF5File(path: path, mode: .truncate)
        for (index, shape) in testShapes.enumerated() {
            let data = values(shape.reduce(1, *))
            written.append(data)
            try file.createDataset("rank\(index + 1)/plain", values: data, shape: shape)
            try file.createDataset("rank\(index + 1)/deflated", values: data, shape: shape, compressionLevel: 6)
        }
    }
    let file = try HDF5File(path: path, mode: .readOnly)
    for (index, shape) in testShapes.enumerated() {
        for name in ["plain", "deflated"] {
            let dataset = try file.dataset("rank\(index + 1)/\(name)")
            #expect(try dataset.shape == shape)
            #expect(dataset.elementType == T.elementType)
            #expect(try dataset.read(as: T.self) == written[index])
            let (values, readShape) = try dataset.readWithShape(as: T.self)
            #expect(values == written[index] && readShape == shape)
            #expect(try dataset.compressionLevel == (name == "deflated" ? 6 : nil))
        }
    }
}

@Suite("Round trips")
struct RoundTripTests {
    @Test func float32AllRanks() throws {
        try roundTrip(Float.self) { n in (0..<n).map { Float($0) * 0.375 - 2 } }
        try roundTrip(Float.self) { n in
            Array([Float.pi, -0.0, .infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude,
                   1e-30].prefix(n)) + (0..<max(0, n - 7)).map { Float($0) }
        }
    }

    @Test func float64AllRanks() throws {
        try roundTrip(Double.self) { n in (0..<n).map { Double($0) / 3 - .pi } }
    }

    @Test func int32AllRanks() throws {
        try roundTrip(Int32.self) { n in
            [Int32.min, Int32.max] + (2..<max(2, n)).map { (i: Int) -> Int32 in Int32(i * 1000 - 7) }
        }
    }

    @Test func int64AllRanks() throws {
        try roundTrip(Int64.self) { n in
            [Int64.min, Int64.max] + (2..<max(2, n)).map { (i: Int) -> Int64 in Int64(i) << 40 }
        }
        try roundTrip(Int.self) { n in (0..<n).map { $0 * -123_456_789_012 } }
    }

    @Test func uint8AllRanks() throws {
        try roundTrip(UInt8.self) { n in (0..<n).map { UInt8(truncatingIfNeeded: $0 * 37 + 255) } }
    }

    @Test func emptyAndOverwrite() async throws {
        try await withTemporaryDirectory { directory in
            let file = try HDF5File(path: directory.path("e.h5"), mode: .truncate)
            let empty = try file.createDataset("empty", values: [Double](), shape: [0, 3], compressionLevel: 4)
            #expect(try empty.shape == [0, 3])
            #expect(try empty.read(as: Double.self) == [])
            #expect(try empty.chunkShape == nil)   // a fixed empty dataset is stored contiguously

            let zeros = try file.createDataset("zeros", of: Int32.self, shape: [2, 2])
            #expect(try zeros.read(as: Int32.self) == [0, 0, 0, 0])
            try zeros.write([1, 2, 3, 4] as [Int32])
            #expect(try zeros.read(as: Int32.self) == [1, 2, 3, 4])
            try zeros.write([9, 8] as [Int32], rows: 1..<2)
            #expect(try zeros.read(as: Int32.self) == [1, 2, 9, 8])
        }
    }
}

@Suite("Groups and attributes")
struct GroupAttributeTests {
    @Test func nestedGroupsAndListing() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.path("g.h5")
            do {
                let file = try HDF5File(path: path, mode: .truncate)
                let c = try file.createGroup("a/b/c")
                #expect(c.path == "/a/b/c")
                #expect(c.filePath == path)
                try file.createGroup("a/b2")
                try c.createDataset("x", values: [1.0, 2.0], shape: [2])
                try file.group("a").createDataset("/top", values: [Int32(5)], shape: [1])  // absolute path
                #expect(try file.objectKind(at: "a/b/c") == .group)
                #expect(try file.objectKind(at: "a/b/c/x") == .dataset)
            }
            let file = try HDF5File(path: path)
            #expect(file.contains("a"))
            #expect(file.contains("a/b/c/x"))
            #expect(file.contains("/a/b/c"))
            #expect(!file.contains("a/b/c/y"))
            #expect(!file.contains("nope/b/c"))
            #expect(!file.contains("a/b/c/x/deeper"))
            #expect(try file.memberNames() == ["a", "top"])
            #expect(try file.group("a").memberNames() == ["b", "b2"])
            let b = try file.group("a/b")
            #expect(b.path == "/a/b")
            #expect(try b.group("c").memberNames() == ["x"])
            #expect(try b.dataset("c/x").path == "/a/b/c/x")
            #expect(try b.dataset("c/x").read(as: Double.self) == [1, 2])
        }
    }

    @Test func removeMembers() async throws {
        try await withTemporaryDirectory { directory in
            let file = try HDF5File(path: directory.path("r.h5"), mode: .truncate)
            try file.createDataset("g/x", values: [UInt8(1)], shape: [1])
            try file.createDataset("y", values: [UInt8(2)], shape: [1])
            try file.remove("g")
            #expect(try file.memberNames() == ["y"])
            // A removed path can be created again, with another type.
            try file.createDataset("g/x", values: [Float(3)], shape: [1])
            #expect(try file.dataset("g/x").read(as: Float.self) == [3])
        }
    }

    @Test func attributesOnFileGroupAndDataset() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.path("attr.h5")
            do {
                let file = try HDF5File(path: path, mode: .truncate)
                let group = try file.createGroup("run")
                let dataset = try group.createDataset("stress", values: [Float](repeating: 1, count: 4), shape: [2, 2])
                for object in [file, group, dataset] as [HDF5Object] {
                    try object.setAttribute("units", "kPa")
                    try object.setAttribute("alpha", 0.5)
                    try object.setAttribute("seed", 42)
                    try object.setAttribute("pressures", [80.0, 120.0])
                    try object.setAttribute("counts", [Int32(3), -4, 5])
                    try object.setAttribute("label", "µ-strain ε ✓")
                    try object.setAttribute("tags", ["a", "bc", ""])
                    try object.setAttribute("empty", [Double]())
                    try object.setAttribute("scale", Float(0.25))
                    try object.setAttribute("mask", [UInt8(0), 255])
                }
                // Overwriting replaces value, type and size.
                try dataset.setAttribute("alpha", [1.0, 2.0, 3.0])
                try dataset.setAttribute("units", 7)
            }
            let file = try HDF5File(path: path)
            let group = try file.group("run")
            let dataset = try group.dataset("stress")
            for object in [file, group] as [HDF5Object] {
                #expect(try object.stringAttribute("units") == "kPa")
                #expect(try object.doubleAttribute("alpha") == 0.5)
            }
            for object in [file, group, dataset] as [HDF5Object] {
                #expect(try object.attributeNames() == ["alpha", "counts", "empty", "label", "mask", "pressures",
                                                        "scale", "seed", "tags", "units"])
                #expect(try object.intAttribute("seed") == 42)
                #expect(try object.attribute("seed", as: Int64.self) == 42)
                #expect(try object.doubleArrayAttribute("pressures") == [80, 120])
                #expect(try object.intArrayAttribute("counts") == [3, -4, 5])
                #expect(try object.attributeValues("counts", as: Int32.self) == [3, -4, 5])
                #expect(try object.stringAttribute("label") == "µ-strain ε ✓")
                #expect(try object.stringArrayAttribute("tags") == ["a", "bc", ""])
                #expect(try object.doubleArrayAttribute("empty") == [])
                #expect(try object.doubleAttribute("scale") == 0.25)       // float32 widened exactly
                #expect(try object.attribute("scale", as: Float.self) == 0.25)
                #expect(try object.intArrayAttribute("mask") == [0, 255])  // uint8 widened exactly
                #expect(object.hasAttribute("units"))
                #expect(!object.hasAttribute("missing"))
            }
            #expect(try dataset.doubleArrayAttribute("alpha") == [1, 2, 3])
            #expect(try dataset.intAttribute("units") == 7)
        }
    }

    @Test func removeAttribute() async throws {
        try await withTemporaryDirectory { directory in
            let file = try HDF5File(path: directory.path("ra.h5"), mode: .truncate)
            try file.setAttribute("a", 1.0)
            try file.setAttribute("b", 2.0)
            try file.removeAttribute("a")
            #expect(try file.attributeNames() == ["b"])
            expectHDF5Error({ try file.removeAttribute("a") }) {
                if case .objectNotFound(_, "/@a") = $0 { true } else { false }
            }
        }
    }
}

@Suite("Slabs, appends and storage")
struct SlabAppendTests {
    @Test func slabReadsAndWrites() async throws {
        try await withTemporaryDirectory { directory in
            let file = try HDF5File(path: directory.path("s.h5"), mode: .truncate)
            let values = (0..<(10 * 3 * 4)).map { Double($0) }
            let dataset = try file.createDataset("x", values: values, shape: [10, 3, 4], chunkShape: [3, 3, 4],
                                                 compressionLevel: 1)
            #expect(try dataset.read(as: Double.self, rows: 2..<5) == Array(values[24..<60]))
            #expect(try dataset.read(as: Double.self, rows: 9..<10) == Array(values[108..<120]))
            #expect(try dataset.read(as: Double.self, rows: 0..<10) == values)
            #expect(try dataset.read(as: Double.self, rows: 4..<4) == [])
            try dataset.write([Double](repeating: -1, count: 24), rows: 7..<9)
            let after = try dataset.read(as: Double.self)
            #expect(Array(after[0..<84]) == Array(values[0..<84]))
            #expect(Array(after[84..<108]) == [Double](repeating: -1, count: 24))
            #expect(Array(after[108...]) == Array(values[108...]))
        }
    }

    @Test func severalAppendsThenReadAllAndSlab() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.path("log.h5")
            var expected: [Float] = []
            do {
                let file = try HDF5File(path: path, mode: .truncate)
                let log = try file.createDataset("rounds/loss", of: Float.self, shape: [0, 2, 3],
                                                 compressionLevel: 4, extendible: true)
                #expect(try log.maximumShape == [nil, 2, 3])
                var rowCount = 0
                for round in 0..<5 {
                    let rows = round % 2 + 1
                    let batch = (0..<(rows * 6)).map { Float(round * 100 + $0) }
                    let written = round.isMultiple(of: 2) ? try log.append(batch) : try log.append(batch, shape: [rows, 2, 3])
                    #expect(written == rowCount..<(rowCount + rows))
                    rowCount += rows
                    expected += batch
                }
                #expect(try log.shape == [rowCount, 2, 3])
            }
            // Reopen read-write and append once more, as a later training round would.
            do {
                let file = try HDF5File(path: path, mode: .readWrite)
                let more = (0..<6).map { Float(-$0) }
                #expect(try file.dataset("rounds/loss").append(more) == 7..<8)
                expected += more
            }
            let log = try HDF5File(path: path).dataset("rounds/loss")
            #expect(try log.shape == [8, 2, 3])
            #expect(try log.read(as: Float.self) == expected)
            #expect(try log.read(as: Float.self, rows: 3..<6) == Array(expected[18..<36]))
            #expect(try log.compressionLevel == 4)
            #expect(try log.chunkShape?.dropFirst() == [2, 3])
        }
    }

    @Test func truncateDropsTrailingRowsAndAppendContinues() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.path("truncate.h5")
            let file = try HDF5File(path: path, mode: .truncate)
            let log = try file.createDataset("log", of: Int64.self, shape: [0, 2], compressionLevel: 1, extendible: true)
            try log.append((0..<10).map { Int64($0) })
            try log.truncate(toRows: 2)
            #expect(try log.shape == [2, 2])
            try log.append([Int64(-1), -2])
            #expect(try log.read(as: Int64.self) == [0, 1, 2, 3, -1, -2])
            #expect(throws: HDF5Error.self) { try log.truncate(toRows: 4) }
            #expect(throws: HDF5Error.self) { try log.truncate(toRows: -1) }
            let fixed = try file.createDataset("fixed", values: [Int32(1), 2], shape: [2])
            #expect(throws: HDF5Error.notExtendible(file: path, object: "/fixed")) { try fixed.truncate(toRows: 1) }
        }
    }

    @Test func chunkingAndCompressionAreRecorded() async throws {
        try await withTemporaryDirectory { directory in
            let file = try HDF5File(path: directory.path("c.h5"), mode: .truncate)
            let explicit = try file.createDataset("explicit", of: UInt8.self, shape: [100, 64, 64],
                                                  chunkShape: [8, 64, 64], compressionLevel: 9)
            #expect(try explicit.chunkShape == [8, 64, 64])
            #expect(try explicit.compressionLevel == 9)
            #expect(try explicit.maximumShape == [100, 64, 64])
            let chosen = try file.createDataset("chosen", of: Double.self, shape: [10, 512, 512], compressionLevel: 2)
            let chunk = try #require(try chosen.chunkShape)
            #expect(chunk.count == 3)
            #expect(chunk.reduce(8, *) <= 256 * 1024)  // the documented default chunk size
            #expect(zip(chunk, [10, 512, 512]).allSatisfy { $0 >= 1 && $0 <= $1 })
            let contiguous = try file.createDataset("contiguous", of: Int32.self, shape: [4, 4])
            #expect(try contiguous.chunkShape == nil)
            #expect(try contiguous.compressionLevel == nil)
            let chunkedOnly = try file.createDataset("chunked", of: Int32.self, shape: [4, 4], chunkShape: [2, 2])
            #expect(try chunkedOnly.chunkShape == [2, 2])
            #expect(try chunkedOnly.compressionLevel == nil)
        }
    }

    @Test func compressionShrinksRedundantData() async throws {
        try await withTemporaryDirectory { directory in
            let plainPath = directory.path("plain.h5"), packedPath = directory.path("packed.h5")
            let values = [Float](repeating: 1.5, count: 200_000)
            do {
                try HDF5File(path: plainPath, mode: .truncate).createDataset("x", values: values, shape: [200_000])
                try HDF5File(path: packedPath, mode: .truncate)
                    .createDataset("x", values: values, shape: [200_000], compressionLevel: 6)
            }
            let plainSize = try #require(try FileManager.default.attributesOfItem(atPath: plainPath)[.size] as? Int)
            let packedSize = try #require(try FileManager.default.attributesOfItem(atPath: packedPath)[.size] as? Int)
            #expect(plainSize > 800_000)
            #expect(packedSize < plainSize / 20)
            #expect(try HDF5File(path: packedPath).dataset("x").read(as: Float.self) == values)
        }
    }
}
