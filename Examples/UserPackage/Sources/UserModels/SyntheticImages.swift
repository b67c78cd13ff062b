import LatentSampling

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// 4 × 4 images that vary along two smooth patterns (top–bottom and left–right
/// gradients) plus small noise: x = μ + z₁ P₁ + z₂ P₂ + ε, z ~ N(0, I), ε ~ N(0, noise²).
public enum SyntheticImages {
    /// One image's shape.
    public static let sampleShape = [1, 4, 4]

    /// `count` images drawn with `seed`.
    public static func draw(count: Int, seed: UInt64, noise: Float = 0.05) -> SampleBatch {
        var randomness = SplitMix64(seed: seed)
        var values: [Float] = []
        values.reserveCapacity(count * 16)
        for _ in 0..<count {
            let z1 = normal(&randomness), z2 = normal(&randomness)
            for r in 0..<4 {
                for c in 0..<4 {
                    let top = (1.5 - Float(r)) / 1.5 * 0.8, left = (1.5 - Float(c)) / 1.5 * 0.8
                    values.append(0.2 + z1 * top + z2 * left + noise * normal(&randomness))
                }
            }
        }
        return SampleBatch(sampleShape: sampleShape, values: values)
    }

    /// A standard normal value (Box–Muller).
    static func normal(_ randomness: inout some RandomNumberGenerator) -> Float {
        let u1 = Double.random(in: Double.leastNonzeroMagnitude..<1, using: &randomness)
        let u2 = Double.random(in: 0..<1, using: &randomness)
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }
}
