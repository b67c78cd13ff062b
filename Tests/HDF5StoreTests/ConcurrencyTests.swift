import Foundation
import Synchronization
import Testing
import HDF5Store

@Suite("Concurrency")
struct ConcurrencyTests {
    /// The values task `task` writes into dataset `index`, deterministic so readers can check them.
    static func values(task: Int, index: Int, count: Int) -> [Double] {
        (0..<count).map { Double(task * 1_000_000 + index * 1_000 + $0) }
    }

    @Test func manyTasksWritingAndReadingSeparateFiles() async throws {
        try await withTemporaryDirectory { directory in
            let taskCount = 8, datasetsPerTask = 4
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for task in 0..<taskCount {
                    tasks.addTask {
                        let file = try HDF5File(path: directory.path("t\(task).h5"), mode: .truncate)
                        for index in 0..<datasetsPerTask {
                            try file.createDataset("d\(index)", values: Self.values(task: task, index: index, count: 500),
                                                   shape: [50, 10], compressionLevel: 3)
                            try file.dataset("d\(index)").setAttribute("task", task)
                        }
                    }
                }
                try await tasks.waitForAll()
            }
            let checks = try await withThrowingTaskGroup(of: Int.self) { tasks in
                for task in 0..<taskCount {
                    tasks.addTask {
                        let file = try HDF5File(path: directory.path("t\(task).h5"))
                        var ok = 0
                        for index in 0..<datasetsPerTask {
                            let dataset = try file.dataset("d\(index)")
                            let expected = Self.values(task: task, index: index, count: 500)
                            if try dataset.read(as: Double.self) == expected,
                               try dataset.read(as: Double.self, rows: 10..<20) == Array(expected[100..<200]),
                               try dataset.intAttribute("task") == task { ok += 1 }
                        }
                        return ok
                    }
                }
                return try await tasks.reduce(0, +)
            }
            #expect(checks == taskCount * datasetsPerTask)
        }
    }

    @Test func sharedFileConcurrentWritersAppendersAndReaders() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.path("shared.h5")
            let file = try HDF5File(path: path, mode: .truncate)
            let log = try file.createDataset("log", of: Int64.self, shape: [0, 4], extendible: true)
            let reference = try file.createDataset("reference", values: (0..<1000).map { Float($0) }, shape: [100, 10])
            let taskCount = 12, appendsPerTask = 20
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for task in 0..<taskCount {
                    tasks.addTask {
                        // Each task: its own group and dataset in the shared file ...
                        try file.createDataset("task\(task)/values", values: Self.values(task: task, index: 0, count: 64),
                                               shape: [8, 8], compressionLevel: 1)
                        for step in 0..<appendsPerTask {
                            // ... appends rows (task, step, task*step, checksum) to one shared log ...
                            let row = [Int64(task), Int64(step), Int64(task * step), Int64(task + step + 7)]
                            try log.append(row, shape: [1, 4])
                            // ... and reads a shared dataset while others write.
                            let start = (task * 7 + step) % 95
                            let slab = try reference.read(as: Float.self, rows: start..<(start + 5))
                            guard slab == (start * 10..<(start + 5) * 10).map({ Float($0) }) else {
                                throw HDF5Error.invalidArgument(file: path, object: "/reference", detail: "bad slab")
                            }
                        }
                    }
                }
                try await tasks.waitForAll()
            }
            #expect(try log.shape == [taskCount * appendsPerTask, 4])
            let rows = try log.read(as: Int64.self)
            var seen = Set<[Int64]>()
            for r in stride(from: 0, to: rows.count, by: 4) {
                let row = Array(rows[r..<(r + 4)])
                #expect(row[2] == row[0] * row[1] && row[3] == row[0] + row[1] + 7, "torn row \(row)")
                seen.insert(row)
            }
            #expect(seen.count == taskCount * appendsPerTask)
            for task in 0..<taskCount {
                #expect(try file.dataset("task\(task)/values").read(as: Double.self)
                        == Self.values(task: task, index: 0, count: 64))
            }
            #expect(try file.memberNames().count == taskCount + 2)
        }
    }

    @Test func manyThreadsMixingReadsWritesAndAttributes() async throws {
        // Plain threads (not the cooperative pool) to maximize contention on the lock.
        try await withTemporaryDirectory { directory in
            let file = try HDF5File(path: directory.path("threads.h5"), mode: .truncate)
            let shared = try file.createDataset("shared", values: (0..<400).map { Int32($0) }, shape: [40, 10])
            let failures = Mutex(0)
            DispatchQueue.concurrentPerform(iterations: 16) { thread in
                do {
                    let own = try file.createDataset("threads/t\(thread)", of: Float.self, shape: [0, 3],
                                                     compressionLevel: 2, extendible: true)
                    for step in 0..<10 {
                        try own.append([Float(thread), Float(step), Float(thread * step)])
                        try own.setAttribute("step", step)
                        let row = (thread + step) % 40
                        let values = try shared.read(as: Int32.self, rows: row..<(row + 1))
                        if values != (row * 10..<(row * 10 + 10)).map({ Int32($0) }) { failures.withLock { $0 += 1 } }
                    }
                } catch {
                    failures.withLock { $0 += 1 }
                }
            }
            #expect(failures.withLock { $0 } == 0)
            for thread in 0..<16 {
                let own = try file.dataset("threads/t\(thread)")
                #expect(try own.read(as: Float.self)
                        == (0..<10).flatMap { [Float(thread), Float($0), Float(thread * $0)] })
                #expect(try own.intAttribute("step") == 9)
            }
        }
    }
}
