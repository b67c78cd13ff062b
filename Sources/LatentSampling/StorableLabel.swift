/// A label that a results file can store as one row of Float32 values, so that a
/// run's labeled set (synthesized samples included) is never lost and a resumed
/// run can rebuild it.
public protocol StorableLabel: Sendable {
    /// The label as a row of values; every label of one run has the same width.
    var storedValues: [Float] { get }
    /// Rebuilds a label from its stored row.
    init(storedValues: [Float]) throws
}

/// Why a stored label could not be read back.
public struct StoredLabelError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was wrong.
    public var description: String
}

extension Int32: StorableLabel {
    /// A class index, stored as one Float32 (exact for |class| < 2²⁴).
    public var storedValues: [Float] { [Float(self)] }

    /// Reads a class index back from a one-value row.
    public init(storedValues: [Float]) throws {
        guard storedValues.count == 1, let value = Int32(exactly: storedValues[0]) else {
            throw StoredLabelError(description: "stored class label \(storedValues) is not one whole number")
        }
        self = value
    }
}

extension Array: StorableLabel where Element == Float {
    /// A map label (a stress map, say), stored as it is.
    public var storedValues: [Float] { self }

    /// Reads a map back.
    public init(storedValues: [Float]) { self = storedValues }
}
