import HDF5Store
import NeuralNetworks
import TensorEngine

/// Saving and loading a network's state (parameters and buffers such as BatchNorm's
/// running statistics) in an HDF5 group, one float32 dataset per tensor, named by the
/// layer's stable parameter path (`"conv1/weight"`, `"bn2/running_mean"`).
public enum ParameterArchive {
    /// Writes every parameter and buffer of `network` under `group`.
    public static func save(_ network: any Layer, to group: HDF5Group) throws {
        for (name, variable) in network.namedState() {
            try group.createDataset(name, values: variable.value.scalars, shape: variable.value.shape)
        }
    }

    /// Restores every parameter and buffer of `network` from `group`.
    ///
    /// - Throws: ``ParameterArchiveError`` when a tensor is missing or has another shape,
    ///   or the store's error when the file cannot be read.
    public static func load(_ network: any Layer, from group: HDF5Group) throws {
        for (name, variable) in network.namedState() {
            guard group.contains(name) else {
                throw ParameterArchiveError.missingTensor(name: name, group: group.path)
            }
            let (values, shape) = try group.dataset(name).readWithShape(as: Float.self)
            guard shape == variable.value.shape else {
                throw ParameterArchiveError.shapeMismatch(name: name, expected: variable.value.shape, found: shape)
            }
            variable.value = Tensor(shape: shape, scalars: values)
        }
    }
}

/// Why a network's state could not be loaded.
public enum ParameterArchiveError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The archive has no tensor of this name.
    case missingTensor(name: String, group: String)
    /// The archive's tensor has another shape than the network's.
    case shapeMismatch(name: String, expected: [Int], found: [Int])

    /// A one-line message naming the tensor.
    public var description: String {
        switch self {
        case let .missingTensor(name, group): return "no tensor '\(name)' in \(group)"
        case let .shapeMismatch(name, expected, found): return "tensor '\(name)' has shape \(found), the network needs \(expected)"
        }
    }
}
