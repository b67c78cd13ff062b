import CMPI
import Foundation
import HDF5Store
import VasFEM

/// The MPI job this process belongs to, if it was started by a launcher (`mpirun`, `srun`).
///
/// MPI is initialized only when a launcher's environment variables are present, so that
/// `vasfem` run by hand never touches MPI (no singleton start-up, no runtime needed).
enum MPIJob {
    /// Whether a launcher started this process (Open MPI's mpirun, PMIx or PMI, e.g. srun).
    static var isLaunched: Bool {
        let environment = ProcessInfo.processInfo.environment
        return ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"].contains { environment[$0] != nil }
    }
}

/// Errors of the distributed run.
struct MPIError: Error, CustomStringConvertible {
    var description: String
}

/// A thin layer over the MPI calls the labeling needs. Every call is made from the thread
/// that initialized MPI (MPI_THREAD_SERIALIZED is requested; labeling threads never call MPI).
final class MPICommunicator {
    let rank: Int32, size: Int32
    let world = cmpi_comm_world()

    /// Message tags.
    enum Tag: Int32 {
        /// worker → root: Int64 free slots (the worker's first message).
        case request = 1
        /// worker → root: one encoded ``MaskLabelRecord``; frees one slot.
        case result = 2
        /// root → worker: Int64 mask indices to label (possibly none).
        case assign = 3
        /// root → worker: nothing left; leave the loop.
        case stop = 4
    }

    init() throws {
        var provided: Int32 = 0
        guard MPI_Init_thread(nil, nil, cmpi_thread_serialized(), &provided) == cmpi_success() else {
            throw MPIError(description: "MPI_Init_thread failed")
        }
        var rank: Int32 = 0, size: Int32 = 0
        MPI_Comm_rank(world, &rank)
        MPI_Comm_size(world, &size)
        self.rank = rank
        self.size = size
    }

    func finalize() { MPI_Finalize() }

    /// Ends every rank of the job (after a rank's error that the others cannot learn otherwise).
    func abort(_ code: Int32) -> Never {
        MPI_Abort(world, code)
        exit(code)
    }

    /// Broadcasts an integer from rank 0.
    func broadcast(_ value: Int64) -> Int64 {
        var v = value
        MPI_Bcast(&v, 1, cmpi_int64(), 0, world)
        return v
    }

    func send(_ bytes: [UInt8], to destination: Int32, tag: Tag) {
        _ = bytes.withUnsafeBytes { MPI_Send($0.baseAddress, Int32(bytes.count), cmpi_byte(), destination, tag.rawValue, world) }
    }

    func send(_ values: [Int64], to destination: Int32, tag: Tag) {
        _ = values.withUnsafeBytes { MPI_Send($0.baseAddress, Int32(values.count), cmpi_int64(), destination, tag.rawValue, world) }
    }

    /// A pending message's source, tag and size in bytes, if one has arrived.
    func probe(from source: Int32 = cmpi_any_source()) -> (source: Int32, tag: Int32, bytes: Int)? {
        var flag: Int32 = 0
        var status = MPI_Status()
        MPI_Iprobe(source, cmpi_any_tag(), world, &flag, &status)
        guard flag != 0 else { return nil }
        var count: Int32 = 0
        MPI_Get_count(&status, cmpi_byte(), &count)
        return (status.MPI_SOURCE, status.MPI_TAG, Int(count))
    }

    /// Receives the probed message as bytes.
    func receive(from source: Int32, tag: Int32, bytes: Int) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: bytes)
        _ = buffer.withUnsafeMutableBytes { MPI_Recv($0.baseAddress, Int32(bytes), cmpi_byte(), source, tag, world, cmpi_status_ignore()) }
        return buffer
    }
}

extension [UInt8] {
    /// The bytes as little-endian Int64 values (the payload of request and assign messages).
    var int64s: [Int64] {
        stride(from: 0, to: count - count % 8, by: 8).map { o in
            self[o..<(o + 8)].enumerated().reduce(Int64(0)) { $0 | Int64($1.element) << (8 * $1.offset) }
        }
    }
}

/// Labels masks on up to `slots` threads of this process; results are collected for the
/// MPI thread to pick up (labeling threads never call MPI).
final class LocalLabelingPool: @unchecked Sendable {
    let mask: (Int) throws -> WallMask, configuration: VasFEMConfiguration, rank: Int32, slots: Int
    private let lock = NSLock()
    private var finished: [MaskLabelRecord] = []
    private(set) var running = 0

    /// A pool that gets mask i from `mask(i)` (called on the MPI thread).
    init(mask: @escaping (Int) throws -> WallMask, configuration: VasFEMConfiguration, rank: Int32, slots: Int) {
        (self.mask, self.configuration, self.rank, self.slots) = (mask, configuration, rank, slots)
    }

    /// Free slots (call from the MPI thread only: `running` changes there).
    var free: Int { slots - running }

    /// Starts labeling mask `index` on a thread of its own.
    func start(_ index: Int) throws {
        let mask = try mask(index)
        running += 1
        let (configuration, rank) = (configuration, rank)
        let thread = Thread { [self] in
            let record = MaskLabelRecord.labeling(mask, index: index, configuration: configuration, rank: rank)
            lock.lock(); finished.append(record); lock.unlock()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// The records finished since the last call.
    func takeFinished() -> [MaskLabelRecord] {
        lock.lock(); defer { lock.unlock() }
        let taken = finished
        finished.removeAll()
        running -= taken.count
        return taken
    }
}

/// `vasfem label` under MPI: rank 0 hands out masks one at a time to whichever rank has a
/// free slot (dynamic load balancing: masks differ several-fold in cost), labels masks
/// itself too, and is the only writer of the output; other ranks send their results.
struct DistributedLabeling {
    var input: String, output: String, configuration: VasFEMConfiguration
    var shard: LabelingShard, retryFailed: Bool, jobs: Int, checkpointInterval: Double?
    var progress: ProgressReporter

    /// Runs this rank's part; returns rank 0's summary line (other ranks return `nil`).
    /// Errors on rank 0 before labeling starts end every rank (exit status 1).
    func run() throws -> String? {
        let mpi = try MPICommunicator()
        defer { mpi.finalize() }
        let idle: useconds_t = 1_000
        if mpi.rank == 0 {
            // Open the output first; tell the others whether to go on.
            let batch: MaskBatch, store: LabelStore
            do {
                try HDF5LabelingError.checkDistinct(input: input, output: output)
                batch = try MaskBatch(contentsOf: input)
                store = try LabelStore(path: output, batch: batch, configuration: configuration, shard: shard)
                store.checkpointInterval = checkpointInterval
            } catch {
                _ = mpi.broadcast(0)
                throw error
            }
            _ = mpi.broadcast(1)
            var pending = store.pending(retryFailed: retryFailed)[...]
            let total = store.shardMaskCount, alreadyDone = total - pending.count
            let masks = batch.masks
            let pool = LocalLabelingPool(mask: { masks[$0] }, configuration: configuration, rank: 0, slots: jobs)
            var outstanding = [Int](repeating: 0, count: Int(mpi.size))
            var done = 0, failed = 0, maskSeconds = 0.0
            let start = Date()
            func record(_ r: MaskLabelRecord) throws {
                try store.record(r)
                done += 1
                if r.status != 0 { failed += 1 }
                maskSeconds += r.seconds
                progress.update(LabelingProgress(total: total, alreadyDone: alreadyDone, done: done, failed: failed,
                                                 elapsed: Date().timeIntervalSince(start)))
            }
            func assign(_ slots: Int, to worker: Int32) {
                let indices = (0..<min(slots, pending.count)).map { _ in Int64(pending.popFirst()!) }
                outstanding[Int(worker)] += indices.count
                mpi.send(indices, to: worker, tag: .assign)
            }
            // From here on the other ranks are labeling: an error must end them too.
            func failing<T>(_ body: () throws -> T) -> T {
                do { return try body() } catch {
                    FileHandle.standardError.write(Data("\nError: \(error)\n".utf8))
                    mpi.abort(1)
                }
            }
            while true {
                var busy = false
                while pool.free > 0, let index = pending.popFirst() { failing { try pool.start(index) }; busy = true }
                for r in pool.takeFinished() { failing { try record(r) }; busy = true }
                if let message = mpi.probe() {
                    busy = true
                    let bytes = mpi.receive(from: message.source, tag: message.tag, bytes: message.bytes)
                    failing {
                        switch MPICommunicator.Tag(rawValue: message.tag) {
                        case .request: assign(Int(bytes.int64s.first ?? 1), to: message.source)
                        case .result:
                            guard let r = MaskLabelRecord(encoded: bytes), r.index >= 0, r.index < store.maskCount else {
                                throw MPIError(description: "rank \(message.source) sent a malformed result (\(bytes.count) bytes)")
                            }
                            outstanding[Int(message.source)] -= 1
                            try record(r)
                            assign(1, to: message.source)
                        default: throw MPIError(description: "rank \(message.source) sent unexpected tag \(message.tag)")
                        }
                    }
                }
                if pending.isEmpty && pool.running == 0 && outstanding.allSatisfy({ $0 == 0 }) { break }
                if !busy { usleep(idle) }
            }
            for worker in 1..<mpi.size { mpi.send([Int64](), to: worker, tag: .stop) }
            failing { try store.close() }
            progress.finish()
            let inShard = (0..<store.maskCount).filter(shard.contains).map { store.status[$0] }
            let seconds = Date().timeIntervalSince(start)
            return summaryLine(total: total, labeledNow: done, solved: inShard.filter { $0 == 0 }.count,
                               failed: inShard.filter { $0 > 0 }.count, seconds: seconds, maskSeconds: maskSeconds,
                               workers: "\(mpi.size) ranks × \(jobs) jobs", writingSeconds: store.writingSeconds,
                               checkpoints: store.checkpointStatistics)
        }
        // Other ranks: wait for rank 0's go, then label what it assigns until it says stop. Masks
        // are read from the input one at a time, as assigned (a rank holds only those it labels).
        guard mpi.broadcast(0) == 1 else { mpi.finalize(); exit(1) }  // rank 0 reports the error
        func fail(_ message: String) -> Never {
            FileHandle.standardError.write(Data("Error: rank \(mpi.rank): \(message)\n".utf8))
            mpi.abort(1)
        }
        let masks: HDF5Dataset, shape: [Int]
        do {
            masks = try HDF5File(path: input, mode: .readOnly).dataset("masks")
            shape = try masks.shape
        } catch { fail("\(error)") }
        guard shape.count == 3 else { fail("\(HDF5LabelingError.badMaskShape(shape))") }
        let pool = LocalLabelingPool(mask: { i in
            WallMask(rows: shape[1], columns: shape[2], pixels: try masks.read(as: UInt8.self, rows: i..<(i + 1)))
        }, configuration: configuration, rank: mpi.rank, slots: jobs)
        // One mask more than the slots is held in reserve, so that a slot that frees up starts at
        // once, even while rank 0 is busy publishing a checkpoint.
        var reserve = [Int]()
        mpi.send([Int64(jobs + 1)], to: 0, tag: .request)
        while true {
            var busy = false
            for r in pool.takeFinished() { mpi.send(r.encoded(), to: 0, tag: .result); busy = true }
            while pool.free > 0, !reserve.isEmpty {
                let index = reserve.removeFirst()
                do { try pool.start(index) } catch { fail("mask \(index): \(error)") }
                busy = true
            }
            if let message = mpi.probe(from: 0) {
                busy = true
                let bytes = mpi.receive(from: 0, tag: message.tag, bytes: message.bytes)
                if message.tag == MPICommunicator.Tag.stop.rawValue { break }
                for index in bytes.int64s {
                    guard index >= 0, Int(index) < shape[0] else { fail("mask index \(index) out of range") }
                    reserve.append(Int(index))
                }
            }
            if !busy { usleep(idle) }
        }
        return nil
    }
}

/// The line `vasfem label` prints at the end of an HDF5 run.
func summaryLine(total: Int, labeledNow: Int, solved: Int, failed: Int, seconds: Double, maskSeconds: Double, workers: String,
                 writingSeconds: Double, checkpoints: HDF5CheckpointStatistics) -> String {
    let n = Double(max(labeledNow, 1))
    let inFile = solved + failed, earlier = inFile - labeledNow, remaining = total - inFile
    // A run stopped early (SIGTERM) has masks to go; a finished one has none.
    let counted = remaining > 0 ? "\(inFile) of \(total)" : "\(total)"
    let toGo = remaining > 0 ? ", \(remaining) to go" : ""
    return String(format: "labeled %@ masks (%d solved, %d failed in the file; %d labeled now, %d earlier%@) in %.2f s: %.1f ms per mask (wall clock, %@), %.1f ms per mask on one core; writing %.2f ms per mask, %d checkpoints %.3f s",
                  counted, solved, failed, labeledNow, earlier, toGo, seconds, seconds * 1000 / n, workers, maskSeconds * 1000 / n,
                  writingSeconds * 1000 / n, checkpoints.count, checkpoints.seconds)
}

/// Progress on standard error: done / failed / remaining, rate and time to go. On a
/// terminal one line is redrawn; otherwise (a Slurm log) a line is printed every `interval` seconds.
final class ProgressReporter: @unchecked Sendable {
    let lock = NSLock()
    let isTerminal = isatty(STDERR_FILENO) == 1
    let interval: Double
    private var last = -Double.infinity, latest: LabelingProgress?

    init(interval: Double = 10) { self.interval = interval }

    func update(_ p: LabelingProgress) {
        lock.lock(); defer { lock.unlock() }
        latest = p
        let now = Date().timeIntervalSinceReferenceDate
        guard now - last >= (isTerminal ? 0.2 : interval) else { return }
        last = now
        FileHandle.standardError.write(Data(((isTerminal ? "\r\u{1B}[K" : "") + "vasfem: " + p.line + (isTerminal ? "" : "\n")).utf8))
    }

    /// Prints the final state.
    func finish() {
        lock.lock(); defer { lock.unlock() }
        guard let p = latest else { return }
        FileHandle.standardError.write(Data(((isTerminal ? "\r\u{1B}[K" : "") + "vasfem: " + p.line + "\n").utf8))
    }
}
