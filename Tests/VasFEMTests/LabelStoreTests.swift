import Foundation
import HDF5Store
import LatentSampling
import Testing
@testable import VasFEM

/// A scratch folder removed at the end of a test.
private struct Folder {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("LabelStoreTests-\(UUID().uuidString)")
    init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// Writes `masks` as dataset `masks` of a new HDF5 file.
private func writeMasks(_ masks: [WallMask], to path: String) throws {
    let file = try HDF5File(path: path, mode: .truncate)
    try file.createDataset("masks", values: masks.flatMap(\.pixels), shape: [masks.count, 64, 64])
}

/// A batch that is quick to label: one ring and failures that are found before meshing.
private let quickBatch: [WallMask] = [
    SyntheticMasks.annulus(innerRadius: 8, outerRadius: 15),
    SyntheticMasks.annulus(innerRadius: 0, outerRadius: 15),  // no lumen: status 7
    WallMask(rows: 64, columns: 64, pixels: Array(repeating: 0, count: 4096)),  // empty: status 3
    SyntheticMasks.annulus(innerRadius: 0, outerRadius: 12),
]

@Suite("Label files: shards, records, resume, merge")
struct LabelStoreTests {
    @Test("shards parse as K/N with 0 ≤ K < N and split masks by index mod N")
    func shards() throws {
        let s = try LabelingShard(parsing: "3/16")
        #expect(s.index == 3 && s.count == 16 && s.description == "3/16")
        #expect(s.contains(3) && s.contains(19) && !s.contains(4))
        for bad in ["16/16", "-1/2", "1/0", "a/b", "3", "1/2/3", ""] {
            #expect(throws: HDF5LabelingError.badShard(bad)) { try LabelingShard(parsing: bad) }
        }
        // Every mask in exactly one shard.
        let shards = try (0..<5).map { try LabelingShard(index: $0, count: 5) }
        for i in 0..<23 { #expect(shards.filter { $0.contains(i) }.count == 1) }
    }

    @Test("a record survives its byte encoding; truncated or padded bytes are refused")
    func recordBytes() throws {
        let solved = MaskLabelRecord(index: 123_456_789, status: 0, message: "", newtonIterations: 17, seconds: 0.125, rank: 3,
                                     stress: [1.5, -0, .nan, .infinity], vonMises: [2, 3], displacement: [4, 5, 6, 7])
        let failed = MaskLabelRecord(index: 2, status: 7, message: "mask has no lumen — ünïcode", newtonIterations: 0,
                                     seconds: 1e-6, rank: 0, stress: [], vonMises: [], displacement: [])
        for record in [solved, failed] {
            let bytes = record.encoded()
            let back = try #require(MaskLabelRecord(encoded: bytes))
            #expect(back.index == record.index && back.status == record.status && back.message == record.message)
            #expect(back.seconds.bitPattern == record.seconds.bitPattern && back.rank == record.rank)
            #expect(back.stress.map(\.bitPattern) == record.stress.map(\.bitPattern))
            #expect(back.displacement == record.displacement && back.vonMises == record.vonMises)
            #expect(MaskLabelRecord(encoded: Array(bytes.dropLast())) == nil)
            #expect(MaskLabelRecord(encoded: bytes + [0]) == nil)
        }
    }

    @Test("a resumed run labels only the masks the file lacks, keeps the rest, and retries failures only when asked")
    func resume() async throws {
        let folder = try Folder()
        defer { folder.remove() }
        let input = folder.path("in.h5"), output = folder.path("out.h5")
        try writeMasks(quickBatch, to: input)
        let batch = try MaskBatch(contentsOf: input)
        // A run that finished masks 0 and 2 (0 with a marker value no solve produces) and was killed.
        do {
            let store = try LabelStore(path: output, batch: batch, configuration: coarse)
            #expect(store.pending() == [0, 1, 2, 3])
            try store.record(MaskLabelRecord(index: 0, status: 0, message: "", newtonIterations: 99, seconds: 1234.5, rank: 5,
                                             stress: Array(repeating: 7, count: 4096), vonMises: Array(repeating: 8, count: 4096),
                                             displacement: Array(repeating: 9, count: 8192)))
            try store.record(MaskLabelRecord(index: 2, status: 3, message: "was empty", newtonIterations: 0, seconds: 0.5, rank: 0,
                                             stress: [], vonMises: [], displacement: []))
            try store.close()
        }
        let labeler = StressLabeler(configuration: coarse, maximumConcurrentMasks: 2)
        let summary = try await labeler.labelHDF5(input: input, output: output)
        #expect(summary.labeledNow == 2 && summary.masks == 4)
        #expect(summary.status == [0, 7, 3, 7])
        var file = try HDF5File(path: output, mode: .readOnly)
        #expect(try file.dataset("seconds").read(as: Double.self)[0] == 1234.5)  // kept, not relabeled
        #expect(try file.dataset("stress").read(as: Float.self, rows: 0..<1).allSatisfy { $0 == 7 })
        #expect(try file.dataset("newton_iterations").read(as: Int32.self)[0] == 99)
        // Nothing left: a second re-run labels nothing; failures are retried only when asked.
        #expect(try await labeler.labelHDF5(input: input, output: output).labeledNow == 0)
        let retried = try await labeler.labelHDF5(input: input, output: output, retryFailed: true)
        #expect(retried.labeledNow == 3 && retried.status == [0, 7, 3, 7])
        file = try HDF5File(path: output, mode: .readOnly)
        let message = try file.dataset("messages").read(as: UInt8.self, rows: 2..<3)
        #expect(String(decoding: message.prefix { $0 != 0 }, as: UTF8.self) == MaskError.empty.description)
        // The input is never written.
        #expect(try MaskBatch(contentsOf: input).digest == batch.digest)
    }

    @Test("resuming with other settings, input or shard is refused, naming what differs")
    func resumeMismatch() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let input = folder.path("in.h5"), other = folder.path("other.h5"), output = folder.path("out.h5")
        try writeMasks(quickBatch, to: input)
        try writeMasks(Array(quickBatch.reversed()), to: other)
        let batch = try MaskBatch(contentsOf: input)
        try LabelStore(path: output, batch: batch, configuration: coarse).close()
        var finer = coarse
        finer.meshSize = 0.2
        func field(_ body: () throws -> Void) -> String? {
            do { try body() } catch let HDF5LabelingError.resumeMismatch(_, field, _, _) { return field } catch { return "\(error)" }
            return nil
        }
        #expect(field { _ = try LabelStore(path: output, batch: batch, configuration: finer) } == "settings")
        #expect(field { _ = try LabelStore(path: output, batch: try MaskBatch(contentsOf: other), configuration: coarse) } == "input_digest")
        #expect(field { _ = try LabelStore(path: output, batch: batch, configuration: coarse, shard: try LabelingShard(index: 1, count: 2)) } == "shard")
        // A file that is HDF5 but not a label file.
        #expect(throws: HDF5LabelingError.self) { _ = try LabelStore(path: input, batch: batch, configuration: coarse) }
    }

    @Test("merge joins complete disjoint shards into the one-process file and refuses incomplete ones")
    func merge() async throws {
        let folder = try Folder()
        defer { folder.remove() }
        let input = folder.path("in.h5")
        try writeMasks(quickBatch, to: input)
        let labeler = StressLabeler(configuration: coarse, maximumConcurrentMasks: 1)
        _ = try await labeler.labelHDF5(input: input, output: folder.path("whole.h5"))
        let parts = [folder.path("p0.h5"), folder.path("p1.h5")]
        _ = try await labeler.labelHDF5(input: input, output: parts[1], shard: try LabelingShard(index: 1, count: 2))
        // Shard 0 interrupted: one of its masks (2) labeled, mask 0 not.
        do {  // the store's handle (and its writer's lock) goes at the end of this scope
            let store = try LabelStore(path: parts[0], batch: try MaskBatch(contentsOf: input), configuration: coarse,
                                       shard: try LabelingShard(index: 0, count: 2))
            try store.record(MaskLabelRecord.labeling(quickBatch[2], index: 2, configuration: coarse))
            try store.close()
        }
        #expect(throws: LabelMergeError.incomplete(path: parts[0], shard: "0/2", unlabeled: 1)) {
            try LabelStore.merge(parts: parts, output: folder.path("merged.h5"))
        }
        #expect(!FileManager.default.fileExists(atPath: folder.path("merged.h5")))
        _ = try await labeler.labelHDF5(input: input, output: parts[0], shard: try LabelingShard(index: 0, count: 2))
        let summary = try LabelStore.merge(parts: parts.reversed(), output: folder.path("merged.h5"))
        #expect(summary.masks == 4 && summary.solved == 1 && summary.failed == 3 && summary.parts == 2)
        let whole = try HDF5File(path: folder.path("whole.h5")), merged = try HDF5File(path: folder.path("merged.h5"))
        for name in ["stress", "von_mises", "displacement"] {
            #expect(try whole.dataset(name).read(as: Float.self) == merged.dataset(name).read(as: Float.self), "\(name)")
        }
        #expect(try whole.dataset("messages").read(as: UInt8.self) == merged.dataset("messages").read(as: UInt8.self))
        #expect(try whole.dataset("status").read(as: Int32.self) == merged.dataset("status").read(as: Int32.self))
        #expect(try merged.dataset("shard").read(as: Int32.self) == [0, 1, 0, 1])
        #expect(try whole.stringAttribute("settings") == merged.stringAttribute("settings"))
        #expect(try merged.intAttribute("shard_count") == 1)
        #expect(throws: LabelMergeError.outputIsInput(parts[0])) { try LabelStore.merge(parts: parts, output: parts[0]) }
    }

    @Test("a long message is cut at a character boundary to fit its row")
    func longMessage() throws {
        let folder = try Folder()
        defer { folder.remove() }
        try writeMasks([quickBatch[1]], to: folder.path("in.h5"))
        let store = try LabelStore(path: folder.path("out.h5"), batch: try MaskBatch(contentsOf: folder.path("in.h5")), configuration: coarse)
        try store.record(MaskLabelRecord(index: 0, status: 99, message: String(repeating: "é", count: 300), newtonIterations: 0,
                                         seconds: 0, rank: 0, stress: [], vonMises: [], displacement: []))
        try store.close()
        let row = try HDF5File(path: folder.path("out.h5")).dataset("messages").read(as: UInt8.self)
        let text = try #require(String(validating: row.prefix { $0 != 0 }, as: UTF8.self))
        #expect(text == String(repeating: "é", count: 128))
    }
}
