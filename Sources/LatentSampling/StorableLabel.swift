/// A label that a results file can store as one row of Float32 values, so that a
/// run's labeled set (synthesized samples included) is never lost and a resumed
/// run can rebuild it.
///
/// Every ``TargetModel``'s `Label` is one. `Int32` (a class index) and `[Float]` (a map,
/// such as a stress map) conform already; a label of another type conforms by giving
/// its row of values and rebuilding itself from one:
///
/// ```swift
/// struct Box: StorableLabel {
///     var minimum: Float, maximum: Float
///     var storedValues: [Float] { [minimum, maximum] }
///     init(minimum: Float, maximum: Float) { self.minimum = minimum; self.maximum = maximum }
///     init(storedValues: [Float]) throws {
///         guard storedValues.count == 2 else { throw StoredLabelError(description: "a box needs 2 values") }
///         self.init(minimum: storedValues[0], maximum: storedValues[1])
///     }
/// }
/// ```
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

    /// An error saying what was wrong with a stored row.
    public init(description: String) {
        self.description = description
    }
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
