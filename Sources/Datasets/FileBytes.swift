import Foundation

/// Reading whole files into memory.
enum FileBytes {
    /// The bytes of the file at `path`.
    ///
    /// - Throws: ``DatasetError/unreadable(file:reason:)`` when it cannot be read.
    static func read(_ path: String) throws(DatasetError) -> [UInt8] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "\(error)" : "no such file"
            throw .unreadable(file: path, reason: reason)
        }
        return [UInt8](unsafeUninitializedCapacity: data.count) { buffer, initialized in
            initialized = data.copyBytes(to: buffer)
        }
    }

    /// Whether a file exists at `path`.
    static func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path)
    }

    /// The bytes of the file at `path`, decompressed first when they start with the
    /// gzip magic bytes.
    static func readDecompressing(_ path: String) throws(DatasetError) -> [UInt8] {
        let bytes = try read(path)
        return Gzip.isCompressed(bytes) ? try Gzip.decompress(bytes, file: path) : bytes
    }
}
