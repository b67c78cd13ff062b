import CZlib

/// Gzip decompression (RFC 1952) through zlib.
///
/// Files are recognized as gzip by their first two bytes (`1f 8b`), never by
/// their extension. Multi-member files (several gzip streams one after the
/// other, as `cat a.gz b.gz` makes) decompress to the concatenation of their
/// members; zero bytes after the last member (tape padding) are ignored.
public enum Gzip {
    /// Whether `bytes` start with the gzip magic number `1f 8b`.
    public static func isCompressed(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
    }

    /// Decompresses a whole gzip file held in memory.
    ///
    /// - Parameters:
    ///   - compressed: the file's bytes, starting with `1f 8b`.
    ///   - file: the file's path, named in errors.
    /// - Throws: ``DatasetError/corruptGzip(file:reason:)`` when zlib rejects the data
    ///   (bad header, bad CRC, invalid deflate data), when the stream ends before its
    ///   end marker (a truncated file), or when non-gzip bytes follow a member.
    public static func decompress(_ compressed: [UInt8], file: String) throws(DatasetError) -> [UInt8] {
        guard isCompressed(compressed) else {
            throw .corruptGzip(file: file, reason: "does not start with the gzip magic bytes 1f 8b")
        }
        var stream = z_stream()
        guard ls_inflate_init_gzip(&stream) == Z_OK else {
            throw .corruptGzip(file: file, reason: "zlib could not start inflating")
        }
        defer { inflateEnd(&stream) }

        var output = [UInt8](repeating: 0, count: initialCapacity(for: compressed))
        var produced = 0
        let result: Result<Void, DatasetError> = compressed.withUnsafeBufferPointer { input in
            let base = input.baseAddress!
            var consumed = 0
            while true {
                // Inflate one member, starting at `consumed`.
                var status: Int32 = Z_OK
                while status != Z_STREAM_END {
                    if stream.avail_in == 0 {
                        let chunk = min(input.count - consumed, Int(UInt32.max))
                        stream.next_in = UnsafeMutablePointer(mutating: base + consumed)
                        stream.avail_in = UInt32(chunk)
                        consumed += chunk
                    }
                    if produced == output.count {
                        output.append(contentsOf: repeatElement(0, count: output.count))
                    }
                    let space = min(output.count - produced, Int(UInt32.max))
                    status = output.withUnsafeMutableBufferPointer { out in
                        stream.next_out = out.baseAddress! + produced
                        stream.avail_out = UInt32(space)
                        let status = inflate(&stream, Z_NO_FLUSH)
                        produced += space - Int(stream.avail_out)
                        return status
                    }
                    switch status {
                    case Z_OK, Z_STREAM_END:
                        continue
                    case Z_BUF_ERROR where stream.avail_in == 0 && consumed == input.count:
                        return .failure(.corruptGzip(
                            file: file, reason: "the stream ends before its end marker (truncated file)"))
                    case Z_BUF_ERROR:
                        continue  // More output space or input is needed; the loop supplies it.
                    default:
                        let message = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                        return .failure(.corruptGzip(file: file, reason: message))
                    }
                }
                // One member done: anything left is another member, zero padding, or garbage.
                let next = consumed - Int(stream.avail_in)
                let rest = UnsafeBufferPointer(rebasing: input[next...])
                if rest.isEmpty || rest.allSatisfy({ $0 == 0 }) {
                    return .success(())
                }
                guard rest.count >= 2, rest[0] == 0x1f, rest[1] == 0x8b else {
                    return .failure(.corruptGzip(
                        file: file, reason: "\(rest.count) bytes that are not gzip data follow member end"))
                }
                inflateReset(&stream)
                stream.next_in = UnsafeMutablePointer(mutating: rest.baseAddress!)
                stream.avail_in = UInt32(min(rest.count, Int(UInt32.max)))
                consumed = next + Int(stream.avail_in)
            }
        }
        try result.get()
        output.removeSubrange(produced...)
        return output
    }

    /// A first guess of the decompressed size: the last member's size field (its
    /// size modulo 2³²), bounded by deflate's largest possible ratio.
    private static func initialCapacity(for compressed: [UInt8]) -> Int {
        let count = compressed.count
        guard count >= 18 else { return 4096 }
        let isize = Int(compressed[count - 4]) | Int(compressed[count - 3]) << 8
            | Int(compressed[count - 2]) << 16 | Int(compressed[count - 1]) << 24
        let bound = count.multipliedReportingOverflow(by: 1032).partialValue
        return max(4096, min(isize + 1, bound))
    }
}
