/// CIFAR-10 (Krizhevsky 2009) in its binary version: 32×32 RGB images in 10 classes.
///
/// A batch file (`data_batch_1.bin` ... `data_batch_5.bin`, `test_batch.bin`) is a
/// sequence of 3,073-byte records: one label byte (0...9), then 3,072 pixel bytes,
/// the 1,024 red values row by row, then green, then blue (C×H×W). Files may
/// also be gzip-compressed (recognized by their magic bytes).
public enum CIFAR10 {
    /// Image channels (red, green, blue).
    public static let channels = 3
    /// Image height and width in pixels.
    public static let side = 32
    /// Bytes per record: one label byte and 3×32×32 pixel bytes.
    public static let recordBytes = 1 + 3 * 32 * 32

    /// The class names, indexed by label.
    public static let classNames = [
        "airplane", "automobile", "bird", "cat", "deer",
        "dog", "frog", "horse", "ship", "truck",
    ]

    /// The training batch file names, in order.
    public static let trainingBatchNames = (1 ... 5).map { "data_batch_\($0).bin" }
    /// The test batch file name.
    public static let testBatchName = "test_batch.bin"

    /// Reads one batch file.
    ///
    /// - Throws: ``DatasetError``: unreadable file, corrupt gzip,
    ///   ``DatasetError/partialRecord(file:recordBytes:actualBytes:)`` when the size is
    ///   not a multiple of 3,073 bytes, or ``DatasetError/labelOutOfRange(file:index:label:classCount:)``.
    public static func loadBatch(at path: String) throws(DatasetError) -> ByteImageDataset {
        try parseBatch(FileBytes.readDecompressing(path), file: path)
    }

    /// Reads several batch files and concatenates them in order (e.g. the five training batches).
    public static func loadBatches(at paths: [String]) throws(DatasetError) -> ByteImageDataset {
        var dataset = ByteImageDataset(validated: [], labels: [], channels: channels, height: side, width: side)
        for path in paths {
            try dataset.append(contentsOf: loadBatch(at: path))
        }
        return dataset
    }

    /// Parses the bytes of one (uncompressed) batch file.
    ///
    /// - Parameter file: the file's name, for errors.
    public static func parseBatch(_ data: [UInt8], file: String) throws(DatasetError) -> ByteImageDataset {
        guard data.count % recordBytes == 0 else {
            throw .partialRecord(file: file, recordBytes: recordBytes, actualBytes: data.count)
        }
        let count = data.count / recordBytes
        let perImage = recordBytes - 1
        var labels = [Int32](repeating: 0, count: count)
        var pixels = [UInt8](repeating: 0, count: count * perImage)
        var badLabel: (index: Int, label: UInt8)?
        data.withUnsafeBufferPointer { source in
            pixels.withUnsafeMutableBufferPointer { target in
                labels.withUnsafeMutableBufferPointer { labelBuffer in
                    for record in 0 ..< count {
                        let start = record * recordBytes
                        let label = source[start]
                        if label >= classNames.count, badLabel == nil { badLabel = (record, label) }
                        labelBuffer[record] = Int32(label)
                        (target.baseAddress! + record * perImage)
                            .update(from: source.baseAddress! + start + 1, count: perImage)
                    }
                }
            }
        }
        if let badLabel {
            throw .labelOutOfRange(file: file, index: badLabel.index, label: Int(badLabel.label),
                                   classCount: classNames.count)
        }
        return ByteImageDataset(validated: pixels, labels: labels, channels: channels, height: side, width: side)
    }
}
