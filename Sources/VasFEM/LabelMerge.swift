import Foundation
import HDF5Store

/// Why shard files could not be merged into one label file.
public enum LabelMergeError: Error, Equatable, CustomStringConvertible {
    /// No shard files were given.
    case noParts
    /// A file is not a VasFEM shard file (`reason` says what is missing).
    case notALabelFile(path: String, reason: String)
    /// Two files disagree on `field` (input digest, mask count, settings, or shard count).
    case mismatched(path: String, field: String, found: String, reference: String, referenceValue: String)
    /// Several files are the same shard.
    case overlapping(shard: Int, paths: [String])
    /// Shards of the set are absent.
    case missing(shards: [Int], count: Int)
    /// A shard file still has unlabeled masks (its run was interrupted).
    case incomplete(path: String, shard: String, unlabeled: Int)
    /// A file holds a labeled mask outside its own shard.
    case foreignMask(path: String, mask: Int, shard: String)
    /// The output path is one of the inputs.
    case outputIsInput(String)

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .noParts: "no shard files to merge"
        case .notALabelFile(let path, let reason): "\(path) is not a VasFEM shard file (\(reason))"
        case .mismatched(let path, "settings", let difference, let reference, _):
            "\(path) differs from \(reference) in its settings (\(reference) → \(path): \(difference)): shards must come from the same input and settings"
        case .mismatched(let path, let field, let found, let reference, let value):
            "\(path) differs from \(reference) in its \(field) (\(found) against \(value)): shards must come from the same input and settings"
        case .overlapping(let shard, let paths): "shard \(shard) appears more than once: \(paths.joined(separator: ", "))"
        case .missing(let shards, let count):
            "missing shard\(shards.count == 1 ? "" : "s") \(shards.map { "\($0)/\(count)" }.joined(separator: ", ")) of \(count)"
        case .incomplete(let path, let shard, let unlabeled):
            "\(path) (shard \(shard)) is incomplete: \(unlabeled) of its masks are not labeled; re-run its `vasfem label --shard \(shard)` command to finish it"
        case .foreignMask(let path, let mask, let shard): "\(path) (shard \(shard)) holds mask \(mask), which belongs to another shard"
        case .outputIsInput(let path): "the output \(path) is one of the shard files"
        }
    }
}

/// What a merge wrote.
public struct LabelMergeSummary: Sendable {
    /// Masks in the merged file, solved and failed.
    public var masks: Int, solved: Int, failed: Int
    /// Shard files merged.
    public var parts: Int
}

extension LabelStore {
    /// Merges the shard files `parts` (every shard K/N of one input, each complete) into
    /// one label file at `output`, equal to a one-process run except for the accounting
    /// (`seconds`, `rank`, `shard`). The output appears atomically (a killed merge leaves none).
    ///
    /// - Throws: ``LabelMergeError`` naming the file and what is wrong (not a shard file,
    ///   different input or settings, overlapping, missing or incomplete shards), or `HDF5Error`.
    @discardableResult
    public static func merge(parts: [String], output: String) throws -> LabelMergeSummary {
        guard !parts.isEmpty else { throw LabelMergeError.noParts }
        let resolved = URL(fileURLWithPath: output).standardizedFileURL.path
        if parts.contains(where: { URL(fileURLWithPath: $0).standardizedFileURL.path == resolved }) {
            throw LabelMergeError.outputIsInput(output)
        }
        struct Part {
            var path: String, file: HDF5File, digest: String, count: Int, settings: String, shard: LabelingShard, status: [Int32]
        }
        let opened: [Part] = try parts.map { path in
            let file = try HDF5File(path: path, mode: .readOnly)
            func attribute<T>(_ name: String, _ read: (String) throws -> T) throws -> T {
                do { return try read(name) } catch { throw LabelMergeError.notALabelFile(path: path, reason: "no attribute `\(name)`") }
            }
            let digest = try attribute("input_digest", file.stringAttribute)
            let count = try attribute("mask_count", file.intAttribute)
            let settings = try attribute("settings", file.stringAttribute)
            let index = try attribute("shard_index", file.intAttribute), shardCount = try attribute("shard_count", file.intAttribute)
            guard let shard = try? LabelingShard(index: index, count: shardCount) else {
                throw LabelMergeError.notALabelFile(path: path, reason: "shard \(index)/\(shardCount) is not K/N with 0 ≤ K < N")
            }
            let status: [Int32]
            do { status = try file.dataset("status").read(as: Int32.self) } catch {
                throw LabelMergeError.notALabelFile(path: path, reason: "no dataset `status`")
            }
            guard status.count == count else {
                throw LabelMergeError.notALabelFile(path: path, reason: "`status` has \(status.count) rows, not mask_count \(count)")
            }
            return Part(path: path, file: file, digest: digest, count: count, settings: settings, shard: shard, status: status)
        }
        let first = opened[0]
        for part in opened.dropFirst() {
            for (field, found, reference) in [("input (digest)", part.digest, first.digest), ("mask count", "\(part.count)", "\(first.count)"),
                                              ("shard count", "\(part.shard.count)", "\(first.shard.count)"),
                                              ("settings", part.settings, first.settings)] where found != reference {
                if field == "settings" {  // name what differs, not two long JSON texts
                    throw LabelMergeError.mismatched(path: part.path, field: field, found: settingsDifference(reference, found),
                                                     reference: first.path, referenceValue: "")
                }
                throw LabelMergeError.mismatched(path: part.path, field: field, found: found, reference: first.path, referenceValue: reference)
            }
        }
        let shardCount = first.shard.count
        let byShard = Dictionary(grouping: opened, by: \.shard.index)
        if let (index, duplicates) = byShard.sorted(by: { $0.key < $1.key }).first(where: { $0.value.count > 1 }) {
            throw LabelMergeError.overlapping(shard: index, paths: duplicates.map(\.path))
        }
        let absent = (0..<shardCount).filter { byShard[$0] == nil }
        guard absent.isEmpty else { throw LabelMergeError.missing(shards: absent, count: shardCount) }
        for part in opened {
            if let foreign = part.status.indices.first(where: { !part.shard.contains($0) && part.status[$0] != notLabeled }) {
                throw LabelMergeError.foreignMask(path: part.path, mask: foreign, shard: part.shard.description)
            }
            let unlabeled = part.status.indices.filter { part.shard.contains($0) && part.status[$0] == notLabeled }.count
            guard unlabeled == 0 else { throw LabelMergeError.incomplete(path: part.path, shard: part.shard.description, unlabeled: unlabeled) }
        }

        // Copy: the whole-batch file's metadata from shard 0 (settings, units), then each mask's rows from its shard.
        let n = first.count
        let template = byShard[0]![0].file
        let stressShape = try template.dataset("stress").shape
        guard stressShape.count == 3, stressShape[0] == n else {
            throw LabelMergeError.notALabelFile(path: byShard[0]![0].path, reason: "`stress` has shape \(stressShape)")
        }
        let configuration = try JSONDecoder().decode(VasFEMConfiguration.self, from: Data(first.settings.utf8))
        let batchShape = MaskBatchShape(count: n, rows: stressShape[1], columns: stressShape[2], digest: first.digest)
        if FileManager.default.fileExists(atPath: output) { try FileManager.default.removeItem(atPath: output) }
        let store = try LabelStore(path: output, shape: batchShape, configuration: configuration, shard: .whole)
        store.checkpointOverheadFactor = .infinity  // one checkpoint, at the end: a killed merge leaves no file
        var solved = 0, failed = 0
        for part in opened {
            let f = part.file
            let (stress, vm, u, messages) = try (f.dataset("stress"), f.dataset("von_mises"), f.dataset("displacement"), f.dataset("messages"))
            let iterations = try f.dataset("newton_iterations").read(as: Int32.self)
            let seconds = try f.dataset("seconds").read(as: Double.self)
            let ranks = try f.dataset("rank").read(as: Int32.self)
            for i in 0..<n where part.shard.contains(i) {
                let row = i..<(i + 1)
                let message = try messages.read(as: UInt8.self, rows: row)
                let text = String(decoding: message.prefix { $0 != 0 }, as: UTF8.self)
                let code = part.status[i]
                if code == 0 { solved += 1 } else { failed += 1 }
                try store.record(MaskLabelRecord(
                    index: i, status: code, message: text, newtonIterations: iterations[i], seconds: seconds[i], rank: ranks[i],
                    stress: try stress.read(as: Float.self, rows: row), vonMises: try vm.read(as: Float.self, rows: row),
                    displacement: try u.read(as: Float.self, rows: row)),
                    shardIndex: Int32(part.shard.index))
            }
        }
        try store.close()
        return LabelMergeSummary(masks: n, solved: solved, failed: failed, parts: opened.count)
    }
}
