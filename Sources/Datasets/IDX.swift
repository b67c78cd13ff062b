/// An n-dimensional array of unsigned bytes read from an IDX file (MNIST's format).
///
/// The IDX format: a 4-byte magic number `00 00 TT NN` (`TT` the element type
/// code, `0x08` for unsigned byte; `NN` the number of dimensions), then `NN`
/// big-endian 32-bit sizes, then the elements in row-major order.
public struct IDXArray: Sendable, Hashable {
    /// The sizes of the dimensions, outermost first (`[N, H, W]` for MNIST images).
    public var shape: [Int]
    /// The elements, row-major.
    public var bytes: [UInt8]

    /// The IDX element type code for unsigned bytes, the only one this reader accepts.
    public static let unsignedByteTypeCode: UInt8 = 0x08

    /// Reads an IDX file, raw or gzip-compressed (recognized by its magic bytes).
    ///
    /// - Parameter path: the file's path.
    /// - Throws: ``DatasetError`` naming the file: unreadable, corrupt gzip, bad magic,
    ///   unsupported type code, truncated data, or trailing bytes.
    public init(contentsOf path: String) throws(DatasetError) {
        try self.init(parsing: FileBytes.readDecompressing(path), file: path)
    }

    /// Parses the bytes of an (uncompressed) IDX file.
    ///
    /// - Parameters:
    ///   - data: the file's bytes.
    ///   - file: the file's name, for errors.
    public init(parsing data: [UInt8], file: String) throws(DatasetError) {
        guard data.count >= 4 else {
            throw .truncated(file: file, expectedBytes: 4, actualBytes: data.count)
        }
        guard data[0] == 0, data[1] == 0 else {
            throw .badMagic(file: file, found: Array(data[0 ..< 4]), expected: "00 00 08 NN (IDX)")
        }
        guard data[2] == Self.unsignedByteTypeCode else {
            throw .unsupportedTypeCode(file: file, typeCode: data[2])
        }
        let rank = Int(data[3])
        guard rank > 0 else {
            throw .badMagic(file: file, found: Array(data[0 ..< 4]),
                            expected: "00 00 08 NN with at least one dimension (IDX)")
        }
        let headerBytes = 4 + 4 * rank
        guard data.count >= headerBytes else {
            throw .truncated(file: file, expectedBytes: headerBytes, actualBytes: data.count)
        }
        var shape: [Int] = []
        var elementCount = 1
        var overflow = false
        for axis in 0 ..< rank {
            let at = 4 + 4 * axis
            let size = Int(data[at]) << 24 | Int(data[at + 1]) << 16 | Int(data[at + 2]) << 8 | Int(data[at + 3])
            shape.append(size)
            let (product, overflowed) = elementCount.multipliedReportingOverflow(by: size)
            elementCount = product
            overflow = overflow || overflowed
        }
        let (expected, overflowed) = headerBytes.addingReportingOverflow(elementCount)
        guard !overflow, !overflowed, data.count >= expected else {
            throw .truncated(file: file, expectedBytes: overflow || overflowed ? Int.max : expected,
                             actualBytes: data.count)
        }
        guard data.count == expected else {
            throw .trailingBytes(file: file, expectedBytes: expected, actualBytes: data.count)
        }
        self.shape = shape
        self.bytes = Array(data[headerBytes...])
    }
}

/// Loading image classification datasets stored as a pair of IDX files, as MNIST
/// and Fashion-MNIST are.
public enum IDXDataset {
    /// Loads images (an IDX file of shape N×H×W, or N×C×H×W) and their labels (shape N).
    ///
    /// Either file may be gzip-compressed.
    ///
    /// - Parameters:
    ///   - imagesPath: the images file (`*-images-idx3-ubyte[.gz]`).
    ///   - labelsPath: the labels file (`*-labels-idx1-ubyte[.gz]`).
    ///   - classCount: when given, every label must lie in `0 ..< classCount`.
    /// - Throws: ``DatasetError``: any error of ``IDXArray/init(contentsOf:)``,
    ///   an unexpected shape, a count mismatch, or a label out of range.
    public static func load(
        imagesAt imagesPath: String, labelsAt labelsPath: String, classCount: Int? = nil
    ) throws(DatasetError) -> ByteImageDataset {
        let images = try IDXArray(contentsOf: imagesPath)
        let labels = try IDXArray(contentsOf: labelsPath)
        let channels: Int, height: Int, width: Int
        switch images.shape.count {
        case 3: (channels, height, width) = (1, images.shape[1], images.shape[2])
        case 4: (channels, height, width) = (images.shape[1], images.shape[2], images.shape[3])
        default:
            throw .unexpectedShape(file: imagesPath, shape: images.shape, expected: "N×H×W or N×C×H×W images")
        }
        guard labels.shape.count == 1 else {
            throw .unexpectedShape(file: labelsPath, shape: labels.shape, expected: "N labels (one dimension)")
        }
        guard images.shape[0] == labels.shape[0] else {
            throw .countMismatch(images: imagesPath, imageCount: images.shape[0],
                                 labels: labelsPath, labelCount: labels.shape[0])
        }
        guard channels > 0, height > 0, width > 0 else {
            throw .unexpectedShape(file: imagesPath, shape: images.shape, expected: "positive image sizes")
        }
        let dataset = ByteImageDataset(
            validated: images.bytes, labels: labels.bytes.map { Int32($0) },
            channels: channels, height: height, width: width)
        if let classCount {
            try dataset.validateLabels(classCount: classCount, file: labelsPath)
        }
        return dataset
    }
}

/// Fashion-MNIST (Xiao, Rasul & Vollgraf 2017): 70,000 grey-scale 28×28 images of
/// clothing in 10 classes, 60,000 for training and 10,000 for testing.
public enum FashionMNIST {
    /// Where Debian's `dataset-fashion-mnist` package installs the files.
    public static let debianDirectory = "/usr/share/datasets/fashion-mnist"

    /// The class names, indexed by label.
    public static let classNames = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]

    /// One of the two standard splits.
    public enum Split: String, Sendable, CaseIterable {
        /// The 60,000 training images (`train-*`).
        case train
        /// The 10,000 test images (`t10k-*`).
        case test

        /// The prefix of the split's file names.
        public var filePrefix: String { self == .train ? "train" : "t10k" }
    }

    /// Loads one split from `directory`, which holds `{train,t10k}-{images-idx3,labels-idx1}-ubyte`
    /// files, gzip-compressed (`.gz`) or not.
    ///
    /// - Throws: ``DatasetError`` naming the file that is missing or malformed.
    public static func load(
        _ split: Split, from directory: String = debianDirectory
    ) throws(DatasetError) -> ByteImageDataset {
        let images = path(in: directory, split.filePrefix + "-images-idx3-ubyte")
        let labels = path(in: directory, split.filePrefix + "-labels-idx1-ubyte")
        return try IDXDataset.load(imagesAt: images, labelsAt: labels, classCount: classNames.count)
    }

    /// `directory/name.gz` when it exists, otherwise `directory/name`.
    private static func path(in directory: String, _ name: String) -> String {
        let base = directory.hasSuffix("/") ? directory + name : directory + "/" + name
        return FileBytes.exists(base + ".gz") ? base + ".gz" : base
    }
}
