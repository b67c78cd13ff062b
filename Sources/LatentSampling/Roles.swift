import HDF5Store

/// The role of an encoder E: maps samples to latent codes, p = E(x).
///
/// For a VAE this is the mean of the approximate posterior. The core uses it to
/// embed the pool once (E(D), for SNN's nearest-neighbour search) and to embed
/// the training subset S each round. (Named `LatentEncoder`, not `Encoder`, so that it
/// never shadows `Swift.Encoder` in a file that also uses `Codable`.)
public protocol LatentEncoder {
    /// The latent dimension d.
    var latentDimension: Int { get }

    /// Embeds samples: one latent point per sample, p = E(x).
    func encode(_ samples: SampleBatch) throws -> LatentPoints
}

/// The role of a generator G: maps latent codes to samples, x = G(z), and pulls
/// cotangents on samples back to the codes.
///
/// The pullback is what lets the core move a latent point toward harder samples:
/// with v = ∂L/∂x at x = G(z), the pullback returns ∂L/∂z = J_G(z)ᵀ v.
public protocol Generator {
    /// The latent dimension d.
    var latentDimension: Int { get }
    /// The shape of one generated sample, e.g. `[1, 64, 64]`.
    var sampleShape: [Int] { get }

    /// Synthesizes one sample per latent point, x = G(z).
    func generate(_ codes: LatentPoints) throws -> SampleBatch

    /// The vector–Jacobian product at `codes`: for each point i, J_G(z_i)ᵀ v_i,
    /// where v_i is sample i of `cotangent`.
    func pullback(at codes: LatentPoints, cotangent: SampleBatch) throws -> LatentPoints
}

/// The role of the target model F: the network the framework trains on as few
/// labels as possible.
///
/// Classification (labels are classes) and regression (labels are maps, as a
/// stress map for a vessel-wall mask) both fit through `Label`, which must be a
/// ``StorableLabel`` so that a run's labeled set can be written to its results file:
/// `Int32` (a class) and `[Float]` (a map) already are.
///
/// A minimal conformance is plain Swift: no HDF5 code. A model that can also save and
/// restore its parameters conforms to ``ResumableTargetModel`` as well, and a resumed
/// run then continues from the saved parameters; otherwise the trainer rebuilds them by
/// replaying the completed rounds' training (see ``ProgressiveTrainer``).
public protocol TargetModel<Label>: AnyObject {
    /// One sample's label: a class (`Int32`) or a map (`[Float]`), or any type that
    /// stores itself as one row of `Float` values (``StorableLabel``).
    associatedtype Label: StorableLabel

    /// The name of ``evaluate(on:labels:)``'s metric, e.g. "accuracy".
    var metricName: String { get }
    /// Whether a larger metric is better (accuracy) or worse (mean squared error).
    var metricIncreases: Bool { get }

    /// Trains for `epochs` passes over the labeled set, starting from the current
    /// parameters (warm start). `seed` fixes the order of mini-batches.
    func train(on samples: SampleBatch, labels: [Label], epochs: Int, seed: UInt64) throws

    /// Replaces the parameters by a fresh initialization drawn with `seed`.
    func resetParameters(seed: UInt64)

    /// The metric on a labeled set (accuracy, mean squared error, ...).
    func evaluate(on samples: SampleBatch, labels: [Label]) throws -> Double

    /// The loss of each (sample, label) pair and the gradient of the summed loss
    /// with respect to the samples, ∂L/∂x, in the same shape as `samples`.
    func lossAndInputGradient(
        at samples: SampleBatch, labels: [Label]
    ) throws -> (losses: [Float], inputGradient: SampleBatch)
}

/// A target model that can write its parameters to a results file and read them back,
/// so that a resumed run continues from exactly the model it stopped with.
///
/// The progressive trainer saves the parameters of a conforming model after every
/// round (`model/round_t` in the run's group, see ``RunLog``) and loads them on resume.
/// A model that does not conform is still resumable: the trainer replays the training
/// of the completed rounds instead, which costs their training time again.
public protocol ResumableTargetModel<Label>: TargetModel {
    /// Writes the parameters (and running statistics, if any) to `group`, so that a
    /// resumed experiment continues from exactly this model.
    func saveParameters(to group: HDF5Group) throws

    /// Restores parameters written by ``saveParameters(to:)``.
    func loadParameters(from group: HDF5Group) throws
}
