import Foundation
import HDF5Store
import LatentSampling

/// Why an HDF5 batch could not be labeled at all (per-mask failures go to its `status` dataset).
public enum HDF5LabelingError: Error, Equatable, CustomStringConvertible {
    /// The input dataset `masks` is not three-dimensional (N × rows × columns).
    case badMaskShape([Int])
    /// The output path is the input's (the input is never written).
    case outputIsInput(String)
    /// `--shard K/N` text that is not two integers with 0 ≤ K < N.
    case badShard(String)
    /// The output file exists but is not a VasFEM label file this run can resume
    /// (written by another version, or not by VasFEM); `reason` says what is missing.
    case notALabelFile(path: String, reason: String)
    /// The output file exists and was written for other input, settings or shard:
    /// `field` names what differs.
    case resumeMismatch(path: String, field: String, expected: String, found: String)

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .badMaskShape(let shape): "dataset `masks` has shape \(shape); expected N×rows×columns"
        case .outputIsInput(let path): "the output \(path) is the input file; choose another output (the input is never written)"
        case .badShard(let text): "shard '\(text)' is not K/N with integers 0 ≤ K < N (e.g. 3/16)"
        case .notALabelFile(let path, let reason): "\(path) is not a VasFEM label file that can be resumed (\(reason)); delete it or choose another output"
        case .resumeMismatch(let path, "settings", let difference, _):
            "\(path) was labeled with other settings (file → this run: \(difference)); delete it or choose another output"
        case .resumeMismatch(let path, let field, let expected, let found):
            "\(path) was labeled with other \(field == "input_digest" ? "input masks (input_digest)" : field) (file: \(found); this run: \(expected)); delete it or choose another output"
        }
    }
}

extension HDF5LabelingError {
    /// Throws ``outputIsInput(_:)`` when `output` names the same file as `input` (after resolving links).
    public static func checkDistinct(input: String, output: String) throws {
        let resolve = { (path: String) in URL(fileURLWithPath: path).resolvingSymlinksInPath().standardizedFileURL.path }
        guard resolve(input) != resolve(output) else { throw HDF5LabelingError.outputIsInput(output) }
    }
}

/// Which masks of a batch a run labels: shard `index` of `count` takes the masks whose
/// index i satisfies i mod `count` = `index` (strided, so that hard masks that cluster in
/// the input spread over the shards). ``whole`` is the whole batch.
public struct LabelingShard: Sendable, Hashable, CustomStringConvertible {
    /// K, in `0..<count`.
    public let index: Int
    /// N, at least 1.
    public let count: Int

    /// The whole batch (shard 0 of 1).
    public static let whole = LabelingShard(uncheckedIndex: 0, count: 1)

    private init(uncheckedIndex index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// Shard `index` of `count`.
    ///
    /// - Throws: ``HDF5LabelingError/badShard(_:)`` unless 0 ≤ index < count.
    public init(index: Int, count: Int) throws {
        guard count >= 1, index >= 0, index < count else { throw HDF5LabelingError.badShard("\(index)/\(count)") }
        self.init(uncheckedIndex: index, count: count)
    }

    /// Parses `K/N` (e.g. `3/16`, as `$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT`).
    ///
    /// - Throws: ``HDF5LabelingError/badShard(_:)``.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0].trimmingCharacters(in: .whitespaces)),
              let n = Int(parts[1].trimmingCharacters(in: .whitespaces)), n >= 1, k >= 0, k < n
        else { throw HDF5LabelingError.badShard(text) }
        self.init(uncheckedIndex: k, count: n)
    }

    /// Whether mask `maskIndex` belongs to this shard.
    public func contains(_ maskIndex: Int) -> Bool { maskIndex % count == index }

    /// `K/N`.
    public var description: String { "\(index)/\(count)" }
}

/// One mask's result as the label file stores it: the stress maps (empty when it failed),
/// its status, and its accounting.
public struct MaskLabelRecord: Sendable, Equatable {
    /// The mask's index in the input batch.
    public var index: Int
    /// 0 solved; else the failure's ``StatusCoded/statusCode`` (99 for anything else).
    public var status: Int32
    /// Empty when solved; else the failure's description.
    public var message: String
    /// Newton iterations over the load path (0 when it failed).
    public var newtonIterations: Int32
    /// Seconds spent on the mask (meshing, solve, rasterization).
    public var seconds: Double
    /// The MPI rank that labeled it (0 without MPI).
    public var rank: Int32
    /// Max principal stress σ₁ and von Mises stress, kPa, row-major (empty when it failed).
    public var stress: [Float], vonMises: [Float]
    /// Displacement u of wall pixel centres, mm, interleaved (x, y) per pixel (empty when it failed).
    public var displacement: [Float]

    /// Creates a record from its fields.
    public init(index: Int, status: Int32, message: String, newtonIterations: Int32, seconds: Double, rank: Int32,
                stress: [Float], vonMises: [Float], displacement: [Float]) {
        self.index = index
        self.status = status
        self.message = message
        self.newtonIterations = newtonIterations
        self.seconds = seconds
        self.rank = rank
        self.stress = stress
        self.vonMises = vonMises
        self.displacement = displacement
    }

    /// The record of a labeling outcome for mask `index`, labeled by `rank`.
    public init(index: Int, outcome: LabelingOutcome<StressMap>, rank: Int32 = 0) {
        switch outcome.result {
        case .success(let map):
            self.init(index: index, status: 0, message: "", newtonIterations: Int32(map.newtonIterations),
                      seconds: outcome.cost.seconds, rank: rank, stress: map.maximumPrincipalStress,
                      vonMises: map.vonMisesStress, displacement: map.displacement.flatMap { [$0.x, $0.y] })
        case .failure(let error):
            self.init(index: index, status: (error as? any StatusCoded)?.statusCode ?? 99, message: String(describing: error),
                      newtonIterations: 0, seconds: outcome.cost.seconds, rank: rank, stress: [], vonMises: [], displacement: [])
        }
    }

    /// Labels mask `index` (`mask`) and returns its record; never throws (a failure is recorded).
    public static func labeling(_ mask: WallMask, index: Int, configuration: VasFEMConfiguration, rank: Int32 = 0) -> MaskLabelRecord {
        MaskLabelRecord(index: index, outcome: StressLabeler.outcome(for: mask, configuration: configuration), rank: rank)
    }

    // MARK: Bytes (for sending between MPI ranks)

    /// The record as bytes (little-endian; see ``init(encoded:)``).
    public func encoded() -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(48 + message.utf8.count + 4 * (stress.count + vonMises.count + displacement.count))
        func put<T: FixedWidthInteger>(_ x: T) { withUnsafeBytes(of: x.littleEndian) { bytes.append(contentsOf: $0) } }
        put(Int64(index)); put(status); put(newtonIterations); put(seconds.bitPattern); put(rank)
        put(Int32(message.utf8.count)); bytes.append(contentsOf: message.utf8)
        for array in [stress, vonMises, displacement] {
            put(Int32(array.count))
            for x in array { put(x.bitPattern) }
        }
        return bytes
    }

    /// Decodes ``encoded()``'s bytes; `nil` when they are truncated or malformed.
    public init?(encoded bytes: [UInt8]) {
        var offset = 0
        func take<T: FixedWidthInteger>(_: T.Type) -> T? {
            let size = MemoryLayout<T>.size
            guard offset + size <= bytes.count else { return nil }
            var value = T.zero
            withUnsafeMutableBytes(of: &value) { $0.copyBytes(from: bytes[offset..<(offset + size)]) }
            offset += size
            return T(littleEndian: value)
        }
        guard let index = take(Int64.self), let status = take(Int32.self), let iterations = take(Int32.self),
              let secondsBits = take(UInt64.self), let rank = take(Int32.self), let messageLength = take(Int32.self),
              messageLength >= 0, offset + Int(messageLength) <= bytes.count else { return nil }
        let message = String(decoding: bytes[offset..<(offset + Int(messageLength))], as: UTF8.self)
        offset += Int(messageLength)
        var arrays = [[Float]]()
        for _ in 0..<3 {
            guard let count = take(Int32.self), count >= 0, offset + 4 * Int(count) <= bytes.count else { return nil }
            arrays.append((0..<Int(count)).map { _ in Float(bitPattern: take(UInt32.self)!) })
        }
        guard offset == bytes.count else { return nil }
        self.init(index: Int(index), status: status, message: message, newtonIterations: iterations,
                  seconds: Double(bitPattern: secondsBits), rank: rank, stress: arrays[0], vonMises: arrays[1], displacement: arrays[2])
    }
}

/// The masks of an HDF5 batch (dataset `masks`, N×rows×columns uint8) with a digest of
/// their bytes, which identifies the input in label files (resume, shard merging).
public struct MaskBatch: Sendable {
    /// The masks, in file order.
    public var masks: [WallMask]
    /// The mask height and width, in pixels.
    public var rows: Int, columns: Int
    /// FNV-1a (64-bit) of the shape and pixel bytes, 16 hex digits.
    public var digest: String

    /// Reads dataset `masks` of `path` (read-only: the input is never modified).
    ///
    /// - Throws: ``HDF5LabelingError/badMaskShape(_:)`` or `HDF5Error`.
    public init(contentsOf path: String) throws {
        let source = try HDF5File(path: path, mode: .readOnly)
        let (values, shape) = try source.dataset("masks").readWithShape(as: UInt8.self)
        guard shape.count == 3 else { throw HDF5LabelingError.badMaskShape(shape) }
        let (n, rows, columns) = (shape[0], shape[1], shape[2])
        let size = rows * columns
        masks = (0..<n).map { WallMask(rows: rows, columns: columns, pixels: Array(values[($0 * size)..<(($0 + 1) * size)])) }
        self.rows = rows
        self.columns = columns
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ byte: UInt8) { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        for d in shape { withUnsafeBytes(of: Int64(d).littleEndian) { $0.forEach(mix) } }
        values.forEach(mix)
        digest = String(hash, radix: 16).leftPadded(to: 16)
    }
}

/// The settings that differ between two `settings` JSON texts, e.g. `systolicPressure 120 → 130,
/// waveform differs` (nested objects as `material.c1`; long arrays only named).
func settingsDifference(_ a: String, _ b: String) -> String {
    func flat(_ text: String) -> [String: String] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return ["": text] }
        var out = [String: String]()
        func walk(_ value: Any, _ key: String) {
            if let dictionary = value as? [String: Any] {
                for (k, v) in dictionary { walk(v, key.isEmpty ? k : key + "." + k) }
            } else if let array = value as? [Any], array.count > 4 {
                out[key] = "\(array.count) values, hash \((array.map { "\($0)" }.joined(separator: ",")).hashValue)"
            } else {
                out[key] = "\(value)"
            }
        }
        walk(object, "")
        return out
    }
    let (x, y) = (flat(a), flat(b))
    let keys = Set(x.keys).union(y.keys).filter { x[$0] != y[$0] }.sorted()
    guard !keys.isEmpty else { return "formatting only" }
    return keys.map { key in
        guard let u = x[key], let v = y[key], !u.contains("values, hash"), !v.contains("values, hash") else { return "\(key) differs" }
        return "\(key) \(u) → \(v)"
    }.joined(separator: ", ")
}

/// The size and digest of a batch, without its masks (what a label file records of its input).
struct MaskBatchShape {
    var count: Int, rows: Int, columns: Int, digest: String
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

/// Counts for progress reports: done, failed and remaining masks, the rate, and time to go.
public struct LabelingProgress: Sendable, Hashable {
    /// Masks of the run (its shard) in total, and how many were already labeled when it started.
    public var total: Int, alreadyDone: Int
    /// Masks finished by this run (solved or failed), and how many of those failed.
    public var done: Int, failed: Int
    /// Seconds since this run started labeling.
    public var elapsed: Double

    /// Creates a progress record.
    public init(total: Int, alreadyDone: Int, done: Int, failed: Int, elapsed: Double) {
        self.total = total
        self.alreadyDone = alreadyDone
        self.done = done
        self.failed = failed
        self.elapsed = elapsed
    }

    /// Masks still to label.
    public var remaining: Int { max(0, total - alreadyDone - done) }
    /// Masks per second in this run (0 before the first).
    public var rate: Double { elapsed > 0 ? Double(done) / elapsed : 0 }
    /// Seconds to go at the current rate (`nil` before the first mask).
    public var secondsToGo: Double? { rate > 0 ? Double(remaining) / rate : nil }

    /// One line, e.g. `120/1000 done (3 failed, 840 to go, 40 before this run); 4.2 masks/s; 3 min 20 s to go`.
    public var line: String {
        let eta = secondsToGo.map { s -> String in
            let t = Int(s.rounded())
            return t >= 3600 ? "\(t / 3600) h \(t % 3600 / 60) min" : t >= 60 ? "\(t / 60) min \(t % 60) s" : "\(t) s"
        } ?? "?"
        let before = alreadyDone > 0 ? ", \(alreadyDone) before this run" : ""
        return "\(alreadyDone + done)/\(total) done (\(failed) failed, \(remaining) to go\(before)); "
            + String(format: "%.2f masks/s; ", rate) + "\(eta) to go"
    }
}

/// A resumable VasFEM label file: every dataset has one row per input mask, rows are
/// written as masks finish, and the file is published by crash-safe checkpoints
/// (`HDF5File(checkpointedAt:mode:)` of HDF5Store), so a run killed at any instant leaves every
/// mask of its last checkpoint, and re-opening the file resumes it.
///
/// Datasets (N = input masks): `stress`, `von_mises` (N×rows×columns float32, kPa),
/// `displacement` (N×rows×columns×2 float32, mm), `status` (N int32: −1 not labeled yet,
/// 0 solved, else the failure's code), `messages` (N×256 uint8: the failure's description,
/// UTF-8, zero-padded; empty when solved), `newton_iterations` (N int32), `seconds` (N float64,
/// per-mask solve time), `rank` (N int32: the MPI rank that labeled it, −1 not labeled) and
/// `shard` (N int32: the shard index of the run that labeled it). Root attributes: the
/// settings (`settings` as JSON, and readable ones such as `systolic_mmHg`), `input_digest`,
/// `mask_count`, `shard_index` and `shard_count`.
///
/// Checkpoints copy the whole file, so their cost grows with it; one is published after a
/// mask finishes when at least ``checkpointOverheadFactor`` times the mean checkpoint cost has
/// passed since the last one (after every mask while the file is small; a kill then loses at
/// most that many seconds of work), and always at ``close()``.
public final class LabelStore {
    /// The status of a mask not labeled yet.
    public static let notLabeled: Int32 = -1
    /// Bytes per message row.
    public static let messageWidth = 256
    /// The meaning of the status codes (the `status` dataset's `meaning` attribute).
    public static let statusMeaning = "-1 not labeled yet; 0 solved; 1 wrong shape, 2 invalid value, 3 empty, 4 all wall, 5 touches border, "
        + "6 several wall components, 7 no lumen, 8 several lumens; 10-12 contour errors; 13 gmsh error, "
        + "14 inverted/poor elements, 15 other mesh errors; 20 Newton diverged, 21 singular tangent; 99 other"

    /// The file's path.
    public let path: String
    /// Masks in the input (rows of every dataset), and their height and width.
    public let maskCount: Int, rows: Int, columns: Int
    /// The shard this file is for.
    public let shard: LabelingShard
    /// Each mask's status (−1 not labeled yet), newton iterations, seconds and rank, as in the file.
    public private(set) var status: [Int32], newtonIterations: [Int32], seconds: [Double], ranks: [Int32], shards: [Int32]
    /// Seconds to wait between checkpoints, as a multiple of the mean checkpoint cost (default 10:
    /// checkpoints take at most about a tenth of the run). Used unless ``checkpointInterval`` is set.
    public var checkpointOverheadFactor = 10.0
    /// Fixed seconds between checkpoints (0: after every mask), instead of ``checkpointOverheadFactor``.
    public var checkpointInterval: Double?

    private let file: HDF5File
    private let stressSet: HDF5Dataset, vonMisesSet: HDF5Dataset, displacementSet: HDF5Dataset, messageSet: HDF5Dataset
    private var dirty = false
    private var lastCheckpoint = DispatchTime.now().uptimeNanoseconds

    /// The settings as the file records them (JSON, keys sorted).
    public static func settingsText(_ configuration: VasFEMConfiguration) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(configuration)) ?? Data(), as: UTF8.self)
    }

    /// Opens `path` for a run over `batch` with `configuration` and `shard`: creates it when
    /// absent, else checks that it was written for the same input, settings and shard and resumes it.
    ///
    /// - Throws: ``HDF5LabelingError/notALabelFile(path:reason:)``,
    ///   ``HDF5LabelingError/resumeMismatch(path:field:expected:found:)``, or `HDF5Error`
    ///   (e.g. another process is writing it).
    public convenience init(path: String, batch: MaskBatch, configuration: VasFEMConfiguration, shard: LabelingShard = .whole) throws {
        try self.init(path: path, shape: MaskBatchShape(count: batch.masks.count, rows: batch.rows, columns: batch.columns, digest: batch.digest),
                      configuration: configuration, shard: shard)
    }

    /// Opens `path` for a batch of this shape and digest (see ``init(path:batch:configuration:shard:)``).
    init(path: String, shape batch: MaskBatchShape, configuration: VasFEMConfiguration, shard: LabelingShard) throws {
        self.path = path
        self.shard = shard
        (maskCount, rows, columns) = (batch.count, batch.rows, batch.columns)
        let n = maskCount
        let settings = Self.settingsText(configuration)
        if FileManager.default.fileExists(atPath: path) {
            let f = try HDF5File(checkpointedAt: path, mode: .readWrite)
            func require<T: Equatable & CustomStringConvertible>(_ field: String, _ expected: T, _ read: () throws -> T) throws {
                let found: T
                do { found = try read() } catch {
                    throw HDF5LabelingError.notALabelFile(path: path, reason: "no attribute `\(field)`")
                }
                guard found == expected else {
                    if field == "settings" {  // name what differs, not two long JSON texts
                        let difference = settingsDifference(found.description, expected.description)
                        throw HDF5LabelingError.resumeMismatch(path: path, field: field, expected: difference, found: "see this run")
                    }
                    throw HDF5LabelingError.resumeMismatch(path: path, field: field, expected: expected.description, found: found.description)
                }
            }
            try require("input_digest", batch.digest) { try f.stringAttribute("input_digest") }
            try require("mask_count", n) { try f.intAttribute("mask_count") }
            try require("settings", settings) { try f.stringAttribute("settings") }
            try require("shard", shard.description) { "\(try f.intAttribute("shard_index"))/\(try f.intAttribute("shard_count"))" }
            do {
                file = f
                stressSet = try f.dataset("stress")
                vonMisesSet = try f.dataset("von_mises")
                displacementSet = try f.dataset("displacement")
                messageSet = try f.dataset("messages")
                status = try f.dataset("status").read(as: Int32.self)
                newtonIterations = try f.dataset("newton_iterations").read(as: Int32.self)
                seconds = try f.dataset("seconds").read(as: Double.self)
                ranks = try f.dataset("rank").read(as: Int32.self)
                shards = try f.dataset("shard").read(as: Int32.self)
            } catch {
                throw HDF5LabelingError.notALabelFile(path: path, reason: "\(error)")
            }
            guard try stressSet.shape == [n, rows, columns], [status.count, newtonIterations.count, seconds.count, ranks.count, shards.count].allSatisfy({ $0 == n })
            else { throw HDF5LabelingError.notALabelFile(path: path, reason: "datasets do not have \(n) rows of \(rows)×\(columns)") }
            return
        }
        file = try HDF5File(checkpointedAt: path, mode: .truncate)
        status = Array(repeating: Self.notLabeled, count: n)
        newtonIterations = Array(repeating: 0, count: n)
        seconds = Array(repeating: 0, count: n)
        ranks = Array(repeating: -1, count: n)
        shards = Array(repeating: -1, count: n)
        // One chunk per mask: rows are written as masks finish, in any order, and read back one at a time.
        let chunked = n > 0
        stressSet = try file.createDataset("stress", of: Float.self, shape: [n, rows, columns],
                                           chunkShape: chunked ? [1, rows, columns] : nil, compressionLevel: chunked ? 4 : nil)
        try stressSet.setAttribute("units", "kPa")
        try stressSet.setAttribute("quantity", "in-plane maximum principal Cauchy stress at the systolic peak")
        vonMisesSet = try file.createDataset("von_mises", of: Float.self, shape: [n, rows, columns],
                                             chunkShape: chunked ? [1, rows, columns] : nil, compressionLevel: chunked ? 4 : nil)
        try vonMisesSet.setAttribute("units", "kPa")
        try vonMisesSet.setAttribute("quantity", "von Mises stress of the plane-strain Cauchy stress at the systolic peak")
        displacementSet = try file.createDataset("displacement", of: Float.self, shape: [n, rows, columns, 2],
                                                 chunkShape: chunked ? [1, rows, columns, 2] : nil, compressionLevel: chunked ? 4 : nil)
        try displacementSet.setAttribute("units", "mm")
        try displacementSet.setAttribute("quantity", "displacement (x = column direction, y = row direction) of wall pixel centres at the systolic peak")
        messageSet = try file.createDataset("messages", of: UInt8.self, shape: [n, Self.messageWidth],
                                            chunkShape: chunked ? [min(n, 64), Self.messageWidth] : nil, compressionLevel: chunked ? 4 : nil)
        try messageSet.setAttribute("encoding", "UTF-8, zero-padded to \(Self.messageWidth) bytes (truncated beyond); empty when solved")
        let statusSet = try file.createDataset("status", values: status, shape: [n])
        try statusSet.setAttribute("meaning", Self.statusMeaning)
        try file.createDataset("newton_iterations", values: newtonIterations, shape: [n])
        let secondsSet = try file.createDataset("seconds", values: seconds, shape: [n])
        try secondsSet.setAttribute("units", "s")
        try secondsSet.setAttribute("quantity", "wall-clock seconds spent on the mask (meshing, solve, rasterization) by the process that labeled it")
        try file.createDataset("rank", values: ranks, shape: [n]).setAttribute("meaning", "MPI rank that labeled the mask (0 without MPI); -1 not labeled")
        try file.createDataset("shard", values: shards, shape: [n]).setAttribute("meaning", "index K of the run (--shard K/N) that labeled the mask; -1 not labeled")
        let m = configuration.material
        try file.setAttribute("source", "VasFEM (incompressible modified Mooney-Rivlin, Taylor-Hood P2/P1, plane strain)")
        try file.setAttribute("material_c1_kPa", m.c1)
        try file.setAttribute("material_D1_kPa", m.d1)
        try file.setAttribute("material_D2", m.d2)
        try file.setAttribute("systolic_mmHg", configuration.systolicPressure)
        try file.setAttribute("diastolic_mmHg", configuration.diastolicPressure)
        try file.setAttribute("load_path_kPa", configuration.loadPath)
        try file.setAttribute("mesh_size_mm", configuration.meshSize)
        try file.setAttribute("lumen_mesh_size_mm", configuration.lumenMeshSize)
        try file.setAttribute("pixel_size_mm", configuration.pixelSize)
        try file.setAttribute("settings", settings)
        try file.setAttribute("input_digest", batch.digest)
        try file.setAttribute("mask_count", n)
        try file.setAttribute("shard_index", shard.index)
        try file.setAttribute("shard_count", shard.count)
        dirty = true
        try checkpoint()
    }

    /// The masks of this file's shard that still need labeling, in index order: those not
    /// labeled yet, and the failed ones too when `retryFailed`.
    public func pending(retryFailed: Bool = false) -> [Int] {
        (0..<maskCount).filter { shard.contains($0) && (status[$0] == Self.notLabeled || (retryFailed && status[$0] > 0)) }
    }

    /// Masks of this file's shard that are labeled (solved or failed).
    public var labeledCount: Int { (0..<maskCount).filter { shard.contains($0) && status[$0] != Self.notLabeled }.count }
    /// Masks of this file's shard.
    public var shardMaskCount: Int { (0..<maskCount).filter(shard.contains).count }

    /// Writes one mask's result (its rows), then publishes a checkpoint when one is due.
    ///
    /// - Throws: `HDF5Error`; `HDF5Error.shapeMismatch` when the maps do not fit a row.
    public func record(_ r: MaskLabelRecord) throws { try record(r, shardIndex: Int32(shard.index)) }

    /// Seconds spent writing records (compressing and writing rows), checkpoints not included.
    public private(set) var writingSeconds = 0.0

    /// Writes one mask's result as labeled by shard `shardIndex` (a merge keeps the shard's index).
    func record(_ r: MaskLabelRecord, shardIndex: Int32) throws {
        precondition(r.index >= 0 && r.index < maskCount, "mask index \(r.index) outside 0..<\(maskCount)")
        let start = DispatchTime.now().uptimeNanoseconds
        let size = rows * columns
        let row = r.index..<(r.index + 1)
        let solved = r.status == 0 && r.stress.count == size
        try stressSet.write(solved ? r.stress : [Float](repeating: 0, count: size), rows: row)
        try vonMisesSet.write(solved && r.vonMises.count == size ? r.vonMises : [Float](repeating: 0, count: size), rows: row)
        try displacementSet.write(solved && r.displacement.count == 2 * size ? r.displacement : [Float](repeating: 0, count: 2 * size), rows: row)
        var text = [UInt8]()
        for character in r.message {  // whole characters only: no torn UTF-8 sequence
            let bytes = Array(String(character).utf8)
            guard text.count + bytes.count <= Self.messageWidth else { break }
            text += bytes
        }
        try messageSet.write(text + [UInt8](repeating: 0, count: Self.messageWidth - text.count), rows: row)
        status[r.index] = r.status
        newtonIterations[r.index] = r.newtonIterations
        seconds[r.index] = r.seconds
        ranks[r.index] = r.rank
        shards[r.index] = shardIndex
        dirty = true
        let now = DispatchTime.now().uptimeNanoseconds
        writingSeconds += Double(now - start) * 1e-9
        let wait = checkpointInterval ?? checkpointOverheadFactor * file.checkpointStatistics.meanSeconds
        if Double(now - lastCheckpoint) * 1e-9 >= wait { try checkpoint() }
    }

    /// Writes the per-mask vectors and publishes a checkpoint (nothing when no mask was recorded since the last).
    public func checkpoint() throws {
        guard dirty else { return }
        try file.dataset("status").write(status)
        try file.dataset("newton_iterations").write(newtonIterations)
        try file.dataset("seconds").write(seconds)
        try file.dataset("rank").write(ranks)
        try file.dataset("shard").write(shards)
        try file.checkpoint()
        dirty = false
        lastCheckpoint = DispatchTime.now().uptimeNanoseconds
    }

    /// Publishes the last checkpoint. The writer's lock on the file is released when the store is deinitialized.
    public func close() throws { try checkpoint() }

    /// What the checkpoints cost so far.
    public var checkpointStatistics: HDF5CheckpointStatistics { file.checkpointStatistics }
}

/// What an HDF5 batch run did.
public struct HDF5LabelingSummary: Sendable {
    /// Masks of the run's shard, and of those: solved and failed (as the file now records them).
    public var masks: Int, solved: Int, failed: Int
    /// Masks this run labeled (the rest were labeled by earlier runs).
    public var labeledNow: Int
    /// Wall-clock seconds for this run's labeling.
    public var seconds: Double
    /// Seconds per mask summed over the masks this run labeled (the one-core cost).
    public var maskSeconds: Double
    /// The status code of each input mask (−1 where not labeled: other shards).
    public var status: [Int32]
    /// Seconds spent writing rows, and the checkpoints published (count and seconds).
    public var writingSeconds = 0.0, checkpoints = HDF5CheckpointStatistics()
    /// Whether the run stopped early because `shouldStop` asked it to (the masks in flight
    /// were finished and written; re-running labels the rest).
    public var stoppedEarly = false
}

extension StressLabeler {
    /// Labels dataset `masks` (N×rows×columns, uint8) of `input` into the resumable label
    /// file `output` (see ``LabelStore`` for its datasets): masks are solved in parallel and
    /// written as they finish, with crash-safe checkpoints. When `output` exists (a run that
    /// was killed, or finished), only the masks it lacks are labeled; failed masks are
    /// retried only when `retryFailed`. `input` is opened read-only.
    ///
    /// - Parameters:
    ///   - input: the HDF5 file holding dataset `masks`.
    ///   - output: the label file to write, or to resume when it exists.
    ///   - shard: the masks to label (default: all).
    ///   - retryFailed: label again the masks the file records as failed.
    ///   - checkpointInterval: fixed seconds between checkpoints (`nil`: ``LabelStore/checkpointOverheadFactor`` decides).
    ///   - shouldStop: asked before each new mask is started; once it returns `true` no mask
    ///     is started, the masks in flight are finished and written, and the file is published
    ///     (how `vasfem label` ends on SIGTERM, Slurm's time limit, or SIGINT).
    ///   - progress: called after each mask.
    /// - Throws: ``HDF5LabelingError`` or `HDF5Error` when the batch cannot be read or written.
    public func labelHDF5(input: String, output: String, shard: LabelingShard = .whole, retryFailed: Bool = false,
                          checkpointInterval: Double? = nil,
                          shouldStop: @escaping @Sendable () -> Bool = { false },
                          progress: @escaping @Sendable (LabelingProgress) -> Void = { _ in }) async throws -> HDF5LabelingSummary {
        try HDF5LabelingError.checkDistinct(input: input, output: output)
        let batch = try MaskBatch(contentsOf: input)
        let store = try LabelStore(path: output, batch: batch, configuration: configuration, shard: shard)
        store.checkpointInterval = checkpointInterval
        let pending = store.pending(retryFailed: retryFailed)
        let total = store.shardMaskCount
        let alreadyDone = total - pending.count
        let configuration = self.configuration
        let start = Date()
        var done = 0, failed = 0, maskSeconds = 0.0, stopped = false
        try await withThrowingTaskGroup(of: MaskLabelRecord.self) { group in
            var next = 0
            func submit() {
                if shouldStop() { stopped = true; return }
                let index = pending[next], mask = batch.masks[index]
                next += 1
                group.addTask { MaskLabelRecord.labeling(mask, index: index, configuration: configuration) }
            }
            while !stopped, next < min(pending.count, maximumConcurrentMasks) { submit() }
            for try await record in group {
                try store.record(record)
                done += 1
                if record.status != 0 { failed += 1 }
                maskSeconds += record.seconds
                progress(LabelingProgress(total: total, alreadyDone: alreadyDone, done: done, failed: failed,
                                          elapsed: Date().timeIntervalSince(start)))
                if !stopped, next < pending.count { submit() }
            }
        }
        try store.close()
        let inShard = (0..<store.maskCount).filter(shard.contains).map { store.status[$0] }
        return HDF5LabelingSummary(masks: total, solved: inShard.filter { $0 == 0 }.count, failed: inShard.filter { $0 > 0 }.count,
                                   labeledNow: done, seconds: Date().timeIntervalSince(start), maskSeconds: maskSeconds,
                                   status: store.status, writingSeconds: store.writingSeconds, checkpoints: store.checkpointStatistics,
                                   stoppedEarly: stopped)
    }
}
