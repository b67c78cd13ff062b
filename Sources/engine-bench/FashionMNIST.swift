import ArgumentParser
import Foundation
import NeuralNetworks
import TensorEngine

/// Minimal reader of gzip-compressed IDX files (Fashion-MNIST), private to the benchmark.
/// Decompression goes through the system `gzip -dc`.
struct IDXSet {
    /// Images as [count, 1, rows, columns], intensities scaled to [0, 1].
    let images: Tensor
    let labels: [Int]

    init(imagesPath: String, labelsPath: String) throws {
        let imageBytes = try IDXSet.gunzip(imagesPath)
        let labelBytes = try IDXSet.gunzip(labelsPath)
        func bigEndian(_ d: Data, _ offset: Int) -> Int {
            d[d.startIndex + offset..<d.startIndex + offset + 4].reduce(0) { $0 << 8 | Int($1) }
        }
        guard imageBytes.count >= 16, bigEndian(imageBytes, 0) == 0x0803 else {
            throw ValidationError("\(imagesPath): not an IDX image file")
        }
        guard labelBytes.count >= 8, bigEndian(labelBytes, 0) == 0x0801 else {
            throw ValidationError("\(labelsPath): not an IDX label file")
        }
        let count = bigEndian(imageBytes, 4), rows = bigEndian(imageBytes, 8), columns = bigEndian(imageBytes, 12)
        guard imageBytes.count == 16 + count * rows * columns, bigEndian(labelBytes, 4) == count,
              labelBytes.count == 8 + count else {
            throw ValidationError("\(imagesPath)/\(labelsPath): sizes do not match their headers")
        }
        var pixels = [Float](repeating: 0, count: count * rows * columns)
        imageBytes.withUnsafeBytes { raw in
            for i in 0..<pixels.count { pixels[i] = Float(raw[16 + i]) / 255 }
        }
        images = Tensor(shape: [count, 1, rows, columns], scalars: pixels)
        labels = labelBytes.dropFirst(8).map { Int($0) }
    }

    static func gunzip(_ path: String) throws -> Data {
        guard FileManager.default.fileExists(atPath: path) else { throw ValidationError("missing \(path)") }
        return try PyTorchEnvironment.shell("/usr/bin/env", ["gzip", "-dc", path])
    }

    /// Samples `indices` as a batch.
    func batch(_ indices: ArraySlice<Int>) -> (Tensor, [Int]) {
        let plane = images.count / labels.count
        var out = [Float](repeating: 0, count: indices.count * plane)
        for (k, i) in indices.enumerated() {
            out.replaceSubrange(k * plane..<(k + 1) * plane, with: images.scalars[i * plane..<(i + 1) * plane])
        }
        return (Tensor(shape: [indices.count] + Array(images.shape.dropFirst()), scalars: out), indices.map { labels[$0] })
    }
}

/// One epoch of LeNet (Adam, batch 64, seeded shuffling) on the 60,000
/// training images, then accuracy on the 10,000 test images.
func runFashionMNISTEpoch(directory: String, learningRate: Float) throws {
    let train = try IDXSet(imagesPath: "\(directory)/train-images-idx3-ubyte.gz", labelsPath: "\(directory)/train-labels-idx1-ubyte.gz")
    let test = try IDXSet(imagesPath: "\(directory)/t10k-images-idx3-ubyte.gz", labelsPath: "\(directory)/t10k-labels-idx1-ubyte.gz")
    let net = makeLeNet(seed: 0)
    let adam = Adam(parameters: net.parameters, learningRate: learningRate)
    var g = SeededGenerator(seed: 2026)
    var order = Array(0..<train.labels.count)
    order.shuffle(using: &g)
    let start = now()
    var runningLoss = 0.0
    let batchSize = 64
    var step = 0
    for first in stride(from: 0, to: order.count, by: batchSize) {
        let (x, y) = train.batch(order[first..<min(first + batchSize, order.count)])
        adam.zeroGradients()
        let loss = softmaxCrossEntropy(logits: net(Variable(x)), labels: y)
        runningLoss += Double(loss.value.scalar)
        loss.backward()
        adam.step()
        step += 1
    }
    let trainSeconds = now() - start
    var correct = 0
    for first in stride(from: 0, to: test.labels.count, by: 500) {
        let (x, y) = test.batch(Array(first..<min(first + 500, test.labels.count))[...])
        let logits = net(x)
        for i in 0..<y.count {
            let row = logits.scalars[i * 10..<(i + 1) * 10]
            if row.firstIndex(of: row.max()!)! - i * 10 == y[i] { correct += 1 }
        }
    }
    print(jsonLine([
        "check": "fashion_mnist_lenet_one_epoch", "test_accuracy": Double(correct) / Double(test.labels.count),
        "train_seconds": trainSeconds, "mean_train_loss": runningLoss / Double(step), "steps": step,
        "batch": batchSize, "threads": BLASThreads.current, "learning_rate": Double(learningRate),
    ]))
}
