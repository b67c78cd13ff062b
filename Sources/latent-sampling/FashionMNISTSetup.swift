import ArgumentParser
import Datasets
import EngineModels
import LatentSampling
import NeuralNetworks
import TensorEngine

/// Fashion-MNIST as the core's samples: a pool D (training split) and a test set.
struct FashionMNISTData {
    var pool: LabeledPool<Int32>
    var test: TestSet<Int32>
    static let sampleShape = [1, 28, 28]

    /// Loads the first `poolSize` training and `testSize` test images from `directory`.
    static func load(from directory: String, poolSize: Int, testSize: Int) throws -> FashionMNISTData {
        let train = try FashionMNIST.load(.train, from: directory)
        let test = try FashionMNIST.load(.test, from: directory)
        guard poolSize > 0, poolSize <= train.count, testSize > 0, testSize <= test.count else {
            throw ValidationErrorMessage("pool size must be in 1...\(train.count) and test size in 1...\(test.count)")
        }
        func batch(_ images: ByteImageDataset, _ count: Int) throws -> (SampleBatch, [Int32]) {
            let subset = try images.subset(0..<count).scaledToUnitInterval()
            return (SampleBatch(sampleShape: sampleShape, values: subset.pixels), subset.labels)
        }
        let (poolSamples, poolLabels) = try batch(train, poolSize)
        let (testSamples, testLabels) = try batch(test, testSize)
        return FashionMNISTData(pool: try LabeledPool(samples: poolSamples, labels: poolLabels),
                                test: try TestSet(samples: testSamples, labels: testLabels))
    }
}

/// A plain error message for the command line.
struct ValidationErrorMessage: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The target network F for Fashion-MNIST.
enum TargetNetwork: String, CaseIterable, ExpressibleByArgument {
    /// The paper's LeNet (Table S7: conv 20, conv 50, FC 800→500→10).
    case lenet
    /// The classic LeNet-5 (conv 6, conv 16, FC 400→120→84→10), lighter.
    case lenet5

    /// The name recorded in results files.
    var recordedName: String {
        switch self {
        case .lenet: "lenet-paper-table-s7"
        case .lenet5: "lenet5"
        }
    }

    /// Help text for the option that chooses it.
    static let help = ArgumentHelp(
        "Target network F: lenet (the paper's, Table S7: conv 5×5 20, conv 5×5 50, FC 800→500→10) or lenet5 (classic, lighter).")
}

/// The LeNet target model F of the paper's Fashion-MNIST experiment.
func makeLeNetTarget(_ network: TargetNetwork = .lenet, batchSize: Int, learningRate: Float) -> SupervisedNetwork<Classification> {
    SupervisedNetwork(objective: Classification(classCount: 10), batchSize: batchSize, learningRate: learningRate) {
        switch network {
        case .lenet: makeLeNet(classCount: 10, seed: $0)
        case .lenet5: makeLeNet5(classCount: 10, seed: $0)
        }
    }
}

/// Parses a VAE's hidden widths, "400,400".
func parseHiddenWidths(_ text: String) -> [Int]? {
    let widths = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !widths.isEmpty, widths.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
    return widths.map { $0! }
}

/// The help of a `--vae-hidden` option.
let vaeHiddenHelp = ArgumentHelp("Hidden widths of the MLP VAE's encoder (the decoder mirrors them); default: the paper's Tables S9–S12.")
