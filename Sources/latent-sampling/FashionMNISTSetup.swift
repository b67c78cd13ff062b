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
        return FashionMNISTData(pool: LabeledPool(samples: poolSamples, labels: poolLabels),
                                test: TestSet(samples: testSamples, labels: testLabels))
    }
}

/// A plain error message for the command line.
struct ValidationErrorMessage: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The LeNet target model F of the paper's Fashion-MNIST experiment.
func makeLeNetTarget(batchSize: Int, learningRate: Float) -> SupervisedNetwork<Classification> {
    SupervisedNetwork(objective: Classification(classCount: 10), batchSize: batchSize, learningRate: learningRate) {
        makeLeNet(classCount: 10, seed: $0)
    }
}
