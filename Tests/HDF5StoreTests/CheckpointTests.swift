import Foundation
import Testing
import HDF5Store

/// Crash-safe files: writes go to a private copy; `checkpoint()` publishes atomically.
///
/// A SIGKILL cannot be simulated inside the test process; releasing a file without a
/// checkpoint is the in-process equivalent (the working copy is dropped, as a kill drops
/// it). `Scripts/kill-harness.sh` kills real runs of `latent-sampling experiment`.
@Suite("Checkpointed files")
struct CheckpointTests {
    @Test func newFileAppearsOnlyAtCheckpoint() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.path("results.h5")
            let file = try HDF5File(checkpointedAt: path, mode: .truncate)
            try file.createDataset("a", values: [1.0, 2.0], shape: [2])
            #expect(!FileManager.default.fileExists(atPath: path))
            try file.checkpoint()
            // The published snapshot is a complete file, readable while the writer is open.
            let snapshot = try HDF5File(path: path, mode: .readOnly)
            #expect(try snapshot.dataset("a").read(as: Double.self) == [1, 2])
            // Only the published file is on disk: the working copy is unlinked.
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path).sorted() == ["results.h5", "results.h5.lock"])
            #expect(file.isCheckpointed && file.checkpointStatistics.count == 1)
            #expect(file.checkpointStatistics.bytes > 0)
        }
    }

    @Test func writesAfterTheLastCheckpointAreNotPublished() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.path("results.h5")
            do {
                let file = try HDF5File(checkpointedAt: path, mode: .truncate)
                let rows = try file.createDataset("rows", of: Int64.self, shape: [0, 3], compressionLevel: 4, extendible: true)
                try rows.append([1, 2, 3], shape: [1, 3])
                try file.setAttribute("completed", Int64(1))
                try file.checkpoint()
                // Torn state that a kill would interrupt: more rows, a new group, a changed attribute.
                try rows.append([4, 5, 6, 7, 8, 9], shape: [2, 3])
                try file.createGroup("model/round_2")
                try file.setAttribute("completed", Int64(2))
            }  // released without a checkpoint
            let file = try HDF5File(path: path, mode: .readOnly)
            #expect(try file.dataset("rows").read(as: Int64.self) == [1, 2, 3])
            #expect(try file.intAttribute("completed") == 1)
            #expect(!file.contains("model"))
        }
    }

    @Test func resumingWorksOnACopyAndPublishesEachCheckpoint() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.path("results.h5")
            do {
                let file = try HDF5File(checkpointedAt: path, mode: .truncate)
                try file.createDataset("rows", of: Float.self, shape: [0], extendible: true)
                try file.checkpoint()
            }
            for round in 1...3 {
                let file = try HDF5File(checkpointedAt: path, mode: .readWrite)
                try file.dataset("rows").append([Float(round)], shape: [1])
                // Not yet published: the file at `path` still holds the earlier rounds.
                #expect(try HDF5File(path: path).dataset("rows").read(as: Float.self).count == round - 1)
                try file.checkpoint()
                #expect(try HDF5File(path: path).dataset("rows").read(as: Float.self) == (1...round).map(Float.init))
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path).sorted() == ["results.h5", "results.h5.lock"])
        }
    }

    @Test func leftoversOfAKilledProcessAreIgnored() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.path("results.h5")
            do {
                let file = try HDF5File(checkpointedAt: path, mode: .truncate)
                try file.setAttribute("round", Int64(4))
                try file.checkpoint()
            }
            // A process killed while publishing leaves a partial `.publishing` copy.
            try Data("HDF5 torn".utf8).write(to: URL(fileURLWithPath: path + ".publishing"))
            try Data("torn".utf8).write(to: URL(fileURLWithPath: path + ".working"))
            let file = try HDF5File(checkpointedAt: path, mode: .readWrite)
            #expect(try file.intAttribute("round") == 4)
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path).sorted() == ["results.h5", "results.h5.lock"])
        }
    }

    @Test func oneWriterAtATime() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.path("results.h5")
            var first: HDF5File? = try HDF5File(checkpointedAt: path, mode: .truncate)
            try first?.checkpoint()
            // A second writer (another process, or another handle) is refused while the first is open...
            expectHDF5Error({ try HDF5File(checkpointedAt: path, mode: .readWrite) }) {
                if case .cannotOpenFile(let file, let message) = $0 { return file == path && message.contains("lock") }
                return false
            }
            // ...readers are not, and the lock goes with the first writer's last handle.
            _ = try HDF5File(path: path, mode: .readOnly)
            first = nil
            _ = try HDF5File(checkpointedAt: path, mode: .readWrite)
        }
    }

    @Test func errorsNameThePublishedFile() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.path("results.h5")
            expectHDF5Error({ try HDF5File(checkpointedAt: path, mode: .readWrite) }) {
                $0 == .fileNotFound(file: path)
            }
            try Data("not an HDF5 file".utf8).write(to: URL(fileURLWithPath: path))
            expectHDF5Error({ try HDF5File(checkpointedAt: path, mode: .readWrite) }) {
                if case .cannotOpenFile(let file, _) = $0 { return file == path }
                return false
            }
            let file = try HDF5File(checkpointedAt: directory.path("other.h5"), mode: .truncate)
            expectHDF5Error({ try file.dataset("missing") }) { $0 == .objectNotFound(file: directory.path("other.h5"), object: "/missing") }
        }
    }

    @Test func plainFilesFlushOnCheckpoint() async throws {
        try await withTemporaryDirectory { directory in
            let file = try HDF5File(path: directory.path("plain.h5"), mode: .truncate)
            try file.createDataset("x", values: [Int32(7)], shape: [1])
            try file.checkpoint()
            #expect(!file.isCheckpointed && file.checkpointStatistics.count == 0)
        }
    }
}
