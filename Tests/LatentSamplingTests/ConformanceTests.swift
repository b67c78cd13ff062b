import Foundation
import HDF5Store
import LatentSampling
import Randomness
import Testing

// Users' conformances that break their role's contract: each must fail the call with a
// ConformanceError naming the type and the requirement, never stop the process.

/// A labeling tool that drops the last outcome of every batch.
struct ForgetfulTool: LabelingTool {
    func label(_ samples: [[Float]]) async -> [LabelingOutcome<Int32>] {
        samples.dropLast().map { _ in LabelingOutcome(.success(1), cost: LabelingCost(seconds: 0)) }
    }
}

/// A generator whose pullback returns points of the wrong dimension, or whose samples have the wrong shape.
struct BrokenGenerator: Generator {
    enum Fault { case pullbackDimension, pullbackCount, sampleShape, sampleCount }
    var fault: Fault
    let base = LinearGenerator()

    var latentDimension: Int { 2 }
    var sampleShape: [Int] { [2] }

    func generate(_ codes: LatentPoints) -> SampleBatch {
        let samples = base.generate(codes)
        switch fault {
        case .sampleShape: return SampleBatch(sampleShape: [1], values: samples.values)
        case .sampleCount: return SampleBatch(sampleShape: [2], values: Array(samples.values.dropLast(2)))
        default: return samples
        }
    }

    func pullback(at codes: LatentPoints, cotangent: SampleBatch) -> LatentPoints {
        let gradient = base.pullback(at: codes, cotangent: cotangent)
        switch fault {
        case .pullbackDimension: return LatentPoints(dimension: 1, values: gradient.values)
        case .pullbackCount: return LatentPoints(dimension: 2, values: Array(gradient.values.dropLast(2)))
        default: return gradient
        }
    }
}

/// A target model whose input gradient or losses come back in the wrong size.
final class BrokenGradientModel: TargetModel {
    typealias Label = Int32
    let wrongLossCount: Bool
    init(wrongLossCount: Bool) { self.wrongLossCount = wrongLossCount }
    var metricName: String { "score" }
    var metricIncreases: Bool { true }
    func train(on samples: SampleBatch, labels: [Int32], epochs: Int, seed: UInt64) {}
    func resetParameters(seed: UInt64) {}
    func evaluate(on samples: SampleBatch, labels: [Int32]) -> Double { 0 }
    func lossAndInputGradient(at samples: SampleBatch, labels: [Int32]) -> (losses: [Float], inputGradient: SampleBatch) {
        if wrongLossCount { return ([1], samples) }
        return ([Float](repeating: 0, count: samples.count), SampleBatch(sampleShape: [1], values: samples.values))
    }
}

/// An encoder that returns one code too few.
struct ShortEncoder: LatentEncoder {
    var latentDimension: Int { 2 }
    func encode(_ samples: SampleBatch) -> LatentPoints {
        LatentPoints(dimension: 2, values: [Float](repeating: 0, count: 2 * (samples.count - 1)))
    }
}

/// Expects `body` to throw a ConformanceError for `type` naming `requirement`; returns its message.
@discardableResult
func expectConformanceError(
    _ type: String, _ requirement: String, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> Void
) async -> String? {
    do {
        try await body()
        Issue.record("expected a ConformanceError from \(type).\(requirement), got success", sourceLocation: sourceLocation)
    } catch let error as ConformanceError {
        #expect(error.conformingType == type && error.requirement == requirement, "\(error)", sourceLocation: sourceLocation)
        let message = error.description
        #expect(message.contains(type) && message.contains(requirement) && !message.contains("\n"),
                sourceLocation: sourceLocation)
        return message
    } catch {
        Issue.record("expected a ConformanceError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

@Suite("Users' conformances that break their contract throw, naming the type")
struct ConformanceTests {
    let start = LatentPoints(dimension: 2, values: [0, 0, 1, -1])

    @Test func labelingToolReturningTooFewOutcomes() async throws {
        let si = try InterpolationSampling<LinearLossModel, LinearGenerator, ForgetfulTool>(
            generator: LinearGenerator(), tool: ForgetfulTool(), alpha: 0.5)
        var randomness = SeededGenerator(seed: 1)
        let message = await expectConformanceError("ForgetfulTool", "label(_:)") {
            _ = try await si.initialSet(size: 4, using: &randomness)
        }
        #expect(message?.contains("returned 3 outcomes for 4 samples") == true)
    }

    @Test(arguments: [BrokenGenerator.Fault.pullbackDimension, .pullbackCount])
    func generatorPullbackOfTheWrongShape(fault: BrokenGenerator.Fault) async {
        await expectConformanceError("BrokenGenerator", "pullback(at:cotangent:)") {
            _ = try LatentMove(from: start, labels: [Int32(0), 1], alpha: 0.5,
                               generator: BrokenGenerator(fault: fault), model: LinearLossModel())
        }
    }

    @Test(arguments: [BrokenGenerator.Fault.sampleShape, .sampleCount])
    func generatorSamplesOfTheWrongShape(fault: BrokenGenerator.Fault) async {
        await expectConformanceError("BrokenGenerator", "generate(_:)") {
            _ = try LatentMove(from: start, labels: [Int32(0), 1], alpha: 0.5,
                               generator: BrokenGenerator(fault: fault), model: LinearLossModel())
        }
        // Wrapped in BinarizedGenerator, the error still names the user's type.
        await expectConformanceError("BrokenGenerator", "generate(_:)") {
            _ = try BinarizedGenerator(BrokenGenerator(fault: fault)).generate(start)
        }
    }

    @Test(arguments: [true, false])
    func targetModelGradientOfTheWrongShape(wrongLossCount: Bool) async {
        await expectConformanceError("BrokenGradientModel", "lossAndInputGradient(at:labels:)") {
            _ = try LatentMove(from: start, labels: [Int32(0), 1], alpha: 0.5,
                               generator: LinearGenerator(), model: BrokenGradientModel(wrongLossCount: wrongLossCount))
        }
    }

    @Test func encoderReturningTooFewCodes() async {
        await expectConformanceError("ShortEncoder", "encode(_:)") {
            _ = try NearestNeighborSampling<LinearLossModel, LinearGenerator>(
                pool: gridPool(count: 30), encoder: ShortEncoder(), generator: LinearGenerator(), alpha: 0.5)
        }
    }

    @Test func mismatchedLabelsAndPointsThrowInsteadOfTrapping() throws {
        #expect(throws: SamplingError.self) {
            _ = try LatentMove(from: start, labels: [Int32(0)], alpha: 0.5, generator: LinearGenerator(),
                               model: LinearLossModel())
        }
    }

    @Test func aWellBehavedConformancePasses() throws {
        // The checks reject nothing the contract allows.
        let move = try LatentMove(from: start, labels: [Int32(0), 1], alpha: 0.5, generator: LinearGenerator(),
                                  model: LinearLossModel())
        #expect(move.moved.count == 2)
    }
}
