import LatentSampling

/// A labeling tool that computes a closed-form label: whether an image is brighter at
/// the top than at the bottom (with the left–right balance counting half), that is
/// class 1 when (Σ top rows − Σ bottom rows) + ½ (Σ left columns − Σ right columns)
/// exceeds `threshold`.
///
/// It stands for a measurement instrument: a sample with a value outside
/// ±``range`` (or not finite) cannot be measured and fails alone; the other samples
/// of the batch are labeled. Each outcome records its wall-clock time and one unit
/// (one measurement).
public struct BalanceLabeler: LabelingTool {
    /// The image height and width.
    public let height: Int, width: Int
    /// The balance above which a sample is class 1.
    public let threshold: Float
    /// The largest magnitude of a value the instrument can measure.
    public let range: Float

    /// A labeler of `height` × `width` images, row-major.
    public init(height: Int, width: Int, threshold: Float, range: Float = 3) {
        self.height = height
        self.width = width
        self.threshold = threshold
        self.range = range
    }

    /// Why one sample could not be labeled.
    public struct Unmeasurable: Error, CustomStringConvertible {
        /// The position of the offending value in the sample.
        public var index: Int
        /// The value.
        public var value: Float
        /// The instrument's range.
        public var range: Float
        /// A one-line message naming the value and the range.
        public var description: String { "value \(value) at position \(index) is outside the range ±\(range)" }
    }

    /// The balance of one image: (top − bottom) + ½ (left − right).
    public func balance(_ image: [Float]) -> Float {
        var total: Float = 0
        for r in 0..<height {
            for c in 0..<width {
                let vertical: Float = r < height / 2 ? 1 : (r >= (height + 1) / 2 ? -1 : 0)
                let horizontal: Float = c < width / 2 ? 0.5 : (c >= (width + 1) / 2 ? -0.5 : 0)
                total += (vertical + horizontal) * image[r * width + c]
            }
        }
        return total
    }

    /// One outcome per sample, in order: class 1 when the balance exceeds the threshold,
    /// or ``Unmeasurable`` for a sample outside the range.
    public func label(_ samples: [[Float]]) async throws -> [LabelingOutcome<Int32>] {
        samples.map { sample in
            let start = ContinuousClock.now
            let result: Result<Int32, any Error>
            if sample.count != height * width {
                result = .failure(LabelerSizeError(expected: height * width, actual: sample.count))
            } else if let bad = sample.firstIndex(where: { !$0.isFinite || abs($0) > range }) {
                result = .failure(Unmeasurable(index: bad, value: sample[bad], range: range))
            } else {
                result = .success(balance(sample) > threshold ? 1 : 0)
            }
            let seconds = Double((ContinuousClock.now - start) / .milliseconds(1)) / 1000
            return LabelingOutcome(result, cost: LabelingCost(seconds: seconds, units: 1))
        }
    }
}

/// A sample whose number of values is not height × width.
public struct LabelerSizeError: Error, CustomStringConvertible {
    /// The values an image has.
    public var expected: Int
    /// The values the sample had.
    public var actual: Int
    /// A one-line message.
    public var description: String { "a sample of \(actual) values is not an image of \(expected)" }
}
