import LatentSampling
import TensorEngine

extension Tensor {
    /// The batch as a tensor of shape `[N] + sampleShape` (no copy-on-write surprises:
    /// the values are shared until either side mutates).
    public init(_ batch: SampleBatch) {
        self.init(shape: batch.shape, scalars: batch.values)
    }
}

extension SampleBatch {
    /// A batch from a tensor whose first axis is the batch.
    public init(_ tensor: Tensor) {
        precondition(tensor.rank >= 2, "a batch tensor needs a batch axis and a sample axis, got \(tensor.shape)")
        self.init(sampleShape: Array(tensor.shape.dropFirst()), values: tensor.scalars)
    }
}

extension LatentPoints {
    /// Points from an [N, d] tensor.
    public init(_ tensor: Tensor) {
        precondition(tensor.rank == 2, "latent points must be [N, d], got \(tensor.shape)")
        self.init(dimension: tensor.shape[1], values: tensor.scalars)
    }
}

extension Tensor {
    /// The points as an [N, d] tensor.
    public init(_ points: LatentPoints) {
        self.init(shape: [points.count, points.dimension], scalars: points.values)
    }
}
