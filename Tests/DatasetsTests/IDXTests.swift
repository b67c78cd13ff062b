import Datasets
import Foundation
import Testing

/// Three 4×5 images with distinct pixel values, and their labels.
private let imagePixels: [UInt8] = (0 ..< 60).map { UInt8(($0 * 7 + 3) % 256) }
private let imageLabels: [UInt8] = [2, 0, 9]

private func writePair(
    _ directory: TemporaryDirectory, compress: Bool = false,
    images: [UInt8] = idxBytes(shape: [3, 4, 5], body: imagePixels),
    labels: [UInt8] = idxBytes(shape: [3], body: imageLabels)
) throws -> (images: String, labels: String) {
    let imageFile = try directory.write(compress ? gzipped(images) : images, to: "images")
    let labelFile = try directory.write(compress ? gzipped(labels) : labels, to: "labels")
    return (imageFile, labelFile)
}

@Suite("IDX files")
struct IDXTests {
    @Test("raw and gzip-compressed IDX pairs load to the same dataset", arguments: [false, true])
    func loadsPair(compressed: Bool) throws {
        let directory = try TemporaryDirectory()
        let (images, labels) = try writePair(directory, compress: compressed)
        let dataset = try IDXDataset.load(imagesAt: images, labelsAt: labels, classCount: 10)
        #expect(dataset.count == 3)
        #expect(dataset.imageShape == [1, 4, 5])
        #expect(dataset.pixels == imagePixels)
        #expect(dataset.labels == [2, 0, 9])
        #expect(Array(dataset.pixels(ofImage: 2)) == Array(imagePixels[40 ..< 60]))
    }

    @Test("a 4-D IDX image file is read as N×C×H×W")
    func loadsChannels() throws {
        let directory = try TemporaryDirectory()
        let (images, labels) = try writePair(directory, images: idxBytes(shape: [3, 2, 2, 5], body: imagePixels))
        let dataset = try IDXDataset.load(imagesAt: images, labelsAt: labels)
        #expect(dataset.imageShape == [2, 2, 5])
        #expect(dataset.pixels == imagePixels)
    }

    @Test("the IDX header is parsed: big-endian sizes above 255")
    func bigEndianSizes() throws {
        let body = (0 ..< 300 * 2).map { UInt8($0 % 251) }
        let array = try IDXArray(parsing: idxBytes(shape: [300, 2], body: body), file: "m")
        #expect(array.shape == [300, 2])
        #expect(array.bytes == body)
    }

    @Test("a multi-member gzip file decompresses to the concatenation of its members")
    func multiMemberGzip() throws {
        let whole = idxBytes(shape: [3, 4, 5], body: imagePixels)
        let first = try gzipped(Array(whole[..<30]))
        let second = try gzipped(Array(whole[30...]))
        let directory = try TemporaryDirectory()
        let file = try directory.write(first + second + [0, 0, 0, 0], to: "multi")
        let array = try IDXArray(contentsOf: file)
        #expect(array.shape == [3, 4, 5])
        #expect(array.bytes == imagePixels)
    }

    @Test("output that outgrows the first buffer guess decompresses exactly")
    func largeGzip() throws {
        var generator = SplitMix(seed: 7)
        let data = (0 ..< 300_000).map { _ in UInt8(truncatingIfNeeded: generator.next() % 7) }
        // The size guess comes from the last member (3 bytes here), so the buffer must grow.
        let compressed = try gzipped(data) + gzipped([1, 2, 3])
        #expect(try Gzip.decompress(compressed, file: "two members") == data + [1, 2, 3])
    }

    @Test("a wrong length field in the gzip trailer is reported")
    func wrongLength() throws {
        var compressed = try gzipped([UInt8](repeating: 5, count: 1000))
        compressed.replaceSubrange(compressed.count - 4 ..< compressed.count, with: [16, 0, 0, 0])
        #expect(throws: DatasetError.self) { try Gzip.decompress(compressed, file: "spoiled") }
    }

    @Test("bad magic bytes are reported")
    func badMagic() throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 1, 9], to: "zip")
        #expect(throws: DatasetError.badMagic(file: file, found: [0x50, 0x4b, 0x03, 0x04],
                                              expected: "00 00 08 NN (IDX)")) {
            try IDXArray(contentsOf: file)
        }
    }

    @Test("a type code other than unsigned byte is reported")
    func unsupportedType() throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write(idxBytes(typeCode: 0x0D, shape: [1], body: [0, 0, 0, 0]), to: "floats")
        #expect(throws: DatasetError.unsupportedTypeCode(file: file, typeCode: 0x0D)) {
            try IDXArray(contentsOf: file)
        }
    }

    @Test("truncated data reports expected and actual byte counts")
    func truncatedData() throws {
        let directory = try TemporaryDirectory()
        let full = idxBytes(shape: [3, 4, 5], body: imagePixels)
        let file = try directory.write(Array(full.dropLast(7)), to: "short")
        #expect(throws: DatasetError.truncated(file: file, expectedBytes: 16 + 60, actualBytes: 16 + 53)) {
            try IDXArray(contentsOf: file)
        }
        let header = try directory.write([0, 0, 8, 3, 0, 0], to: "header")
        #expect(throws: DatasetError.truncated(file: header, expectedBytes: 16, actualBytes: 6)) {
            try IDXArray(contentsOf: header)
        }
    }

    @Test("bytes beyond the announced data are reported")
    func trailingBytes() throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write(idxBytes(shape: [2], body: [1, 2, 3]), to: "long")
        #expect(throws: DatasetError.trailingBytes(file: file, expectedBytes: 10, actualBytes: 11)) {
            try IDXArray(contentsOf: file)
        }
    }

    @Test("image and label counts must match")
    func countMismatch() throws {
        let directory = try TemporaryDirectory()
        let (images, labels) = try writePair(directory, labels: idxBytes(shape: [2], body: [1, 2]))
        #expect(throws: DatasetError.countMismatch(images: images, imageCount: 3, labels: labels, labelCount: 2)) {
            try IDXDataset.load(imagesAt: images, labelsAt: labels)
        }
    }

    @Test("labels outside the class range are reported with their sample index")
    func labelOutOfRange() throws {
        let directory = try TemporaryDirectory()
        let (images, labels) = try writePair(directory)
        #expect(throws: DatasetError.labelOutOfRange(file: labels, index: 2, label: 9, classCount: 5)) {
            try IDXDataset.load(imagesAt: images, labelsAt: labels, classCount: 5)
        }
    }

    @Test("labels must be one-dimensional and images three- or four-dimensional")
    func shapes() throws {
        let directory = try TemporaryDirectory()
        let (images, labels) = try writePair(directory, labels: idxBytes(shape: [3, 1], body: imageLabels))
        #expect(throws: DatasetError.unexpectedShape(file: labels, shape: [3, 1],
                                                     expected: "N labels (one dimension)")) {
            try IDXDataset.load(imagesAt: images, labelsAt: labels)
        }
    }

    @Test("a corrupt gzip stream is reported")
    func corruptGzip() throws {
        var compressed = try gzipped(idxBytes(shape: [3, 4, 5], body: imagePixels))
        compressed[compressed.count - 6] ^= 0xff  // inside the CRC-32
        let directory = try TemporaryDirectory()
        let file = try directory.write(compressed, to: "bad.gz")
        #expect {
            try IDXArray(contentsOf: file)
        } throws: { error in
            guard case .corruptGzip(let named, _) = error as? DatasetError else { return false }
            return named == file
        }
    }

    @Test("a truncated gzip stream is an error, not a short file")
    func truncatedGzip() throws {
        let compressed = try gzipped(idxBytes(shape: [3, 4, 5], body: imagePixels))
        let directory = try TemporaryDirectory()
        for cut in [1, 8, compressed.count / 2] {
            let file = try directory.write(Array(compressed.dropLast(cut)), to: "cut\(cut).gz")
            #expect(throws: DatasetError.corruptGzip(
                file: file, reason: "the stream ends before its end marker (truncated file)")) {
                try IDXArray(contentsOf: file)
            }
        }
    }

    @Test("non-gzip bytes after a gzip member are reported")
    func trailingGarbage() throws {
        let compressed = try gzipped(idxBytes(shape: [2], body: [1, 2]))
        let directory = try TemporaryDirectory()
        let file = try directory.write(compressed + [0x41, 0x42, 0x43], to: "garbage.gz")
        #expect(throws: DatasetError.self) { try IDXArray(contentsOf: file) }
    }

    @Test("a missing file is reported as unreadable")
    func missingFile() throws {
        #expect(throws: DatasetError.unreadable(file: "/nonexistent/x-idx1-ubyte", reason: "no such file")) {
            try IDXArray(contentsOf: "/nonexistent/x-idx1-ubyte")
        }
    }
}

/// A small deterministic pseudo-random generator (SplitMix64) for test data.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Fashion-MNIST file layout")
struct FashionMNISTLayoutTests {
    @Test("a directory may mix compressed and uncompressed files")
    func mixedDirectory() throws {
        let directory = try TemporaryDirectory()
        try directory.write(gzipped(idxBytes(shape: [3, 4, 5], body: imagePixels)), to: "t10k-images-idx3-ubyte.gz")
        try directory.write(idxBytes(shape: [3], body: imageLabels), to: "t10k-labels-idx1-ubyte")
        let dataset = try FashionMNIST.load(.test, from: directory.path)
        #expect(dataset.labels == [2, 0, 9])
        #expect(dataset.pixels == imagePixels)
        #expect(throws: DatasetError.unreadable(file: directory.path + "/train-images-idx3-ubyte",
                                                reason: "no such file")) {
            try FashionMNIST.load(.train, from: directory.path)
        }
    }
}
