import Datasets
import Testing

/// One CIFAR-10 record: the label byte, then red, green and blue planes of 32×32 bytes,
/// each pixel value encoding (record, channel, row, column) so the layout can be checked.
private func record(_ index: Int, label: UInt8) -> [UInt8] {
    var bytes = [label]
    for channel in 0 ..< 3 {
        for row in 0 ..< 32 {
            for column in 0 ..< 32 {
                bytes.append(UInt8((index * 50 + channel * 80 + row * 3 + column) % 256))
            }
        }
    }
    return bytes
}

@Suite("CIFAR-10 binary batches")
struct CIFAR10Tests {
    @Test("records are split into labels and C×H×W pixels", arguments: [false, true])
    func readsBatch(compressed: Bool) throws {
        let bytes = record(0, label: 3) + record(1, label: 0) + record(2, label: 9)
        let directory = try TemporaryDirectory()
        let file = try directory.write(compressed ? gzipped(bytes) : bytes, to: "data_batch_1.bin")
        let batch = try CIFAR10.loadBatch(at: file)
        #expect(batch.count == 3)
        #expect(batch.imageShape == [3, 32, 32])
        #expect(batch.labels == [3, 0, 9])
        let image = Array(batch.pixels(ofImage: 1))
        // Image 1, channel 2 (blue), row 5, column 7.
        let expected: Int = (1 * 50 + 2 * 80 + 5 * 3 + 7) % 256
        #expect(Int(image[2 * 1024 + 5 * 32 + 7]) == expected)
        #expect(image == Array(record(1, label: 0).dropFirst()))
    }

    @Test("several batches are concatenated in order")
    func concatenates() throws {
        let directory = try TemporaryDirectory()
        let first = try directory.write(record(0, label: 1) + record(1, label: 2), to: "data_batch_1.bin")
        let second = try directory.write(record(2, label: 7), to: "data_batch_2.bin")
        let all = try CIFAR10.loadBatches(at: [first, second])
        #expect(all.labels == [1, 2, 7])
        #expect(Array(all.pixels(ofImage: 2)) == Array(record(2, label: 7).dropFirst()))
    }

    @Test("a size that is not a multiple of 3,073 bytes is reported")
    func partialRecord() throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write(record(0, label: 1) + [4, 5, 6], to: "short.bin")
        #expect(throws: DatasetError.partialRecord(file: file, recordBytes: 3073, actualBytes: 3076)) {
            try CIFAR10.loadBatch(at: file)
        }
    }

    @Test("a label of 10 or more is reported with its record index")
    func labelOutOfRange() throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write(record(0, label: 1) + record(1, label: 10), to: "bad.bin")
        #expect(throws: DatasetError.labelOutOfRange(file: file, index: 1, label: 10, classCount: 10)) {
            try CIFAR10.loadBatch(at: file)
        }
    }
}
