import CommandLineTesting
import Foundation
import HDF5Store
import TensorEngine
import Testing

/// Writes a small CIFAR-10-format folder of synthetic coloured images: for class k, a square of
/// colour k on the complementary background, with pixel noise; `data_batch_1.bin` …
/// `data_batch_5.bin` with `perBatch` records each and `test_batch.bin` with `testCount`.
/// Returns the labels written, training batches first.
@discardableResult
func writeSyntheticCIFAR10(to folder: URL, perBatch: Int, testCount: Int, seed: UInt64) throws -> [UInt8] {
    let colours: [(Int, Int, Int)] = [(230, 40, 40), (40, 230, 40), (40, 40, 230), (230, 230, 40), (230, 40, 230),
                                      (40, 230, 230), (240, 140, 40), (140, 40, 240), (120, 120, 120), (250, 250, 250)]
    var g = SeededGenerator(seed: seed)
    var written: [UInt8] = []
    func record() -> [UInt8] {
        let label = Int(g.next() % 10)
        written.append(UInt8(label))
        let (r, gr, b) = colours[label]
        let corner = 4 + Int(g.next() % 8)
        var bytes = [UInt8(label)]
        for value in [r, gr, b] {
            for y in 0..<32 {
                for x in 0..<32 {
                    let inside = (corner..<corner + 16).contains(x) && (corner..<corner + 16).contains(y)
                    let noise = Int(g.next() % 41) - 20
                    bytes.append(UInt8(clamping: (inside ? value : 255 - value) + noise))
                }
            }
        }
        return bytes
    }
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for batch in 1...5 {
        try Data((0..<perBatch).flatMap { _ in record() }).write(to: folder.appendingPathComponent("data_batch_\(batch).bin"))
    }
    try Data((0..<testCount).flatMap { _ in record() }).write(to: folder.appendingPathComponent("test_batch.bin"))
    return written
}

@Suite("Example: CIFAR-10 with the α-GAN and VGG-16")
struct CIFAR10AlphaGANTests {
    @Test("cifar10-alpha-gan runs SNN and random end to end on a synthetic CIFAR-10 folder")
    func endToEnd() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let data = scratch.url.appendingPathComponent("cifar-10-batches-bin")
        let labels = try writeSyntheticCIFAR10(to: data, perBatch: 4, testCount: 6, seed: 1)
        let out = scratch.path("cifar.h5")
        // Tiny: one α-GAN step on 4 images, 12 pool images, VGG-16 on 2 → 4 labels.
        let arguments = [
            "--data-directory", data.path, "--pool-size", "12", "--test-size", "6", "--latent", "8",
            "--gan-epochs", "1", "--gan-images", "4", "--gan-batch-size", "4", "--initial-size", "2", "--increment", "2",
            "--rounds", "2", "--epochs", "1", "--seeds", "1", "--batch-size", "2", "--out", out,
        ]
        let result = try run("cifar10-alpha-gan", arguments)
        try #require(result.status == 0, "\(result)")
        #expect(result.stdout.contains("5 training batches") && result.stdout.contains("α-GAN epoch 1"), "\(result)")
        try checkResults(out, labels: labels)

        // The same command resumes: the α-GAN is loaded, not trained, and the table is the same.
        let again = try run("cifar10-alpha-gan", arguments)
        #expect(again.status == 0 && again.stdout.contains("α-GAN loaded") && !again.stdout.contains("α-GAN epoch"), "\(again)")
        let table = { (run: Run) in run.stdout.components(separatedBy: "round  labels").last?.components(separatedBy: "Wrote").first }
        #expect(table(again) == table(result))
        // Other α-GAN settings would mix two generators in one file.
        expectFailure(try run("cifar10-alpha-gan", arguments + ["--gan-epochs", "2"]), status: 1, naming: ["gan_epochs"])
    }

    /// The results file of the tiny run: the archived α-GAN, the labels, SNN's moves.
    private func checkResults(_ out: String, labels: [UInt8]) throws {
        let file = try HDF5File(path: out)
        #expect(try file.group("alpha_gan").intAttribute("epochs_completed") == 1)
        for network in ["encoder", "generator", "code_discriminator", "image_discriminator"] {
            #expect(file.contains("alpha_gan/\(network)"), "\(network) missing")
        }
        #expect(try file.dataset("alpha_gan/generator/fc/weight").readWithShape(as: Float.self).shape == [4096, 8])
        #expect(try file.stringAttribute("target") == "vgg16-bn")
        for strategy in ["random", "snn"] {
            let metric = try file.dataset("\(strategy)/metric").read(as: Double.self)
            #expect(metric.count == 2 && metric.allSatisfy { $0 >= 0 && $0 <= 1 }, "\(strategy): \(metric)")
            // The stored labels are the synthetic folder's labels at the selected pool indices.
            let indices = try file.dataset("\(strategy)/seed_0/selected/pool_index").read(as: Int64.self)
            let stored = try file.dataset("\(strategy)/seed_0/selected/labels").read(as: Float.self)
            #expect(indices.count == 4 && Set(indices).count == 4)
            for (index, label) in zip(indices, stored) { #expect(Float(labels[Int(index)]) == label) }
        }
        // SNN moved each seed code by α = 0.5 (or not at all, where the gradient vanished).
        let seeds = try file.dataset("snn/seed_0/selected/seed_point").read(as: Float.self)
        let moved = try file.dataset("snn/seed_0/selected/moved_point").read(as: Float.self)
        let steps = stride(from: 0, to: seeds.count, by: 8).compactMap { i -> Double? in
            let d = (0..<8).reduce(0.0) { $0 + pow(Double(moved[i + $1] - seeds[i + $1]), 2) }.squareRoot()
            return d.isNaN ? nil : d
        }
        #expect(steps.count == 2 && steps.allSatisfy { abs($0 - 0.5) < 1e-3 || $0 == 0 }, "\(steps)")
    }

    @Test("a folder without CIFAR-10 batches stops with a message naming it and where to get the data")
    func missingData() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        expectFailure(try run("cifar10-alpha-gan", ["--data-directory", scratch.path("nothing-here"), "--out", scratch.path("x.h5")]),
                      status: 1, naming: ["nothing-here", "cifar-10-binary.tar.gz"])
    }
}

@Suite("Examples: options and help")
struct ExampleOptionTests {
    @Test(arguments: ["custom-labeling-tool", "custom-generator", "cifar10-alpha-gan"])
    func helpExitsZero(executable: String) throws {
        let result = try run(executable, ["--help"])
        #expect(result.status == 0 && result.stdout.contains("USAGE:") && result.stdout.contains("--threads"), "\(result)")
    }

    /// (executable, arguments, the option the message must name).
    static let badOptions: [(String, [String], String)] = [
        ("custom-labeling-tool", ["--timeout", "0"], "--timeout"),
        ("custom-labeling-tool", ["--timeout", "nan"], "--timeout"),
        ("custom-labeling-tool", ["--jobs", "0"], "--jobs"),
        ("custom-labeling-tool", ["--program", "./solver", "--demo-hang"], "--demo-hang"),
        ("custom-generator", ["--latent", "0"], "--latent"),
        ("custom-generator", ["--alpha", "-1"], "--alpha"),
        ("custom-generator", ["--strategies", "random,si"], "si"),
        ("custom-generator", ["--pool-size", "100", "--rounds", "10"], "--pool-size"),
        ("cifar10-alpha-gan", ["--gan-images", "1"], "--gan-images"),
        ("cifar10-alpha-gan", ["--learning-rate", "inf"], "--learning-rate"),
        ("cifar10-alpha-gan", ["--pool-size", "60000"], "--pool-size"),
    ]

    @Test(arguments: badOptions.indices)
    func badOptionStopsWithUsageError(index: Int) throws {
        let (executable, arguments, option) = Self.badOptions[index]
        let result = try run(executable, arguments)
        expectFailure(result, status: 64, naming: [option])
        #expect(result.stdout.isEmpty, "\(result)")
    }
}
