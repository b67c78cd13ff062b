import Foundation
import ImageFiles

/// A perceptually uniform colour map, piecewise linear between 17 samples of matplotlib's
/// map of the same name (viridis and magma: CC0, van der Walt and Smith).
public struct ColourMap: Sendable, Hashable {
    /// The map's name.
    public let name: String
    /// Colours at 0, 1/16, …, 1.
    public let stops: [Colour]

    /// viridis: dark blue → green → yellow (stress).
    public static let viridis = ColourMap(name: "viridis", hex: [
        "#440154", "#48186a", "#472d7b", "#424086", "#3b528b", "#33638d", "#2c728e", "#26828e", "#21918c",
        "#1fa088", "#28ae80", "#3fbc73", "#5ec962", "#84d44b", "#addc30", "#d8e219", "#fde725"])
    /// magma: black → purple → cream (errors).
    public static let magma = ColourMap(name: "magma", hex: [
        "#000004", "#0a0822", "#1d1147", "#36106b", "#51127c", "#6a1c81", "#832681", "#9c2e7f", "#b73779",
        "#d0416f", "#e75263", "#f56b5c", "#fc8961", "#fea772", "#fec488", "#fde2a3", "#fcfdbf"])

    init(name: String, hex: [String]) {
        self.name = name
        stops = hex.map { Colour(hex: $0) }
    }

    /// The colour at `t` in 0…1 (clamped; NaN gives the low end).
    public func colour(at t: Double) -> Colour {
        let u = t.isNaN ? 0 : min(max(t, 0), 1) * Double(stops.count - 1)
        let i = min(Int(u), stops.count - 2), f = u - Double(i)
        let a = stops[i], b = stops[i + 1]
        return Colour(red: a.red + (b.red - a.red) * f, green: a.green + (b.green - a.green) * f,
                      blue: a.blue + (b.blue - a.blue) * f)
    }

    /// An image of a `rows` × `columns` field (row-major), each value mapped linearly from
    /// `range` onto the map; pixels where `visible` is false are transparent.
    public func image(_ values: [Float], rows: Int, columns: Int, range: ClosedRange<Double>,
                      visible: ((Int) -> Bool)? = nil) -> RGBAImage {
        precondition(values.count == rows * columns, "ColourMap.image: \(values.count) values for \(rows)×\(columns)")
        var pixels = [UInt8](repeating: 0, count: rows * columns * 4)
        let span = max(range.upperBound - range.lowerBound, 1e-300)
        for k in 0..<(rows * columns) where visible?(k) ?? true {
            let c = colour(at: (Double(values[k]) - range.lowerBound) / span)
            pixels[4 * k] = UInt8((c.red * 255).rounded()); pixels[4 * k + 1] = UInt8((c.green * 255).rounded())
            pixels[4 * k + 2] = UInt8((c.blue * 255).rounded()); pixels[4 * k + 3] = 255
        }
        return RGBAImage(width: columns, height: rows, pixels: pixels)
    }
}

/// A greyscale image of a field (row-major), `range` mapped to black … white.
func greyImage(_ values: [Float], rows: Int, columns: Int, range: ClosedRange<Double> = 0...1) -> RGBAImage {
    var pixels = [UInt8](repeating: 255, count: rows * columns * 4)
    let span = max(range.upperBound - range.lowerBound, 1e-300)
    for k in 0..<(rows * columns) {
        let v = UInt8((min(max((Double(values[k]) - range.lowerBound) / span, 0), 1) * 255).rounded())
        pixels[4 * k] = v; pixels[4 * k + 1] = v; pixels[4 * k + 2] = v
    }
    return RGBAImage(width: columns, height: rows, pixels: pixels)
}

/// "Nice" tick values covering `low…high`: about `count` steps of 1, 2 or 5 × 10ⁿ.
func niceTicks(_ low: Double, _ high: Double, count: Int = 5) -> [Double] {
    guard high > low, low.isFinite, high.isFinite else { return [low] }
    let raw = (high - low) / Double(count)
    let magnitude = pow10(floorLog10(raw))
    let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
    var ticks: [Double] = []
    var t = (low / step).rounded(.up) * step
    while t <= high + step * 1e-9 { ticks.append(abs(t) < step * 1e-9 ? 0 : t); t += step }
    return ticks
}

func floorLog10(_ x: Double) -> Int { x.isFinite && x > 0 ? Int(log10(x).rounded(.down)) : 0 }
func pow10(_ n: Int) -> Double { pow(10, Double(n)) }

/// A tick label with as many decimals as the step needs.
func tickLabel(_ value: Double, step: Double) -> String {
    let decimals = max(0, min(6, -floorLog10(abs(step))))
    return String(format: "%.\(decimals)f", value)
}
