import LatentSampling

/// VasFEM as the labeling tool of sampling by interpolation (SI): samples are the
/// generator's 64×64 images as row-major `[Float]`, labels the systolic maximum
/// principal stress maps as `[Float]`, in units of `stressUnit` kPa.
///
/// A pixel is wall where the image is at least `threshold`. Masks the solver cannot
/// label (speckles, no lumen, wall on the border, a diverging solve) fail alone,
/// with VasFEM's error; the others of the batch are labeled.
public struct SynthesizedWallLabeler: LabelingTool {
    /// The underlying stress labeler (configuration and parallelism).
    public var labeler: StressLabeler
    /// Wall where the image is ≥ threshold.
    public var threshold: Float
    /// kPa per label unit: labels are stress / stressUnit (100 keeps typical maps near 1).
    public var stressUnit: Float

    /// A labeler for generated wall images.
    public init(labeler: StressLabeler = StressLabeler(), threshold: Float = 0.5, stressUnit: Float = 1) {
        precondition(stressUnit > 0, "the stress unit must be positive")
        self.labeler = labeler
        self.threshold = threshold
        self.stressUnit = stressUnit
    }

    /// Labels each image's wall mask; one outcome per image.
    public func label(_ samples: [[Float]]) async throws -> [LabelingOutcome<[Float]>] {
        let rows = labeler.configuration.rows, columns = labeler.configuration.columns
        var outcomes = [LabelingOutcome<[Float]>?](repeating: nil, count: samples.count)
        var masks: [WallMask] = [], positions: [Int] = []
        for (i, sample) in samples.enumerated() {
            guard sample.count == rows * columns else {
                let error = MaskError.wrongShape(expectedRows: rows, expectedColumns: columns,
                                                 rows: 1, columns: sample.count, pixelCount: sample.count)
                outcomes[i] = LabelingOutcome(.failure(error), cost: LabelingCost(seconds: 0))
                continue
            }
            masks.append(WallMask(rows: rows, columns: columns, pixels: sample.map { $0 >= threshold ? 1 : 0 }))
            positions.append(i)
        }
        let solved = try await labeler.label(masks)
        let unit = stressUnit
        for (position, outcome) in zip(positions, solved) {
            outcomes[position] = LabelingOutcome(outcome.result.map { $0.maximumPrincipalStress.map { $0 / unit } },
                                                 cost: outcome.cost)
        }
        return outcomes.map { $0! }
    }
}
