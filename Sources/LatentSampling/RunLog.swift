import HDF5Store

/// The HDF5 record of one progressive run, written after every round, from which an
/// interrupted run resumes.
///
/// Layout under the run's group (N = selected samples, d = latent dimension):
///
/// | path | type, shape | content |
/// | --- | --- | --- |
/// | `rounds/round`, `training_set_size`, `failures` | int64 (R) | per completed round |
/// | `rounds/metric`, `training_seconds`, `sampling_seconds` | float64 (R) | per completed round |
/// | `selected/round`, `pool_index` | int64 (N) | round joined; pool index, −1 if synthesized |
/// | `selected/seed_point`, `moved_point` | float32 (N×d) | p or z, and p' or z'; NaN where none |
/// | `selected/neighbor_distance` | float32 (N) | SNN's ‖E(x) − p'‖; NaN where none |
/// | `selected/cost_seconds`, `cost_units` | float64 (N) | labeling cost; NaN where none |
/// | `selected/samples` | float32 (N × sample shape) | the samples themselves |
/// | `selected/labels` | float32 (N×w) | their labels (``StorableLabel``) |
/// | `failed/…` | as `selected` | chosen samples whose labeling failed; attribute `reasons` |
/// | `model/round_t` | group | F's parameters after the last completed round t (a ``ResumableTargetModel`` only) |
///
/// The attribute `completed_rounds` is written last in every checkpoint, so rows a
/// crash left beyond it are discarded on resume; `finished` is 1 once the run stopped.
/// Each checkpoint ends with `HDF5Object.checkpoint()`: in a file opened with
/// `HDF5File.init(checkpointedAt:mode:)` (as ``openResultsFile(at:overwrite:)`` does)
/// the round is then published atomically, so a kill at any instant keeps it.
public final class RunLog {
    /// The run's group.
    public let group: HDF5Group
    /// The shape of one sample.
    public let sampleShape: [Int]
    /// The latent dimension d used for seed and moved points.
    public let latentDimension: Int

    /// The strategy whose run this is.
    public let strategy: String

    /// A log in `group` (created by the caller, empty or holding an earlier run's log).
    public init(group: HDF5Group, strategy: String, sampleShape: [Int], latentDimension: Int) {
        self.group = group
        self.strategy = strategy
        self.sampleShape = sampleShape
        self.latentDimension = latentDimension
    }

    // MARK: Writing

    /// Records round `round` (0: the initial set only), the increment it chose for the
    /// next round, and the model after it; then marks the round complete.
    func checkpoint<Label: StorableLabel>(
        round: Int, record: RoundRecord?, increment: Increment<Label>?, model: (any TargetModel)?,
        finished: Bool = false
    ) throws {
        if let increment {
            try appendSamples(increment.added, to: "selected")
            if !increment.failures.isEmpty {
                try appendFailures(increment.failures)
            }
        }
        if let model = model as? any ResumableTargetModel {
            let name = "model/round_\(round)"
            if group.contains(name) { try group.remove(name) }
            try model.saveParameters(to: try group.createGroup(name))
        }
        if let record {
            try append([Int64(record.round)], to: "rounds/round")
            try append([Int64(record.trainingSetSize)], to: "rounds/training_set_size")
            try append([Int64(record.failures)], to: "rounds/failures")
            try append([record.metric], to: "rounds/metric")
            try append([record.trainingSeconds], to: "rounds/training_seconds")
            try append([record.samplingSeconds], to: "rounds/sampling_seconds")
        }
        try group.setAttribute("strategy", strategy)
        try group.setAttribute("completed_rounds", Int64(round))
        try group.setAttribute("finished", Int64(finished ? 1 : 0))
        if round >= 2, group.contains("model/round_\(round - 1)") { try group.remove("model/round_\(round - 1)") }
        // Publishes the round atomically when the file is checkpointed (openResultsFile).
        try group.checkpoint()
    }

    private func appendSamples<Label: StorableLabel>(_ set: LabeledSet<Label>, to prefix: String) throws {
        guard set.count > 0 else { return }
        try appendProvenance(set.provenance, to: prefix)
        try append(set.samples.values, to: "\(prefix)/samples", rowShape: sampleShape)
        let rows = set.labels.map(\.storedValues)
        let width = rows[0].count
        guard rows.allSatisfy({ $0.count == width }) else {
            throw SamplingError.invalidParameter("labels of one run must all store the same number of values")
        }
        try append(rows.flatMap { $0 }, to: "\(prefix)/labels", rowShape: [width])
    }

    private func appendFailures(_ failures: [FailedSample]) throws {
        try appendProvenance(failures.map(\.provenance), to: "failed")
        let failed = try group.group("failed")
        let earlier = failed.hasAttribute("reasons") ? try failed.stringArrayAttribute("reasons") : []
        try failed.setAttribute("reasons", earlier + failures.map(\.reason))
    }

    private func appendProvenance(_ records: [Provenance], to prefix: String) throws {
        let d = latentDimension
        func point(_ p: [Float]?) -> [Float] { p ?? [Float](repeating: .nan, count: d) }
        try append(records.map { Int64($0.round) }, to: "\(prefix)/round")
        try append(records.map { Int64($0.poolIndex ?? -1) }, to: "\(prefix)/pool_index")
        try append(records.flatMap { point($0.seedPoint) }, to: "\(prefix)/seed_point", rowShape: [d])
        try append(records.flatMap { point($0.movedPoint) }, to: "\(prefix)/moved_point", rowShape: [d])
        try append(records.map { $0.neighborDistance ?? .nan }, to: "\(prefix)/neighbor_distance")
        try append(records.map { $0.labelingCost?.seconds ?? .nan }, to: "\(prefix)/cost_seconds")
        try append(records.map { $0.labelingCost?.units ?? .nan }, to: "\(prefix)/cost_units")
    }

    /// Appends rows to an extendible dataset, creating it on first use.
    private func append<T: HDF5Scalar>(_ values: [T], to path: String, rowShape: [Int] = []) throws {
        if !group.contains(path) {
            try group.createDataset(path, of: T.self, shape: [0] + rowShape, compressionLevel: 4, extendible: true)
        }
        try group.dataset(path).append(values, shape: [values.count / max(rowShape.reduce(1, *), 1)] + rowShape)
    }

    // MARK: Reading

    /// What an earlier, possibly interrupted, run left.
    struct SavedRun<Label: Sendable> {
        var rounds: [RoundRecord]
        var trainingSet: LabeledSet<Label>
        var failures: [FailedSample]
        var finished: Bool
    }

    /// Reads the run back, discarding whatever was written after the last completed
    /// checkpoint; `nil` when no checkpoint was completed.
    func restore<Label: StorableLabel>(labelType: Label.Type) throws -> SavedRun<Label>? {
        guard group.hasAttribute("completed_rounds") else {
            for name in try group.memberNames() { try group.remove(name) }
            return nil
        }
        let completed = try group.intAttribute("completed_rounds")
        let finished = try group.intAttribute("finished") == 1
        // Samples of rounds ≤ completed + 1 belong to the checkpoint (the increment for
        // the next round is written with the round before it); later rows are torn.
        let lastRound = finished ? completed : completed + 1

        var rounds: [RoundRecord] = []
        let roundColumns = ["round", "training_set_size", "failures", "metric", "training_seconds", "sampling_seconds"]
        for name in roundColumns where group.contains("rounds/\(name)") {
            try group.dataset("rounds/\(name)").truncate(toRows: completed)
        }
        if completed > 0 {
            let number = try group.dataset("rounds/round").read(as: Int64.self)
            let size = try group.dataset("rounds/training_set_size").read(as: Int64.self)
            let failures = try group.dataset("rounds/failures").read(as: Int64.self)
            let metric = try group.dataset("rounds/metric").read(as: Double.self)
            let training = try group.dataset("rounds/training_seconds").read(as: Double.self)
            let sampling = try group.dataset("rounds/sampling_seconds").read(as: Double.self)
            rounds = (0..<completed).map {
                RoundRecord(round: Int(number[$0]), trainingSetSize: Int(size[$0]), metric: metric[$0],
                            failures: Int(failures[$0]), trainingSeconds: training[$0], samplingSeconds: sampling[$0])
            }
        }

        var trainingSet = LabeledSet<Label>(sampleShape: sampleShape)
        if let provenance = try readProvenance(from: "selected", upToRound: lastRound) {
            let count = provenance.count
            for name in ["samples", "labels"] { try group.dataset("selected/\(name)").truncate(toRows: count) }
            let samples = try group.dataset("selected/samples").read(as: Float.self)
            let stored = try group.dataset("selected/labels").readWithShape(as: Float.self)
            let width = stored.shape[1]
            let labels = try (0..<count).map { try Label(storedValues: Array(stored.values[$0 * width ..< ($0 + 1) * width])) }
            trainingSet = try LabeledSet(samples: SampleBatch(sampleShape: sampleShape, values: samples),
                                     labels: labels, provenance: provenance)
        }
        var failures: [FailedSample] = []
        if let provenance = try readProvenance(from: "failed", upToRound: lastRound) {
            let reasons = try group.group("failed").stringArrayAttribute("reasons").prefix(provenance.count)
            try group.group("failed").setAttribute("reasons", Array(reasons))
            failures = zip(provenance, reasons).map { FailedSample(provenance: $0, reason: $1) }
        }
        // Drop a model checkpoint written after the last completed round.
        if group.contains("model/round_\(completed + 1)") { try group.remove("model/round_\(completed + 1)") }
        return SavedRun(rounds: rounds, trainingSet: trainingSet, failures: failures, finished: finished)
    }

    /// Restores F's parameters after round `round`.
    func loadModel(into model: any ResumableTargetModel, round: Int) throws {
        try model.loadParameters(from: try group.group("model/round_\(round)"))
    }

    /// Reads the provenance rows of rounds ≤ `lastRound`, truncating later rows.
    private func readProvenance(from prefix: String, upToRound lastRound: Int) throws -> [Provenance]? {
        guard group.contains("\(prefix)/round") else { return nil }
        let allRounds = try group.dataset("\(prefix)/round").read(as: Int64.self)
        let count = allRounds.firstIndex { $0 > lastRound } ?? allRounds.count
        for name in ["round", "pool_index", "seed_point", "moved_point", "neighbor_distance", "cost_seconds", "cost_units"] {
            try group.dataset("\(prefix)/\(name)").truncate(toRows: count)
        }
        let d = latentDimension
        let pool = try group.dataset("\(prefix)/pool_index").read(as: Int64.self)
        let seeds = try group.dataset("\(prefix)/seed_point").read(as: Float.self)
        let moved = try group.dataset("\(prefix)/moved_point").read(as: Float.self)
        let distance = try group.dataset("\(prefix)/neighbor_distance").read(as: Float.self)
        let seconds = try group.dataset("\(prefix)/cost_seconds").read(as: Double.self)
        let units = try group.dataset("\(prefix)/cost_units").read(as: Double.self)
        func point(_ values: [Float], _ i: Int) -> [Float]? {
            let row = Array(values[i * d ..< (i + 1) * d])
            return row.allSatisfy(\.isNaN) ? nil : row
        }
        return (0..<count).map { i in
            Provenance(round: Int(allRounds[i]), strategy: strategy, poolIndex: pool[i] >= 0 ? Int(pool[i]) : nil,
                       seedPoint: point(seeds, i), movedPoint: point(moved, i),
                       neighborDistance: distance[i].isNaN ? nil : distance[i],
                       labelingCost: seconds[i].isNaN ? nil : LabelingCost(seconds: seconds[i], units: units[i].isNaN ? nil : units[i]))
        }
    }
}
