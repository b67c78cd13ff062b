import Datasets
import Foundation
import Testing

/// Runs a Python script with Debian's `/usr/bin/python3` (which has h5py and NumPy)
/// to write test files with an HDF5 implementation independent of this package.
private func python(_ script: String) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
    process.arguments = ["-c", script]
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
}

private let h5pyAvailable: Bool = {
    (try? python("import h5py, numpy")) != nil
}()

/// The project's one skip policy: a test that needs an installed package fails, telling
/// to run ./setup.sh, instead of skipping silently (CI installs everything).
private func requireH5py(sourceLocation: SourceLocation = #_sourceLocation) throws {
    try #require(h5pyAvailable, """
        this test writes its files with h5py: /usr/bin/python3 cannot import h5py and numpy \
        (Debian package python3-h5py); run ./setup.sh
        """, sourceLocation: sourceLocation)
}

@Suite("HDF5 image datasets (files written by h5py)")
struct HDF5ImagesTests {
    init() throws { try requireH5py() }

    @Test("uint8 N×H×W images are scaled to [0, 1]; int64 labels are read")
    func bytesImages() throws {
        let directory = try TemporaryDirectory()
        let file = directory.path + "/bytes.h5"
        try python("""
            import h5py, numpy as np
            with h5py.File('\(file)', 'w') as f:
                f['images'] = (np.arange(4 * 3 * 5) * 7 % 256).astype(np.uint8).reshape(4, 3, 5)
                f['labels'] = np.array([3, 0, 9, 1], dtype=np.int64)
            """)
        let dataset = try HDF5Images.load(from: file, classCount: 10)
        #expect(dataset.imageShape == [1, 3, 5])
        #expect(dataset.labels == [3, 0, 9, 1])
        let expected: [Float] = (0 ..< 60).map { (index: Int) -> Float in Float(index * 7 % 256) / 255 }
        #expect(dataset.pixels == expected)
        let part = try HDF5Images.load(from: file, rows: 1 ..< 3)
        #expect(part.labels == [0, 9])
        #expect(part.pixels == Array(dataset.pixels[15 ..< 45]))
    }

    @Test("float32 N×C×H×W images with int32 or uint8 labels under custom names are read as stored")
    func floatImages() throws {
        let directory = try TemporaryDirectory()
        let file = directory.path + "/floats.h5"
        try python("""
            import h5py, numpy as np
            with h5py.File('\(file)', 'w') as f:
                g = f.create_group('train')
                g['x'] = (np.arange(2 * 2 * 3 * 4) / 10 - 1.5).astype(np.float32).reshape(2, 2, 3, 4)
                g['y'] = np.array([7, 2], dtype=np.int32)
                g['y8'] = np.array([1, 4], dtype=np.uint8)
            """)
        let dataset = try HDF5Images.load(from: file, imagesDataset: "train/x", labelsDataset: "train/y")
        #expect(dataset.imageShape == [2, 3, 4])
        #expect(dataset.labels == [7, 2])
        let expected: [Float] = (0 ..< 48).map { (index: Int) -> Float in Float(Double(index) / 10 - 1.5) }
        #expect(dataset.pixels == expected)
        #expect(try HDF5Images.load(from: file, imagesDataset: "train/x", labelsDataset: "train/y8").labels == [1, 4])
    }

    @Test("malformed HDF5 datasets give typed errors")
    func errors() throws {
        let directory = try TemporaryDirectory()
        let file = directory.path + "/bad.h5"
        try python("""
            import h5py, numpy as np
            with h5py.File('\(file)', 'w') as f:
                f['images'] = np.zeros((3, 2, 2), dtype=np.uint8)
                f['labels'] = np.array([0, 1, 12], dtype=np.int32)
                f['short'] = np.array([0, 1], dtype=np.int32)
                f['matrix'] = np.zeros((3, 1), dtype=np.int32)
                f['int16'] = np.zeros((3, 2, 2), dtype=np.int16)
                f['flat'] = np.zeros((3, 4), dtype=np.uint8)
                f['floatlabels'] = np.zeros(3, dtype=np.float32)
            """)
        #expect(throws: DatasetError.labelOutOfRange(file: file + ":labels", index: 2, label: 12, classCount: 10)) {
            try HDF5Images.load(from: file, classCount: 10)
        }
        #expect(try HDF5Images.load(from: file).labels == [0, 1, 12])
        #expect(throws: DatasetError.countMismatch(images: file + ":images", imageCount: 3,
                                                   labels: file + ":short", labelCount: 2)) {
            try HDF5Images.load(from: file, labelsDataset: "short")
        }
        #expect(throws: DatasetError.unexpectedShape(file: file + ":matrix", shape: [3, 1],
                                                     expected: "N labels (one dimension)")) {
            try HDF5Images.load(from: file, labelsDataset: "matrix")
        }
        #expect(throws: DatasetError.unexpectedShape(file: file + ":flat", shape: [3, 4],
                                                     expected: "N×H×W or N×C×H×W images")) {
            try HDF5Images.load(from: file, imagesDataset: "flat")
        }
        #expect(throws: DatasetError.unsupportedDataset(file: file, dataset: "missing", reason: "no such dataset")) {
            try HDF5Images.load(from: file, imagesDataset: "missing")
        }
        #expect {
            try HDF5Images.load(from: file, imagesDataset: "int16")
        } throws: { error in
            guard case .unsupportedDataset(file, "int16", let reason) = error as? DatasetError else { return false }
            return reason.contains("16-bit")
        }
        #expect {
            try HDF5Images.load(from: file, labelsDataset: "floatlabels")
        } throws: { error in
            guard case .unsupportedDataset(file, "floatlabels", _) = error as? DatasetError else { return false }
            return true
        }
        #expect(throws: DatasetError.indexOutOfRange(index: 3, count: 3)) {
            try HDF5Images.load(from: file, rows: 1 ..< 4)
        }
    }

    @Test("a missing file or a file that is not HDF5 is unreadable")
    func unreadable() throws {
        let directory = try TemporaryDirectory()
        #expect(throws: DatasetError.unreadable(file: directory.path + "/none.h5", reason: "no such file")) {
            try HDF5Images.load(from: directory.path + "/none.h5")
        }
        let text = try directory.write(Array("not an HDF5 file".utf8), to: "text.h5")
        #expect {
            try HDF5Images.load(from: text)
        } throws: { error in
            guard case .unreadable(text, _) = error as? DatasetError else { return false }
            return true
        }
    }
}
