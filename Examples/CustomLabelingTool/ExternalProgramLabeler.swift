import Foundation
import LatentSampling

/// A ``LabelingTool`` that runs an external program once per batch: the pattern for wrapping
/// a solver of your own (FEBio, Abaqus, a Python model) that reads samples from a file and
/// writes labels.
///
/// **Protocol.** The tool writes the batch to a JSON file,
/// `{"samples": [{"id": 0, "shape": [H, W], "values": [...]}, ...]}`, and runs
/// `command` with every `{batch}` replaced by that file's path (or the path appended when no
/// argument holds `{batch}`). The program answers each sample with one JSON line on standard
/// output, in any order, as soon as that sample is done:
/// `{"id": 0, "label": [...], "units": 123}` or `{"id": 1, "error": "why"}`. Other lines (a
/// `{"ready": true}` once the program has started, progress) only show that it is alive.
///
/// **Failures stay per sample.** A sample the program rejects, a label of the wrong width or
/// with non-finite values, or a sample never answered fails alone; the others keep their labels.
/// **Timeout.** When no output line arrives for ``timeout`` seconds (``startupTimeout`` before
/// the first line), the program's whole process group is killed; the samples it answered keep their labels, and each unanswered one is tried again
/// in a run of its own (so one sample that hangs or crashes the program cannot take the rest
/// of the batch with it), failing with ``ExternalLabelingError/timedOut(seconds:)`` or the
/// program's exit status if it does so again.
/// **Cost.** Each sample's seconds are the wall-clock time until its answer since the previous
/// answer (the program's start-up is charged to the first); a run's time after its last
/// answer is shared by the samples it left unanswered, plus their own runs. The program may
/// report its own measure in `"units"` (``LabelingCost/units``).
///
/// Runs of up to ``concurrentPrograms`` programs at a time each take a slice of the batch.
struct ExternalProgramLabeler: LabelingTool {
    typealias Sample = [Float]
    typealias Label = [Float]

    /// The executable (looked up in PATH when it has no slash) and its arguments; `{batch}`
    /// stands for the batch file.
    var command: [String]
    /// The shape of one sample, written with it (e.g. `[1, 32, 32]`).
    var sampleShape: [Int]
    /// The number of values in every label.
    var labelWidth: Int
    /// Seconds without an output line after which the program is killed.
    var timeout: Double
    /// Seconds allowed for the program's first output line (its start-up).
    var startupTimeout: Double = 60
    /// Programs run at once, each on a slice of the batch.
    var concurrentPrograms: Int = 1
    /// Called with a one-line message for each program run (for progress output).
    var log: @Sendable (String) -> Void = { _ in }

    /// Annotates `samples` by running the program; one outcome per sample, in order.
    ///
    /// - Throws: ``ExternalLabelingError/cannotStart(_:)`` when the program cannot be started or
    ///   the batch file cannot be written: then no sample could be attempted.
    func label(_ samples: [[Float]]) async throws -> [LabelingOutcome<[Float]>] {
        guard !samples.isEmpty else { return [] }
        let sliceCount = max(1, min(concurrentPrograms, samples.count))
        let sliceSize = (samples.count + sliceCount - 1) / sliceCount
        let slices = stride(from: 0, to: samples.count, by: sliceSize).map { $0..<min($0 + sliceSize, samples.count) }
        var outcomes = [LabelingOutcome<[Float]>?](repeating: nil, count: samples.count)
        try await withThrowingTaskGroup(of: (Range<Int>, [LabelingOutcome<[Float]>]).self) { group in
            for slice in slices {
                let part = Array(samples[slice])
                group.addTask { (slice, try await self.labelSlice(part, firstID: slice.lowerBound)) }
            }
            for try await (slice, part) in group {
                for (offset, outcome) in part.enumerated() { outcomes[slice.lowerBound + offset] = outcome }
            }
        }
        return outcomes.map { $0! }
    }

    /// One slice: a run over all of it, then a run of its own for each sample left unanswered.
    private func labelSlice(_ samples: [[Float]], firstID: Int) async throws -> [LabelingOutcome<[Float]>] {
        let ids = samples.indices.map { firstID + $0 }
        let first = try await attempt(ids: ids, samples: samples)
        var outcomes = first.outcomes
        let unanswered = ids.indices.filter { outcomes[$0] == nil }
        guard !unanswered.isEmpty else { return outcomes.map { $0! } }
        let share = first.secondsAfterLastAnswer / Double(unanswered.count)
        for position in unanswered {
            if unanswered.count == 1 {
                outcomes[position] = LabelingOutcome(.failure(first.reason(forID: ids[position])),
                                                     cost: LabelingCost(seconds: share))
                continue
            }
            log("  sample \(ids[position]): unanswered after \(first.endingDescription); trying it alone")
            let alone = try await attempt(ids: [ids[position]], samples: [samples[position]])
            var outcome = alone.outcomes[0]
                ?? LabelingOutcome(.failure(alone.reason(forID: ids[position])),
                                   cost: LabelingCost(seconds: alone.secondsAfterLastAnswer))
            outcome.cost.seconds += share
            outcomes[position] = outcome
        }
        return outcomes.map { $0! }
    }

    /// What one program run answered.
    private struct Attempt {
        /// One outcome per id of the run, `nil` where the program gave no answer.
        var outcomes: [LabelingOutcome<[Float]>?]
        var ending: ChildProgram.Ending
        var errorTail: String
        var secondsAfterLastAnswer: Double
        var timeout: Double
        var startupTimeout: Double

        var endingDescription: String {
            switch ending {
            case .timedOut(startingUp: false): "the program was killed after \(timeout) s without an answer"
            case .timedOut(startingUp: true): "the program was killed: no output within its \(startupTimeout) s start-up time"
            case let .exited(status): "the program exited with status \(status)"
            case let .signaled(signal): "the program died from signal \(signal)"
            }
        }

        func reason(forID id: Int) -> ExternalLabelingError {
            let tail = errorTail.split(separator: "\n").last.map(String.init) ?? ""
            switch ending {
            case .timedOut(startingUp: false): return .timedOut(seconds: timeout)
            case .timedOut(startingUp: true): return .timedOut(seconds: startupTimeout)
            case let .exited(status): return .noAnswer(id: id, ending: "exit status \(status)", stderr: tail)
            case let .signaled(signal): return .noAnswer(id: id, ending: "signal \(signal)", stderr: tail)
            }
        }
    }

    /// Writes the batch file, runs the program once (off Swift's cooperative threads: it blocks)
    /// and parses its answers.
    private func attempt(ids: [Int], samples: [[Float]]) async throws -> Attempt {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("labeler-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data(batchJSON(ids: ids, samples: samples).utf8).write(to: folder.appendingPathComponent("batch.json"))
        } catch {
            throw ExternalLabelingError.cannotStart("cannot write the batch file in \(folder.path): \(error)")
        }
        defer { try? FileManager.default.removeItem(at: folder) }
        let batchPath = folder.appendingPathComponent("batch.json").path
        var arguments = command.map { $0.replacingOccurrences(of: "{batch}", with: batchPath) }
        if !command.contains(where: { $0.contains("{batch}") }) { arguments.append(batchPath) }
        let program = ChildProgram(arguments: arguments, timeout: timeout, startupTimeout: startupTimeout)
        let result: ChildProgram.Result
        do {
            result = try await onOwnThread { try program.run() }
        } catch {
            throw ExternalLabelingError.cannotStart("\(error)")
        }

        var outcomes = [LabelingOutcome<[Float]>?](repeating: nil, count: ids.count)
        let position = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($0.element, $0.offset) })
        var previous = 0.0
        for line in result.lines {
            guard let answer = Answer(line.text), let index = position[answer.id], outcomes[index] == nil else {
                if line.text.contains("\"ready\"") { continue }  // the program's start-up signal
                log("  ignored an output line that answers no pending sample: \(line.text.prefix(120))")
                continue
            }
            let cost = LabelingCost(seconds: line.seconds - previous, units: answer.units)
            previous = line.seconds
            outcomes[index] = LabelingOutcome(checked(answer), cost: cost)
        }
        let attempt = Attempt(outcomes: outcomes, ending: result.ending, errorTail: result.errorTail,
                              secondsAfterLastAnswer: max(0, result.seconds - previous), timeout: timeout,
                              startupTimeout: startupTimeout)
        log(String(format: "  program run (pid %d) on %d samples: %d answered, %@, %.2f s",
                   result.processID, ids.count, outcomes.count { $0 != nil }, attempt.endingDescription, result.seconds))
        if result.ending != .exited(0), let last = result.errorTail.split(separator: "\n").last {
            log("    its last line on standard error: \(last)")
        }
        return attempt
    }

    /// The label of an answer, or the error it names, checked against ``labelWidth``.
    private func checked(_ answer: Answer) -> Result<[Float], any Error> {
        if let message = answer.error { return .failure(ExternalLabelingError.rejected(id: answer.id, message: message)) }
        guard let label = answer.label else {
            return .failure(ExternalLabelingError.malformedAnswer(id: answer.id, problem: "neither \"label\" nor \"error\""))
        }
        guard label.count == labelWidth else {
            return .failure(ExternalLabelingError.malformedAnswer(
                id: answer.id, problem: "a label of \(label.count) values; \(labelWidth) are required"))
        }
        guard label.allSatisfy(\.isFinite) else {
            return .failure(ExternalLabelingError.malformedAnswer(id: answer.id, problem: "a label with non-finite values \(label)"))
        }
        return .success(label)
    }

    /// The batch file's text. Values are written with Swift's shortest round-trip spelling
    /// (`NaN` and `Infinity` for non-finite ones, which Python's `json` reads).
    private func batchJSON(ids: [Int], samples: [[Float]]) -> String {
        let shape = "[" + sampleShape.map(String.init).joined(separator: ", ") + "]"
        var text = "{\"samples\": [\n"
        for (k, (id, sample)) in zip(ids, samples).enumerated() {
            let values = sample.map { value -> String in
                if value.isNaN { return "NaN" }
                if value.isInfinite { return value > 0 ? "Infinity" : "-Infinity" }
                return value == value.rounded() && abs(value) < 1e7 ? String(Int(value)) : "\(value)"
            }
            text += "{\"id\": \(id), \"shape\": \(shape), \"values\": [" + values.joined(separator: ",") + "]}"
            text += k + 1 < samples.count ? ",\n" : "\n"
        }
        return text + "]}\n"
    }
}

/// One answer line of the program: `{"id": …, "label": […], "units": …}` or `{"id": …, "error": "…"}`.
private struct Answer {
    var id: Int
    var label: [Float]?
    var error: String?
    var units: Double?

    /// Parses a line; `nil` when it is not a JSON object with an integer `id`.
    init?(_ line: String) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let id = (object["id"] as? NSNumber)?.intValue else { return nil }
        self.id = id
        if let values = object["label"] as? [Any] {
            let numbers = values.compactMap { ($0 as? NSNumber)?.floatValue }
            label = numbers.count == values.count ? numbers : [.nan]
        } else if let value = object["label"] as? NSNumber {
            label = [value.floatValue]
        }
        error = object["error"].map { ($0 as? String) ?? "\($0)" }
        units = (object["units"] as? NSNumber)?.doubleValue
    }
}

/// Why the external program did not label a sample (or, for ``cannotStart(_:)``, a batch).
enum ExternalLabelingError: Error, CustomStringConvertible {
    /// The program rejected the sample with this message.
    case rejected(id: Int, message: String)
    /// The program's answer for the sample was malformed.
    case malformedAnswer(id: Int, problem: String)
    /// The program gave no answer within the timeout, also when run on this sample alone; it was killed.
    case timedOut(seconds: Double)
    /// The program ended (exit status or signal) without answering the sample, also when run on it alone.
    case noAnswer(id: Int, ending: String, stderr: String)
    /// The program could not be started, or its batch file written: no sample was attempted.
    case cannotStart(String)

    var description: String {
        switch self {
        case let .rejected(id, message): "the labeling program rejected sample \(id): \(message)"
        case let .malformedAnswer(id, problem): "the labeling program answered sample \(id) with \(problem)"
        case let .timedOut(seconds): "timed out: no answer within \(seconds) s (the program's process group was killed)"
        case let .noAnswer(id, ending, stderr):
            "the labeling program ended (\(ending)) without answering sample \(id)" + (stderr.isEmpty ? "" : ": \(stderr)")
        case let .cannotStart(message): message
        }
    }
}

/// Runs blocking work on a thread of its own and awaits its result, so that waiting on a child
/// process never holds one of Swift's cooperative threads.
func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try work() }) }
        thread.start()
    }
}
