/// # OptionChecks
///
/// Range checks for the command-line tools' numeric options, shared by every executable
/// (`latent-sampling`, `ivus-si`, `vasfem`, `engine-bench`, `system-check`). Each check
/// throws ArgumentParser's `ValidationError` with one line naming the option, the value
/// and the allowed range, so a bad option stops the tool with exit code 64 before any
/// work starts, instead of trapping later inside the library.
import ArgumentParser

/// Validation of numeric command-line options.
public enum OptionCheck {
    /// Requires `value` to lie in `range` (counts, sizes, threads).
    ///
    /// - Parameter option: the option's spelling, e.g. `"--seeds"`.
    public static func count(_ value: Int, _ option: String, in range: ClosedRange<Int>) throws {
        guard range.contains(value) else {
            throw ValidationError("\(option) must be an integer in \(range.lowerBound)...\(range.upperBound), not \(value)")
        }
    }

    /// Requires `value` to be finite and greater than 0 (step sizes, learning rates, lengths),
    /// and at most `maximum` when one is given.
    public static func positive<Number: BinaryFloatingPoint & LosslessStringConvertible>(
        _ value: Number, _ option: String, atMost maximum: Number? = nil
    ) throws {
        guard value.isFinite, value > 0, maximum.map({ value <= $0 }) ?? true else {
            throw ValidationError("\(option) must be a finite number > 0\(maximum.map { " and ≤ \($0)" } ?? ""), not \(value)")
        }
    }

    /// Requires `value` to be finite and at least 0 (a step size that may be zero, a pressure),
    /// and at most `maximum` when one is given.
    public static func nonNegative<Number: BinaryFloatingPoint & LosslessStringConvertible>(
        _ value: Number, _ option: String, atMost maximum: Number? = nil
    ) throws {
        guard value.isFinite, value >= 0, maximum.map({ value <= $0 }) ?? true else {
            throw ValidationError("\(option) must be a finite number ≥ 0\(maximum.map { " and ≤ \($0)" } ?? ""), not \(value)")
        }
    }

    /// The most threads any tool accepts.
    public static let maximumThreads = 1_024
}
