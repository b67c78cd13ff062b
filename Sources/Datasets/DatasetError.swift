/// Why a dataset file could not be read.
///
/// Every case names the file (its path, as given by the caller) and what was
/// wrong with it, so that a message reaching a researcher says which file to
/// look at and why.
public enum DatasetError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file could not be opened or read (missing, permissions, I/O error).
    case unreadable(file: String, reason: String)
    /// The file does not start with the magic number of the expected format.
    case badMagic(file: String, found: [UInt8], expected: String)
    /// An IDX file whose element type code is not `0x08` (unsigned byte).
    case unsupportedTypeCode(file: String, typeCode: UInt8)
    /// The file ends before the data its header announces.
    case truncated(file: String, expectedBytes: Int, actualBytes: Int)
    /// The file holds more bytes than its header announces.
    case trailingBytes(file: String, expectedBytes: Int, actualBytes: Int)
    /// A record-based file (CIFAR-10) whose size is not a whole number of records.
    case partialRecord(file: String, recordBytes: Int, actualBytes: Int)
    /// An array whose shape does not fit its role (labels must be 1-D, images 3-D or 4-D).
    case unexpectedShape(file: String, shape: [Int], expected: String)
    /// The images and labels files hold different numbers of samples.
    case countMismatch(images: String, imageCount: Int, labels: String, labelCount: Int)
    /// A label outside `0 ..< classCount` (sample `index`, counting from 0).
    case labelOutOfRange(file: String, index: Int, label: Int, classCount: Int)
    /// A gzip stream that zlib rejects, or that ends before its end marker.
    case corruptGzip(file: String, reason: String)
    /// An HDF5 dataset that is missing or has an element type this module does not read.
    case unsupportedDataset(file: String, dataset: String, reason: String)
    /// Pixels and labels whose sizes do not describe whole images.
    case inconsistentSizes(pixelCount: Int, labelCount: Int, pixelsPerImage: Int)
    /// An image index outside `0 ..< count` (in a subset request).
    case indexOutOfRange(index: Int, count: Int)

    /// A one-line message naming what was wrong.
    public var description: String {
        switch self {
        case let .unreadable(file, reason):
            return "\(file): cannot read the file (\(reason))"
        case let .badMagic(file, found, expected):
            let hex = found.map { byte in
                let digits = String(byte, radix: 16)
                return digits.count == 1 ? "0" + digits : digits
            }.joined(separator: " ")
            return "\(file): bad magic number [\(hex)]; expected \(expected)"
        case let .unsupportedTypeCode(file, typeCode):
            return "\(file): unsupported IDX element type code 0x\(String(typeCode, radix: 16)) "
                + "(only 0x08, unsigned byte, is read)"
        case let .truncated(file, expected, actual):
            return "\(file): truncated: expected \(expected) bytes, found \(actual)"
        case let .trailingBytes(file, expected, actual):
            return "\(file): \(actual - expected) unexpected bytes after the data "
                + "(expected \(expected) bytes, found \(actual))"
        case let .partialRecord(file, recordBytes, actual):
            return "\(file): size \(actual) bytes is not a multiple of the record size \(recordBytes)"
                + " (the last record is incomplete)"
        case let .unexpectedShape(file, shape, expected):
            return "\(file): array of shape \(shape); expected \(expected)"
        case let .countMismatch(images, imageCount, labels, labelCount):
            return "\(imageCount) images in \(images) but \(labelCount) labels in \(labels)"
        case let .labelOutOfRange(file, index, label, classCount):
            return "\(file): label \(label) of sample \(index) is outside 0..<\(classCount)"
        case let .corruptGzip(file, reason):
            return "\(file): corrupt gzip stream (\(reason))"
        case let .unsupportedDataset(file, dataset, reason):
            return "\(file): dataset '\(dataset)': \(reason)"
        case let .inconsistentSizes(pixelCount, labelCount, pixelsPerImage):
            return "\(pixelCount) pixel values do not make \(labelCount) images of \(pixelsPerImage) values"
        case let .indexOutOfRange(index, count):
            return "image index \(index) is outside 0..<\(count)"
        }
    }
}
