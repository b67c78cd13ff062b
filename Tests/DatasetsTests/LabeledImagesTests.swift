import Datasets
import Foundation
import Testing

@Suite("Labeled images")
struct LabeledImagesTests {
    private func sample() throws -> ByteImageDataset {
        try ByteImageDataset(pixels: (0 ..< 24).map { UInt8($0 * 10) }, labels: [0, 1, 2, 3],
                             channels: 1, height: 2, width: 3)
    }

    @Test("subsets keep the requested order and allow repeats")
    func subset() throws {
        let dataset = try sample()
        let picked = try dataset.subset([3, 0, 3])
        #expect(picked.labels == [3, 0, 3])
        #expect(picked.pixels == Array(dataset.pixels[18 ..< 24] + dataset.pixels[0 ..< 6] + dataset.pixels[18 ..< 24]))
        #expect(try dataset.subset(1 ..< 3).labels == [1, 2])
    }

    @Test("an index outside the dataset is reported")
    func subsetOutOfRange() throws {
        #expect(throws: DatasetError.indexOutOfRange(index: 4, count: 4)) { try sample().subset([1, 4]) }
        #expect(throws: DatasetError.indexOutOfRange(index: -1, count: 4)) { try sample().subset([-1]) }
    }

    @Test("bytes are scaled to b / 255")
    func scaling() throws {
        let scaled = try sample().scaledToUnitInterval()
        #expect(scaled.pixels.count == 24)
        #expect(scaled.pixels[0] == 0)
        #expect(scaled.pixels[5] == Float(50) / 255)
        #expect(scaled.labels == [0, 1, 2, 3])
        let full = try ByteImageDataset(pixels: [255], labels: [0], channels: 1, height: 1, width: 1)
        #expect(full.scaledToUnitInterval().pixels == [1])
    }

    @Test("pixels and labels that do not make whole images are rejected")
    func inconsistent() {
        #expect(throws: DatasetError.inconsistentSizes(pixelCount: 5, labelCount: 1, pixelsPerImage: 6)) {
            try ByteImageDataset(pixels: [1, 2, 3, 4, 5], labels: [0], channels: 1, height: 2, width: 3)
        }
        #expect(throws: DatasetError.self) {
            try ImageDataset(pixels: [], labels: [], channels: 0, height: 2, width: 3)
        }
    }

    @Test("errors describe the file and the problem")
    func messages() {
        let error = DatasetError.truncated(file: "a.idx", expectedBytes: 100, actualBytes: 40)
        #expect(error.description == "a.idx: truncated: expected 100 bytes, found 40")
        #expect(DatasetError.badMagic(file: "f", found: [0x1f, 0x8b, 8, 0], expected: "IDX").description
            == "f: bad magic number [1f 8b 08 00]; expected IDX")
    }
}

/// Fashion-MNIST as Debian's `dataset-fashion-mnist` installs it (setup.sh installs the package).
/// Reference figures were computed independently with Python's gzip and struct modules.
/// When the package is missing the suite fails, telling to run ./setup.sh (never a silent skip).
@Suite("Fashion-MNIST (real files)")
struct FashionMNISTTests {
    init() throws {
        try #require(FileManager.default.fileExists(atPath: FashionMNIST.debianDirectory + "/t10k-labels-idx1-ubyte.gz"),
                     "Fashion-MNIST is missing from \(FashionMNIST.debianDirectory) (Debian package dataset-fashion-mnist); run ./setup.sh")
    }

    @Test("the test split loads with the reference labels and pixel statistics")
    func testSplit() throws {
        let bytes = try FashionMNIST.load(.test)
        let dataset = bytes.scaledToUnitInterval()
        #expect(dataset.count == 10_000)
        #expect(dataset.imageShape == [1, 28, 28])
        #expect(dataset.labels.first == 9)
        #expect(Array(dataset.labels.prefix(10)) == [9, 2, 1, 1, 6, 1, 4, 6, 5, 7])
        for label in 0 ..< 10 {
            #expect(dataset.labels.count { $0 == Int32(label) } == 1000)
        }
        // Python: sum of all pixel bytes 573469082; first image 33456 (267 non-zero pixels,
        // maximum 255, pixel (14, 14) = 110); last image 24390.
        let total = bytes.pixels.withUnsafeBufferPointer { buffer in
            var sum = 0
            for byte in buffer { sum += Int(byte) }
            return sum
        }
        #expect(total == 573_469_082)
        let first = bytes.pixels(ofImage: 0)
        #expect(first.reduce(0) { $0 + Int($1) } == 33456)
        #expect(first.count { $0 != 0 } == 267)
        #expect(first[first.startIndex + 14 * 28 + 14] == 110)
        #expect(bytes.pixels(ofImage: 9999).reduce(0) { $0 + Int($1) } == 24390)
        #expect(dataset.pixels[14 * 28 + 14] == Float(110) / 255)
        #expect(dataset.pixels.max() == 1 && dataset.pixels.min() == 0)
    }
}
