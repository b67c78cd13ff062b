import Foundation

/// A pulsatile blood-pressure waveform over one cardiac cycle: a normalized shape
/// s(t) ∈ [0, 1] over normalized time t ∈ [0, 1), scaled to diastolic and systolic
/// pressures as p(t) = p_dia + (p_sys − p_dia) s(t).
///
/// The ``standard`` template is one we constructed (it is not measured or fitted
/// data): a textbook-like central aortic pressure shape made of a systolic
/// Gaussian pulse at t = 0.20, a small dicrotic pulse at t = 0.42 and a diastolic
/// run-off (1 − t)^1.2 switched on by a logistic ramp at t = 0.10, reduced to its
/// first six Fourier harmonics (coefficients rounded to six decimals) and rescaled
/// to [0, 1]. `Data/pressure-waveform.csv` tabulates the same curve.
public struct PressureWaveform: Sendable, Hashable, Codable {
    /// Sample times t ∈ [0, 1), increasing.
    public let times: [Double]
    /// The normalized pressure shape s(t) at each sample time.
    public let shape: [Double]

    /// Errors reading a waveform table.
    public enum ReadError: Error, Equatable {
        /// A data line could not be read as `time,shape`.
        case malformedLine(Int)
        /// Fewer than 4 samples, times not increasing within [0, 1), or shape not spanning [0, 1].
        case invalidSamples
    }

    /// Creates a waveform from samples (times increasing in [0, 1), shape in [0, 1] reaching both ends).
    public init(times: [Double], shape: [Double]) throws {
        guard times.count == shape.count, times.count >= 4,
              zip(times, times.dropFirst()).allSatisfy({ $0 < $1 }), times.first! >= 0, times.last! < 1,
              let lo = shape.min(), let hi = shape.max(), abs(lo) < 1e-3, abs(hi - 1) < 1e-3
        else { throw ReadError.invalidSamples }
        self.times = times
        self.shape = shape
    }

    /// Reads a CSV table (`time,shape` lines; `#` comments and a header line allowed), as in `Data/pressure-waveform.csv`.
    public init(csv text: String) throws {
        var t: [Double] = [], s: [Double] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.lowercased().hasPrefix("time") { continue }
            let parts = line.split(separator: ",")
            guard parts.count == 2, let a = Double(parts[0]), let b = Double(parts[1]) else { throw ReadError.malformedLine(number + 1) }
            t.append(a); s.append(b)
        }
        try self.init(times: t, shape: s)
    }

    /// The Fourier coefficients of the standard template: a₀, then (a_k, b_k) for k = 1…6.
    public static let standardCoefficients: (a0: Double, a: [Double], b: [Double]) = (
        0.477805,
        [-0.106985, -0.236367, -0.168591, -0.011902, 0.053973, 0.00254],
        [0.462522, 0.131175, -0.061614, -0.120017, -0.014369, 0.009732])

    /// The standard template, sampled at 4000 equally spaced times.
    public static let standard: PressureWaveform = {
        let (a0, a, b) = standardCoefficients
        let n = 4000
        let times = (0..<n).map { Double($0) / Double(n) }
        let raw = times.map { (t: Double) -> Double in
            var value = a0
            for k in 1...6 {
                let phase: Double = 2 * Double.pi * Double(k) * t
                value += a[k - 1] * cos(phase) + b[k - 1] * sin(phase)
            }
            return value
        }
        let lo = raw.min()!, hi = raw.max()!
        return try! PressureWaveform(times: times, shape: raw.map { ($0 - lo) / (hi - lo) })
    }()

    /// The shape s(t), periodic in t, linearly interpolated between samples.
    public func shape(at t: Double) -> Double {
        let t = t - t.rounded(.down)
        var hi = times.firstIndex { $0 > t } ?? times.count
        let lo = hi - 1
        let (t0, s0) = lo >= 0 ? (times[lo], shape[lo]) : (times[times.count - 1] - 1, shape[times.count - 1])
        if hi == times.count { hi = 0 }
        let t1 = hi == 0 && lo >= 0 ? times[0] + 1 : times[hi]
        return s0 + (shape[hi] - s0) * (t - t0) / (t1 - t0)
    }

    /// The time of the systolic peak (largest shape sample).
    public var systolicPeakTime: Double { times[shape.indices.max { shape[$0] < shape[$1] }!] }
    /// The time of the diastolic minimum (end-diastole, smallest shape sample).
    public var diastolicTime: Double { times[shape.indices.min { shape[$0] < shape[$1] }!] }

    /// The quasi-static load path from the stress-free reference to the systolic peak,
    /// as lumen pressures in kPa: `rampSteps` equal steps from 0 to the diastolic
    /// pressure, then `waveformSteps` steps along the waveform from end-diastole to
    /// the systolic peak (equal in time).
    ///
    /// - Parameters:
    ///   - diastolic: p_dia in mmHg.
    ///   - systolic: p_sys in mmHg.
    ///   - rampSteps: steps of the ramp from 0 to the diastolic pressure.
    ///   - waveformSteps: steps along the waveform from end-diastole to the systolic peak.
    public func loadPath(diastolic: Double, systolic: Double, rampSteps: Int, waveformSteps: Int) -> [Double] {
        let scale = kilopascalsPerMillimeterOfMercury
        var path = (1...max(1, rampSteps)).map { diastolic * scale * Double($0) / Double(max(1, rampSteps)) }
        let t0 = diastolicTime
        var span = systolicPeakTime - t0
        if span <= 0 { span += 1 }
        for k in 1...max(1, waveformSteps) {
            let t = t0 + span * Double(k) / Double(max(1, waveformSteps))
            let s = k == max(1, waveformSteps) ? 1 : shape(at: t)
            path.append((diastolic + (systolic - diastolic) * s) * scale)
        }
        return path
    }
}
