/// A set of labeled images held in one flat array, N×C×H×W row-major.
///
/// Image `i` occupies `pixels[i * pixelsPerImage ..< (i + 1) * pixelsPerImage]`,
/// channel-major within the image (all of channel 0, row by row, then channel 1,
/// ...), which is the layout a convolutional network's input tensor expects.
///
/// Two pixel types are used: ``ByteImageDataset`` (`UInt8`, 0...255, as stored on
/// disk) and ``ImageDataset`` (`Float`, the network-ready values, usually scaled to
/// [0, 1] by ``scaledToUnitInterval()``).
public struct LabeledImages<Pixel: Sendable & Hashable>: Sendable, Hashable {
    /// All pixel values, N×C×H×W row-major.
    public private(set) var pixels: [Pixel]
    /// One class label per image.
    public private(set) var labels: [Int32]
    /// Channels per image (1 for grey-scale, 3 for RGB).
    public let channels: Int
    /// Image height in pixels (rows).
    public let height: Int
    /// Image width in pixels (columns).
    public let width: Int

    /// Creates a dataset from flat pixels and labels, checking that they agree.
    ///
    /// - Throws: ``DatasetError/inconsistentSizes(pixelCount:labelCount:pixelsPerImage:)``
    ///   when `pixels.count != labels.count * channels * height * width` or a dimension
    ///   is not positive.
    public init(pixels: [Pixel], labels: [Int32], channels: Int, height: Int, width: Int) throws(DatasetError) {
        let (perImage, overflow) = channels.multipliedReportingOverflow(by: height)
        let (perImage2, overflow2) = perImage.multipliedReportingOverflow(by: width)
        let (total, overflow3) = perImage2.multipliedReportingOverflow(by: labels.count)
        guard channels > 0, height > 0, width > 0, !overflow, !overflow2, !overflow3,
              total == pixels.count
        else {
            throw .inconsistentSizes(
                pixelCount: pixels.count, labelCount: labels.count,
                pixelsPerImage: overflow || overflow2 ? Int.max : perImage2)
        }
        self.pixels = pixels
        self.labels = labels
        self.channels = channels
        self.height = height
        self.width = width
    }

    /// Creates a dataset whose sizes the caller has already checked.
    init(validated pixels: [Pixel], labels: [Int32], channels: Int, height: Int, width: Int) {
        assert(pixels.count == labels.count * channels * height * width)
        self.pixels = pixels
        self.labels = labels
        self.channels = channels
        self.height = height
        self.width = width
    }

    /// The number of images, N.
    public var count: Int { labels.count }

    /// Values per image, C·H·W.
    public var pixelsPerImage: Int { channels * height * width }

    /// The shape of one image, `[C, H, W]`.
    public var imageShape: [Int] { [channels, height, width] }

    /// The pixels of image `index` (C×H×W row-major). `index` must be in `0 ..< count`.
    public func pixels(ofImage index: Int) -> ArraySlice<Pixel> {
        precondition(index >= 0 && index < count, "image index \(index) outside 0..<\(count)")
        let start = index * pixelsPerImage
        return pixels[start ..< start + pixelsPerImage]
    }

    /// The images at `indices`, in that order (repetitions allowed).
    ///
    /// - Throws: ``DatasetError/indexOutOfRange(index:count:)`` for an index outside `0 ..< count`.
    public func subset(_ indices: some Sequence<Int>) throws(DatasetError) -> Self {
        var newPixels: [Pixel] = []
        var newLabels: [Int32] = []
        newPixels.reserveCapacity(indices.underestimatedCount * pixelsPerImage)
        newLabels.reserveCapacity(indices.underestimatedCount)
        let perImage = pixelsPerImage
        for index in indices {
            guard index >= 0 && index < count else { throw .indexOutOfRange(index: index, count: count) }
            newPixels.append(contentsOf: pixels[index * perImage ..< (index + 1) * perImage])
            newLabels.append(labels[index])
        }
        return try Self(pixels: newPixels, labels: newLabels, channels: channels, height: height, width: width)
    }

    /// Appends the images of `other`, which must have the same image shape.
    ///
    /// - Throws: ``DatasetError/inconsistentSizes(pixelCount:labelCount:pixelsPerImage:)``
    ///   when the image shapes differ.
    public mutating func append(contentsOf other: Self) throws(DatasetError) {
        guard other.imageShape == imageShape else {
            throw .inconsistentSizes(pixelCount: other.pixels.count, labelCount: other.count,
                                     pixelsPerImage: pixelsPerImage)
        }
        pixels.append(contentsOf: other.pixels)
        labels.append(contentsOf: other.labels)
    }

    /// Checks that every label lies in `0 ..< classCount`.
    ///
    /// - Parameter file: the file named in the error.
    /// - Throws: ``DatasetError/labelOutOfRange(file:index:label:classCount:)`` for the first bad label.
    public func validateLabels(classCount: Int, file: String) throws(DatasetError) {
        for (index, label) in labels.enumerated() where label < 0 || Int(label) >= classCount {
            throw .labelOutOfRange(file: file, index: index, label: Int(label), classCount: classCount)
        }
    }
}

/// Labeled images with `UInt8` pixels (0...255), as stored in IDX and CIFAR-10 files.
public typealias ByteImageDataset = LabeledImages<UInt8>

/// Labeled images with `Float` pixels, the values a network consumes.
public typealias ImageDataset = LabeledImages<Float>

extension LabeledImages where Pixel == UInt8 {
    /// The same images with each byte `b` mapped to `Float(b) / 255`, in [0, 1].
    public func scaledToUnitInterval() -> ImageDataset {
        ImageDataset(validated: unitIntervalValues(of: pixels), labels: labels,
                     channels: channels, height: height, width: width)
    }
}

/// Each byte `b` of `bytes` mapped to `Float(b) / 255`.
func unitIntervalValues(of bytes: [UInt8]) -> [Float] {
    [Float](unsafeUninitializedCapacity: bytes.count) { buffer, initialized in
        bytes.withUnsafeBufferPointer { source in
            guard var from = source.baseAddress, var to = buffer.baseAddress else { return }
            let end = from + source.count
            while from < end {
                to.initialize(to: Float(from.pointee) / 255)
                from += 1
                to += 1
            }
        }
        initialized = bytes.count
    }
}
