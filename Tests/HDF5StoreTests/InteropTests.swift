import Foundation
import Testing
import HDF5Store

/// Round trips with h5py (Debian's /usr/bin/python3), in both directions.
///
/// These tests fail (never skip) when h5py is missing, telling to run ./setup.sh.
@Suite("h5py interoperability")
struct InteropTests {
    @Test func h5pyAvailable() throws {
        try requireH5py()
    }

    @Test func swiftWritesH5pyReads() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.path("from-swift.h5")
            do {
                let file = try HDF5File(path: path, mode: .truncate)
                try file.setAttribute("title", "stress maps ε")
                try file.setAttribute("alpha", 0.5)
                try file.setAttribute("seed", 42)
                let group = try file.createGroup("a/b")
                try group.setAttribute("pressures", [80.0, 120.0])
                try group.setAttribute("counts", [Int32(1), 2, 3])
                try group.setAttribute("names", ["x", "yz"])
                try group.createDataset("f32", values: (0..<24).map { Float($0) / 4 }, shape: [2, 3, 4])
                try group.createDataset("f64", values: (0..<6).map { Double($0) * 1.5 - 2 }, shape: [6])
                try group.createDataset("i32", values: (0..<12).map { Int32($0) - 6 }, shape: [3, 4])
                try group.createDataset("i64", values: (0..<16).map { Int64($0) << 33 }, shape: [2, 2, 2, 2])
                let masks = try file.createDataset("masks", of: UInt8.self, shape: [0, 4, 5], chunkShape: [2, 4, 5],
                                                   compressionLevel: 5, extendible: true)
                for batch in 0..<3 {
                    try masks.append((0..<40).map { UInt8((batch * 40 + $0) % 256) }, shape: [2, 4, 5])
                }
                try masks.setAttribute("units", "1")
            }
            try expectPythonSucceeds("""
                import sys, h5py, numpy as np
                f = h5py.File(sys.argv[1], "r")
                assert f.attrs["title"] == "stress maps ε", f.attrs["title"]
                assert f.attrs["alpha"] == 0.5 and f.attrs["alpha"].dtype == np.float64
                assert f.attrs["seed"] == 42 and f.attrs["seed"].dtype == np.int64
                g = f["a/b"]
                assert list(g.attrs["pressures"]) == [80.0, 120.0]
                assert g.attrs["counts"].dtype == np.int32 and list(g.attrs["counts"]) == [1, 2, 3]
                assert [s.decode() if isinstance(s, bytes) else s for s in g.attrs["names"]] == ["x", "yz"]
                expected = {
                    "f32": (np.float32, np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 4),
                    "f64": (np.float64, np.arange(6) * 1.5 - 2),
                    "i32": (np.int32, (np.arange(12) - 6).reshape(3, 4)),
                    "i64": (np.int64, (np.arange(16, dtype=np.int64) << 33).reshape(2, 2, 2, 2)),
                }
                for name, (dtype, values) in expected.items():
                    d = g[name]
                    assert d.dtype == dtype, (name, d.dtype)
                    assert d.shape == values.shape, (name, d.shape)
                    assert np.array_equal(d[()], values), name
                    assert d.compression is None and d.chunks is None, name
                m = f["masks"]
                assert m.dtype == np.uint8 and m.shape == (6, 4, 5), m.shape
                assert m.maxshape == (None, 4, 5), m.maxshape
                assert m.chunks == (2, 4, 5), m.chunks
                assert m.compression == "gzip" and m.compression_opts == 5, (m.compression, m.compression_opts)
                assert m.shuffle
                assert np.array_equal(m[()].ravel(), np.arange(120) % 256)
                assert m.attrs["units"] == "1"
                assert sorted(f.keys()) == ["a", "masks"] and list(g.keys()) == ["f32", "f64", "i32", "i64"]
                print("ok")
                """, [path])
        }
    }

    @Test func h5pyWritesSwiftReads() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.path("from-h5py.h5")
            try expectPythonSucceeds("""
                import sys, h5py, numpy as np
                with h5py.File(sys.argv[1], "w") as f:
                    f.attrs["title"] = "h5py ✓"                       # variable-length UTF-8
                    f.attrs["fixed"] = np.bytes_("fixed-len")          # fixed-length ASCII
                    f.attrs["alpha"] = 0.25
                    f.attrs["n"] = 7
                    f.attrs["pressures"] = np.array([80.0, 100.0, 120.0])
                    f.attrs["sizes"] = np.array([3, 4], dtype=np.int32)
                    f.attrs["words"] = ["alpha", "β"]
                    g = f.create_group("data/train")
                    g.create_dataset("f32", data=np.arange(12, dtype=np.float32).reshape(3, 4) * 0.5)
                    g.create_dataset("f64", data=np.linspace(0, 1, 5))
                    g.create_dataset("i32", data=np.arange(-4, 4, dtype=np.int32).reshape(2, 2, 2))
                    g.create_dataset("i64", data=np.arange(6, dtype=np.int64) * 10**12)
                    g.create_dataset("u8", data=(np.arange(2 * 3 * 2 * 2) * 9 % 256).astype(np.uint8).reshape(2, 3, 2, 2))
                    g.create_dataset("i16", data=np.arange(3, dtype=np.int16))
                    be = g.create_dataset("f64be", data=np.arange(4, dtype=">f8"))
                    g.create_dataset("scalar", data=np.float64(2.5))
                    z = f.create_dataset("zipped", data=np.arange(1000, dtype=np.float32).reshape(100, 10),
                                         chunks=(10, 10), compression="gzip", compression_opts=7, maxshape=(None, 10))
                    z.attrs["units"] = "kPa"
                """, [path])
            let file = try HDF5File(path: path)
            #expect(try file.stringAttribute("title") == "h5py ✓")
            #expect(try file.stringAttribute("fixed") == "fixed-len")
            #expect(try file.doubleAttribute("alpha") == 0.25)
            #expect(try file.intAttribute("n") == 7)
            #expect(try file.doubleArrayAttribute("pressures") == [80, 100, 120])
            #expect(try file.intArrayAttribute("sizes") == [3, 4])
            #expect(try file.stringArrayAttribute("words") == ["alpha", "β"])
            #expect(try file.memberNames() == ["data", "zipped"])
            let train = try file.group("data/train")
            #expect(try train.memberNames() == ["f32", "f64", "f64be", "i16", "i32", "i64", "scalar", "u8"])
            let scalar = try train.dataset("scalar")
            #expect(try scalar.readWithShape(as: Double.self) == ([2.5], []))
            expectHDF5Error({ try scalar.read(as: Double.self, rows: 0..<1) }) {
                if case .invalidArgument = $0 { true } else { false }
            }
            #expect(try train.dataset("f32").shape == [3, 4])
            #expect(try train.dataset("f32").read(as: Float.self) == (0..<12).map { Float($0) * 0.5 })
            #expect(try train.dataset("f64").read(as: Double.self) == [0, 0.25, 0.5, 0.75, 1])
            #expect(try train.dataset("i32").shape == [2, 2, 2])
            #expect(try train.dataset("i32").read(as: Int32.self) == Array(-4..<4))
            #expect(try train.dataset("i64").read(as: Int64.self) == (0..<6).map { Int64($0) * 1_000_000_000_000 })
            #expect(try train.dataset("u8").shape == [2, 3, 2, 2])
            #expect(try train.dataset("u8").read(as: UInt8.self) == (0..<24).map { UInt8($0 * 9 % 256) })
            #expect(try train.dataset("f64be").read(as: Double.self) == [0, 1, 2, 3])  // byte order is not a type change
            let int16 = try train.dataset("i16")
            #expect(int16.elementType == nil)
            #expect(int16.storedTypeDescription == "16-bit signed integer")
            expectHDF5Error({ try int16.read(as: Int32.self) }) {
                if case .elementTypeMismatch(path, "/data/train/i16", _, "16-bit signed integer") = $0 { true } else { false }
            }
            let zipped = try file.dataset("zipped")
            #expect(try zipped.chunkShape == [10, 10])
            #expect(try zipped.compressionLevel == 7)
            #expect(try zipped.maximumShape == [nil, 10])
            #expect(try zipped.stringAttribute("units") == "kPa")
            #expect(try zipped.read(as: Float.self, rows: 42..<45) == (420..<450).map { Float($0) })
        }
    }

    @Test func h5pyExtendsWhatSwiftStarted() async throws {
        // A per-round log shared between tools: Swift creates and appends, h5py appends, Swift reads.
        try await withTemporaryDirectory { directory in
            let path = directory.path("log.h5")
            do {
                let file = try HDF5File(path: path, mode: .truncate)
                try file.createDataset("loss", of: Double.self, shape: [0], compressionLevel: 1, extendible: true)
                    .append([0.9, 0.7])
            }
            try expectPythonSucceeds("""
                import sys, h5py
                with h5py.File(sys.argv[1], "a") as f:
                    d = f["loss"]
                    d.resize((4,))
                    d[2:] = [0.5, 0.4]
                """, [path])
            let file = try HDF5File(path: path, mode: .readWrite)
            let loss = try file.dataset("loss")
            #expect(try loss.append([0.3]) == 4..<5)
            #expect(try loss.read(as: Double.self) == [0.9, 0.7, 0.5, 0.4, 0.3])
        }
    }
}
