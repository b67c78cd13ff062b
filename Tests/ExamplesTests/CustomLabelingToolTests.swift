import CommandLineTesting
import Foundation
import HDF5Store
import LatentSampling
import Testing
@testable import CustomLabelingTool

/// The lumen and wall pixel counts of a 0/1 mask, computed here independently of the labeling
/// program: the lumen is every 0-pixel not 4-connected to the image border.
private func pixelCounts(_ mask: [Float], side: Int) -> (lumen: Int, wall: Int) {
    var outside = [Bool](repeating: false, count: side * side)
    var stack = (0..<side * side).filter { k in
        let (y, x) = (k / side, k % side)
        return (y == 0 || x == 0 || y == side - 1 || x == side - 1) && mask[k] == 0
    }
    for k in stack { outside[k] = true }
    while let k = stack.popLast() {
        let (y, x) = (k / side, k % side)
        for (ny, nx) in [(y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1)] where (0..<side).contains(ny) && (0..<side).contains(nx) {
            let n = ny * side + nx
            if !outside[n] && mask[n] == 0 { outside[n] = true; stack.append(n) }
        }
    }
    let wall = mask.count { $0 == 1 }
    let lumen = (0..<side * side).count { !outside[$0] && mask[$0] == 0 }
    return (lumen, wall)
}

@Suite("Example: a labeling tool that runs an external program")
struct CustomLabelingToolTests {
    @Test("the example labels its demonstration batch, survives a hanging program and drives SI")
    func endToEnd() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let out = scratch.path("labels.h5")
        let result = try run("custom-labeling-tool", [
            "--demo-hang", "--timeout", "2", "--jobs", "2", "--pool-size", "200", "--vae-epochs", "15", "--test-size", "16",
            "--initial-size", "8", "--increment", "8", "--rounds", "2", "--epochs", "5", "--seeds", "1", "--out", out,
        ])
        try #require(result.status == 0, "\(result)")
        #expect(result.stdout.contains("round  labels") && result.stdout.contains("Labeling cost"), "\(result)")

        let file = try HDF5File(path: out)
        let demo = try file.group("demo")
        let masks = try demo.dataset("masks").read(as: Float.self)
        let labels = try demo.dataset("labels").read(as: Float.self)
        let costs = try demo.dataset("cost_seconds").read(as: Double.self)
        let nominal = try demo.dataset("nominal_hoop_factor").read(as: Double.self)
        let outcomes = try demo.stringArrayAttribute("outcomes")
        let side = 32, pixelArea = 0.2 * 0.2
        #expect(outcomes.count == 8 && labels.count == 24)

        // The good annuli (0, 2, 3): the program's closed-form labels equal this test's own
        // pixel counts, and the hoop factor is near Lamé's for the nominal radii.
        for i in [0, 2, 3] {
            #expect(outcomes[i] == "labeled", "\(i): \(outcomes[i])")
            let (lumen, wall) = pixelCounts(Array(masks[i * side * side ..< (i + 1) * side * side]), side: side)
            let a2 = Double(lumen) * pixelArea / .pi, b2 = Double(lumen + wall) * pixelArea / .pi
            #expect(abs(Double(labels[3 * i]) - Double(lumen) * pixelArea) < 1e-4)
            #expect(abs(Double(labels[3 * i + 1]) - Double(wall) * pixelArea) < 1e-4)
            #expect(abs(Double(labels[3 * i + 2]) - (b2 + a2) / (b2 - a2)) < 1e-4)
            #expect(abs(Double(labels[3 * i + 2]) / nominal[i] - 1) < 0.05, "\(labels[3 * i + 2]) vs Lamé \(nominal[i])")
            #expect(costs[i] > 0)
        }
        // Sample 1 made the program hang: killed after the timeout, twice (in its batch, then alone).
        #expect(outcomes[1].contains("timed out"), "\(outcomes[1])")
        #expect(costs[1] >= 2.0, "the hanging sample's cost \(costs[1]) s is below the 2 s timeout")
        #expect(labels[3..<6].allSatisfy { $0.isNaN })
        // The bad masks fail alone, each with the program's reason.
        for (i, reason) in [(4, "no lumen"), (5, "2 lumens"), (6, "other than 0 and 1"), (7, "border")] {
            #expect(outcomes[i].contains(reason), "\(i): \(outcomes[i])")
        }
        // Every hanging program and its child `sleep` were killed with their process group.
        let hung = result.stdout.split(separator: "\n").filter { $0.contains("hanging on sample 1") }
        #expect(hung.count == 2, "\(result)")
        for line in hung {
            let numbers = line.split(whereSeparator: { !$0.isNumber }).compactMap { Int32($0) }
            let pids = numbers.suffix(2)  // "(pid P, child C)"
            #expect(pids.count == 2)
            for pid in pids { #expect(processIsGone(pid), "process \(pid) is still running: \(line)") }
        }

        // SI and its baseline ran on labels from the program; every labeled sample has its cost.
        for strategy in ["random-prior", "si"] {
            let metric = try file.dataset("\(strategy)/metric").read(as: Double.self)
            #expect(metric.count == 2 && metric.allSatisfy { $0.isFinite }, "\(strategy): \(metric)")
            let labeled = try file.dataset("\(strategy)/seed_0/selected/cost_seconds").read(as: Double.self)
            #expect(!labeled.isEmpty && labeled.allSatisfy { $0 > 0 }, "\(strategy): \(labeled)")
            let stored = try file.dataset("\(strategy)/seed_0/selected/labels").read(as: Float.self)
            #expect(stored.count == 3 * labeled.count)
        }
    }

    /// Writes a labeling program: a Python script that labels each sample with the sum of its
    /// values, crashes (exit 3) on a sample whose first value is 7, answers a sample whose first
    /// value is 5 with two values, and rejects one whose first value is 9.
    private func writeProgram(in scratch: Scratch) throws -> String {
        let path = scratch.path("program.py")
        try """
        import json, os, sys
        for s in json.load(open(sys.argv[1]))["samples"]:
            v = s["values"]
            if v[0] == 7: os._exit(3)
            if v[0] == 9: print(json.dumps({"id": s["id"], "error": "nine is not allowed"}), flush=True); continue
            label = [sum(v), 0] if v[0] == 5 else [sum(v)]
            print(json.dumps({"id": s["id"], "label": label, "units": len(v)}), flush=True)
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("a sample that crashes the program fails alone; the others keep their labels and costs")
    func crashingSampleIsIsolated() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let tool = ExternalProgramLabeler(command: ["python3", try writeProgram(in: scratch), "{batch}"], sampleShape: [3],
                                          labelWidth: 1, timeout: 30, concurrentPrograms: 2)
        let samples: [[Float]] = [[1, 2, 3], [4, 4, 4], [7, 0, 0], [2, 2, 2], [9, 1, 1], [5, 1, 1], [0.5, 0.25, 0]]
        let outcomes = try await tool.label(samples)
        #expect(outcomes.count == samples.count)
        for i in [0, 1, 3, 6] {
            #expect(outcomes[i].label == [samples[i].reduce(0, +)], "\(i): \(outcomes[i].result)")
            #expect(outcomes[i].cost.units == 3 && outcomes[i].cost.seconds > 0)
        }
        guard case let .failure(crash) = outcomes[2].result, let error = crash as? ExternalLabelingError,
              case let .noAnswer(id, ending, _) = error else {
            Issue.record("sample 2: \(outcomes[2].result)")
            return
        }
        #expect(id == 2 && ending == "exit status 3")
        #expect("\(outcomes[4].result)".contains("nine is not allowed"))
        #expect("\(outcomes[5].result)".contains("a label of 2 values; 1 are required"))
    }

    @Test("a program silent past its start-up timeout is killed; each sample fails with the timeout",
          arguments: ["sleep 30", "exec >&- 2>&-; sleep 30"])  // the second closes its output first
    func silentProgramIsKilled(script: String) async throws {
        let tool = ExternalProgramLabeler(command: ["sh", "-c", script, "{batch}"], sampleShape: [1], labelWidth: 1,
                                          timeout: 5, startupTimeout: 0.3)
        let outcomes = try await tool.label([[1], [2]])
        // Three runs of 0.3 s (the batch, then each sample alone), not the program's 30 s.
        let seconds = outcomes.map(\.cost.seconds).reduce(0, +)
        #expect(seconds >= 0.8 && seconds < 10, "\(seconds) s")
        for outcome in outcomes {
            guard case let .failure(error) = outcome.result, case let .timedOut(seconds) = error as? ExternalLabelingError else {
                Issue.record("\(outcome.result)")
                continue
            }
            #expect(seconds == 0.3 && outcome.cost.seconds >= 0.3)
        }
    }

    @Test("a program that cannot start fails the whole batch with a message naming it")
    func missingProgramThrows() async throws {
        let tool = ExternalProgramLabeler(command: ["/nonexistent/solver", "{batch}"], sampleShape: [1], labelWidth: 1, timeout: 5)
        await #expect(throws: ExternalLabelingError.self) { try await tool.label([[1]]) }
        do {
            _ = try await tool.label([[1]])
        } catch {
            #expect("\(error)".contains("/nonexistent/solver"), "\(error)")
        }
    }
}
