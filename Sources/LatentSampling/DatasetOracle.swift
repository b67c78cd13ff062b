import Foundation

/// A labeling tool that looks labels up in an existing labeled dataset: the oracle
/// behind SNN and random sampling, where every candidate is a real pool sample.
///
/// Samples are pool indices. An index outside the dataset fails for that sample alone.
public struct DatasetOracle<Label: Sendable>: LabelingTool {
    /// The labels of the dataset, by index.
    public let labels: [Label]

    /// An oracle over `labels`.
    public init(labels: [Label]) {
        self.labels = labels
    }

    /// Why the oracle could not label a sample.
    public struct MissingLabel: Error, Sendable, Hashable, CustomStringConvertible {
        /// The index asked for.
        public var index: Int
        /// The number of labeled samples.
        public var count: Int
        /// A one-line message.
        public var description: String { "sample index \(index) is outside the labeled dataset 0..<\(count)" }
    }

    /// Looks up each index's label.
    public func label(_ samples: [Int]) -> [LabelingOutcome<Label>] {
        samples.map { index in
            let start = Date()
            let result: Result<Label, any Error> = labels.indices.contains(index)
                ? .success(labels[index]) : .failure(MissingLabel(index: index, count: labels.count))
            return LabelingOutcome(result, cost: LabelingCost(seconds: Date().timeIntervalSince(start)))
        }
    }
}
