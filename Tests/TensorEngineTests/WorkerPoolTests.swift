import CTensorKernels
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing
@testable import TensorEngine

/// The worker pool behind `parallelRanges`: every share runs exactly once per job, through
/// the spin-then-sleep hand-off, and the pool refuses (and the engine falls back) when it is
/// busy, so that nested loops and several threads using the engine at once still finish
/// with the right results.
@Suite("Worker pool", .serialized)
struct WorkerPoolTests {
    /// Counts how often each share ran (one counter per share, each written by one thread).
    final class Tally: @unchecked Sendable {
        let slots: UnsafeMutableBufferPointer<Int>
        init(_ n: Int) { slots = .allocate(capacity: n); slots.initialize(repeating: 0) }
        deinit { slots.deallocate() }
        var counts: [Int] { Array(slots) }
    }

    static let countShare: @convention(c) (UnsafeMutableRawPointer?, Int) -> Void = { context, index in
        Unmanaged<Tally>.fromOpaque(context!).takeUnretainedValue().slots[index] += 1
    }

    /// `ck_pool_run`, tried again while it answers −1: the pool is process-wide, and other test
    /// suites running at the same time may hold it (a refused call runs nothing, which the
    /// tallies below check). Gives up after 20 s and returns the last answer.
    func runWhenFree(_ count: Int, _ task: ck_task, _ context: UnsafeMutableRawPointer?) -> Int32 {
        let deadline = ContinuousClock.now + .seconds(20)
        while true {
            let answer = ck_pool_run(count, task, context)
            if answer == 0 || ContinuousClock.now > deadline { return answer }
            usleep(50)
        }
    }

    @Test(arguments: [0, 200])
    func everyShareRunsOncePerJob(spinMicroseconds: Int) {
        let saved = WorkerPool.spinMicroseconds
        defer { WorkerPool.spinMicroseconds = saved }
        WorkerPool.spinMicroseconds = spinMicroseconds
        #expect(WorkerPool.spinMicroseconds == spinMicroseconds)
        for shares in [2, 3, 5, 8] {
            let tally = Tally(shares)
            let jobs = 2_000
            for job in 0..<jobs {
                let ran = runWhenFree(shares, Self.countShare, Unmanaged.passUnretained(tally).toOpaque())
                #expect(ran == 0)
                if job % 500 == 0 { usleep(UInt32(2 * spinMicroseconds + 100)) }  // let the workers fall asleep
            }
            #expect(tally.counts == [Int](repeating: jobs, count: shares), "\(shares) shares, spin \(spinMicroseconds) µs")
        }
    }

    @Test func busyPoolRefusesAndNestedLoopsStillFinish() {
        // Inside a task the pool is busy: ck_pool_run answers −1 and runs nothing.
        let answers = UnsafeMutableBufferPointer<Int32>.allocate(capacity: 2)
        defer { answers.deallocate() }
        answers.initialize(repeating: 7)
        let nested: @convention(c) (UnsafeMutableRawPointer?, Int) -> Void = { context, index in
            context!.assumingMemoryBound(to: Int32.self)[index] =
                ck_pool_run(2, { _, _ in fatalError("a refused job must not run") }, nil)
        }
        #expect(runWhenFree(2, nested, answers.baseAddress!) == 0)
        #expect(Array(answers) == [-1, -1])
        #expect(ck_pool_run(65, Self.countShare, nil) == -1, "more shares than the pool has workers")

        // parallelRanges inside parallelRanges (the inner loops fall back to Dispatch).
        let n = 64, m = 4_096
        let cells = Mutex([Int](repeating: 0, count: n * m))
        parallelRanges(n, costPerItem: 1 << 20, threads: 2) { rows in
            for r in rows {
                parallelRanges(m, costPerItem: 1 << 10, threads: 2) { columns in
                    cells.withLock { for c in columns { $0[r * m + c] += 1 } }
                }
            }
        }
        #expect(cells.withLock { $0.allSatisfy { $0 == 1 } })
    }

    @Test func severalThreadsUseTheEngineAtOnce() {
        // Four threads multiply matrices large enough to be split over two threads; whichever
        // gets the pool uses it, the others use Dispatch, and every product is right.
        let m = 96, n = 300, k = 80
        var g = SeededGenerator(seed: 5)
        let a = Tensor.uniform(shape: [m * k], lower: -1, upper: 1, using: &g).scalars
        let b = Tensor.uniform(shape: [k * n], lower: -1, upper: 1, using: &g).scalars
        @Sendable func product() -> [Float] {
            var c = [Float](repeating: 0, count: m * n)
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    c.withUnsafeMutableBufferPointer { cp in
                        sgemm(transposeA: false, transposeB: false, m: m, n: n, k: k, a: ap.baseAddress!, lda: k,
                              b: bp.baseAddress!, ldb: n, beta: 0, c: cp.baseAddress!, ldc: n)
                    }
                }
            }
            return c
        }
        BLASThreads.set(2)
        let expected = product()
        let mismatches = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            for _ in 0..<20 where product() != expected {
                mismatches.add(1, ordering: .relaxed)
            }
        }
        #expect(mismatches.load(ordering: .relaxed) == 0)
    }
}
