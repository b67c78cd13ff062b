import HDF5Store

/// Labeled images stored as two datasets of an HDF5 file.
///
/// The images dataset has shape N×H×W (one channel) or N×C×H×W and element type
/// `uint8` (pixels 0...255, scaled to [0, 1] on reading) or `float32`/`float64`
/// (read as they are). The labels dataset has shape N and element type `int32`,
/// `int64` or `uint8`. This is the layout `h5py` writes from NumPy arrays
/// `images` and `labels`, and the one the project's own HDF5 files use.
public enum HDF5Images {
    /// Reads images and labels from an HDF5 file.
    ///
    /// - Parameters:
    ///   - path: the HDF5 file.
    ///   - imagesDataset: the images dataset's path inside the file.
    ///   - labelsDataset: the labels dataset's path inside the file.
    ///   - rows: when given, only these samples (a hyperslab of the first axis) are read.
    ///   - classCount: when given, every label must lie in `0 ..< classCount`;
    ///     otherwise labels must lie in `0 ... Int32.max`.
    /// - Returns: the images (uint8 scaled to [0, 1]) with their labels.
    /// - Throws: ``DatasetError``: ``DatasetError/unreadable(file:reason:)`` for a missing or
    ///   non-HDF5 file, ``DatasetError/unsupportedDataset(file:dataset:reason:)`` for a missing
    ///   dataset or an unsupported element type, ``DatasetError/unexpectedShape(file:shape:expected:)``,
    ///   ``DatasetError/countMismatch(images:imageCount:labels:labelCount:)``, or
    ///   ``DatasetError/labelOutOfRange(file:index:label:classCount:)``.
    public static func load(
        from path: String, imagesDataset: String = "images", labelsDataset: String = "labels",
        rows: Range<Int>? = nil, classCount: Int? = nil
    ) throws(DatasetError) -> ImageDataset {
        let file: HDF5File
        do {
            file = try HDF5File(path: path, mode: .readOnly)
        } catch let error as HDF5Error {
            if case .fileNotFound = error { throw .unreadable(file: path, reason: "no such file") }
            throw .unreadable(file: path, reason: error.libraryMessage ?? error.description)
        } catch {
            throw .unreadable(file: path, reason: "\(error)")
        }
        let images = try dataset(imagesDataset, in: file, path: path)
        let labels = try dataset(labelsDataset, in: file, path: path)
        let imageShape = try shape(of: images, named: imagesDataset, path: path)
        let labelShape = try shape(of: labels, named: labelsDataset, path: path)

        let imagesName = path + ":" + imagesDataset
        let labelsName = path + ":" + labelsDataset
        let channels: Int, height: Int, width: Int
        switch imageShape.count {
        case 3: (channels, height, width) = (1, imageShape[1], imageShape[2])
        case 4: (channels, height, width) = (imageShape[1], imageShape[2], imageShape[3])
        default:
            throw .unexpectedShape(file: imagesName, shape: imageShape, expected: "N×H×W or N×C×H×W images")
        }
        guard channels > 0, height > 0, width > 0 else {
            throw .unexpectedShape(file: imagesName, shape: imageShape, expected: "positive image sizes")
        }
        guard labelShape.count == 1 else {
            throw .unexpectedShape(file: labelsName, shape: labelShape, expected: "N labels (one dimension)")
        }
        guard imageShape[0] == labelShape[0] else {
            throw .countMismatch(images: imagesName, imageCount: imageShape[0],
                                 labels: labelsName, labelCount: labelShape[0])
        }
        let selected = rows ?? 0 ..< imageShape[0]
        guard selected.lowerBound >= 0, selected.upperBound <= imageShape[0] else {
            throw .indexOutOfRange(index: selected.lowerBound < 0 ? selected.lowerBound : selected.upperBound - 1,
                                   count: imageShape[0])
        }

        let pixels = try readPixels(images, rows: selected, name: imagesDataset, path: path)
        let labelValues = try readLabels(labels, rows: selected, name: labelsDataset, path: path)
        let limit = classCount ?? Int(Int32.max) + 1
        if let bad = labelValues.firstIndex(where: { $0 < 0 || $0 >= limit }) {
            throw .labelOutOfRange(file: labelsName, index: selected.lowerBound + bad, label: labelValues[bad],
                                   classCount: limit)
        }
        return try ImageDataset(pixels: pixels, labels: labelValues.map { Int32($0) },
                                channels: channels, height: height, width: width)
    }

    private static func dataset(_ name: String, in file: HDF5File, path: String) throws(DatasetError) -> HDF5Dataset {
        do {
            return try file.dataset(name)
        } catch let error as HDF5Error {
            if case .objectNotFound = error {
                throw .unsupportedDataset(file: path, dataset: name, reason: "no such dataset")
            }
            throw .unsupportedDataset(file: path, dataset: name, reason: error.description)
        } catch {
            throw .unsupportedDataset(file: path, dataset: name, reason: "\(error)")
        }
    }

    private static func shape(of dataset: HDF5Dataset, named name: String, path: String) throws(DatasetError) -> [Int] {
        do {
            return try dataset.shape
        } catch {
            throw .unsupportedDataset(file: path, dataset: name, reason: "\(error)")
        }
    }

    private static func readPixels(
        _ dataset: HDF5Dataset, rows: Range<Int>, name: String, path: String
    ) throws(DatasetError) -> [Float] {
        do {
            switch dataset.elementType {
            case .uint8:
                return unitIntervalValues(of: try dataset.read(as: UInt8.self, rows: rows))
            case .float32:
                return try dataset.read(as: Float.self, rows: rows)
            case .float64:
                return try dataset.read(as: Double.self, rows: rows).map { Float($0) }
            default:
                throw DatasetError.unsupportedDataset(
                    file: path, dataset: name,
                    reason: "element type \(dataset.storedTypeDescription); images must be uint8, float32 or float64")
            }
        } catch let error as DatasetError {
            throw error
        } catch {
            throw .unsupportedDataset(file: path, dataset: name, reason: "\(error)")
        }
    }

    private static func readLabels(
        _ dataset: HDF5Dataset, rows: Range<Int>, name: String, path: String
    ) throws(DatasetError) -> [Int] {
        do {
            switch dataset.elementType {
            case .uint8: return try dataset.read(as: UInt8.self, rows: rows).map { Int($0) }
            case .int32: return try dataset.read(as: Int32.self, rows: rows).map { Int($0) }
            case .int64: return try dataset.read(as: Int64.self, rows: rows).map { Int($0) }
            default:
                throw DatasetError.unsupportedDataset(
                    file: path, dataset: name,
                    reason: "element type \(dataset.storedTypeDescription); labels must be int32, int64 or uint8")
            }
        } catch let error as DatasetError {
            throw error
        } catch {
            throw .unsupportedDataset(file: path, dataset: name, reason: "\(error)")
        }
    }
}
