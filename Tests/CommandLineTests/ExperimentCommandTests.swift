import CommandLineTesting
import Foundation
import HDF5Store
import Testing

/// A tiny Fashion-MNIST experiment: both strategies, 2 seeds × 3 rounds, LeNet-5 and a small VAE
/// (about 5 s in a debug build).
let tinyExperiment = ["experiment", "--seeds", "2", "--rounds", "3", "--pool-size", "200", "--test-size", "100",
                      "--vae-epochs", "1", "--epochs", "1", "--initial-size", "10", "--increment", "10", "--threads", "2",
                      "--network", "lenet5", "--vae-hidden", "128,64"]

/// The table an experiment printed: from its header to its footnote.
func table(in output: String) -> String {
    let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
    guard let start = lines.firstIndex(where: { $0.hasPrefix("round  labels") }) else { return "" }
    let end = lines[start...].firstIndex { $0.hasPrefix("(") } ?? lines.endIndex - 1
    return lines[start...end].joined(separator: "\n")
}

@Suite("latent-sampling experiment: results files", .serialized)
struct ExperimentCommandTests {
    @Test func tinyRunWritesACrashSafeFileAndResumesToTheSameTable() throws {
        try requireFashionMNIST()
        let scratch = try Scratch()
        defer { scratch.remove() }
        let out = scratch.path("results.h5")
        let first = try run("latent-sampling", tinyExperiment + ["--out", out])
        #expect(first.status == 0, "\(first)")
        #expect(table(in: first.stdout).contains("AULC"), "\(first)")
        #expect(first.stdout.contains("Checkpoints: "), "\(first)")
        // Only the results file is left: the working copy was unlinked.
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).sorted() == ["results.h5", "results.h5.lock"])
        let file = try HDF5File(path: out)
        #expect(file.contains("vae") && file.contains("snn/metric") && file.contains("random/seed_1/model/round_3"))

        let again = try run("latent-sampling", tinyExperiment + ["--out", out])
        #expect(again.status == 0, "\(again)")
        #expect(again.stdout.contains("Resuming") && again.stdout.contains("VAE loaded"), "\(again)")
        #expect(!again.stdout.contains(" round 1:"), "a finished run was run again:\n\(again)")
        #expect(table(in: again.stdout) == table(in: first.stdout))
    }

    @Test func resumingWithOtherSettingsNamesTheSetting() throws {
        try requireFashionMNIST()
        let scratch = try Scratch()
        defer { scratch.remove() }
        let out = scratch.path("results.h5")
        let options = ["experiment", "--seeds", "1", "--rounds", "1", "--pool-size", "100", "--test-size", "50",
                       "--vae-epochs", "1", "--epochs", "1", "--initial-size", "10", "--strategies", "random",
                       "--network", "lenet5", "--vae-hidden", "64"]
        #expect(try run("latent-sampling", options + ["--out", out]).status == 0)
        let changed = try run("latent-sampling", options + ["--out", out, "--learning-rate", "0.01"])
        expectFailure(changed, status: 1, naming: [out, "learning_rate"])
    }

    @Test func corruptResultsFileAndMissingDataAreNamed() throws {
        try requireFashionMNIST()
        let scratch = try Scratch()
        defer { scratch.remove() }
        let out = scratch.path("results.h5")
        try Data("not HDF5, a torn file".utf8).write(to: URL(fileURLWithPath: out))
        let corrupt = try run("latent-sampling", tinyExperiment + ["--out", out])
        expectFailure(corrupt, status: 1, naming: [out])
        let missing = scratch.path("no-such-folder")
        expectFailure(try run("latent-sampling", tinyExperiment + ["--out", out, "--data-directory", missing]),
                      status: 1, naming: ["no-such-folder"])
    }

    @Test func benchPrintsOneJSONLine() throws {
        try requireFashionMNIST()
        let result = try run("latent-sampling", ["bench", "--pool-size", "300", "--training-set-size", "20",
                                                 "--increment", "5", "--repeats", "1", "--threads", "1"])
        #expect(result.status == 0, "\(result)")
        try expectJSONLines(result.stdout, atLeast: 1)
    }

    @Test func ivusSITinyRunKeepsItsLabeledTestSetAndResumes() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let options = ["--pool-size", "16", "--vae-epochs", "1", "--test-size", "2", "--initial-size", "2",
                       "--increment", "2", "--rounds", "2", "--epochs", "1", "--seeds", "1", "--base-channels", "2",
                       "--jobs", "2", "--threads", "2", "--out", scratch.path("ivus.h5")]
        let first = try run("ivus-si", options, timeout: 300)
        #expect(first.status == 0 && table(in: first.stdout).contains("AULC"), "\(first)")
        let file = try HDF5File(path: scratch.path("ivus.h5"))
        #expect(file.contains("vae") && file.contains("test/stress") && file.contains("si/metric"))
        // report: every figure of the main job's file; a missing file beside it is named and skipped.
        let report = try run("report", [scratch.path("missing.h5"), scratch.path("ivus.h5")])
        expectFailure(report, status: 1, naming: ["missing.h5"])
        let html = try String(contentsOfFile: scratch.path("ivus.html"), encoding: .utf8)
        // (A VAE of one epoch makes masks VasFEM rejects, so T stays empty and SI only draws from the
        // prior: no moved points, no latent-trajectory figure; ReportsTests checks that figure.)
        for figure in ["learning-curves", "stress-maps-random-prior", "stress-maps-si"] {
            #expect(html.contains("<figure id=\"\(figure)\"") && FileManager.default.fileExists(atPath: scratch.path("ivus-\(figure).png")),
                    "\(figure): \(report)")
        }
        let again = try run("ivus-si", options, timeout: 300)
        #expect(again.status == 0, "\(again)")
        #expect(again.stdout.contains("VAE loaded") && again.stdout.contains("Test set (") , "\(again)")
        #expect(table(in: again.stdout) == table(in: first.stdout))
    }

    /// The short kill harness: 10 SIGKILLs at random moments of the tiny experiment, in 2 trials;
    /// every rerun must end with the uninterrupted run's table, losing no completed round and
    /// no trained VAE (Scripts/kill-harness.sh; the full run delivers 50).
    @Test func survivesTenKills() throws {
        try requireFashionMNIST()
        let result = try runProcess("/bin/bash", [
            repositoryRoot.appendingPathComponent("Scripts/kill-harness.sh").path,
            "--kills", "10", "--per-trial", "5", "--seed", "10",
            "--bin", productsFolder.appendingPathComponent("latent-sampling").path,
        ], timeout: 600)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("10 SIGKILLs") && result.stdout.contains("completed rounds lost: 0"), "\(result)")
    }
}
