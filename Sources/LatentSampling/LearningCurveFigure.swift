import Foundation

/// The learning curves of a benchmark as an SVG figure in the style of the paper's
/// Figure 3: the metric against the number of labels, one colour per strategy, the
/// mean over seeds as a line and mean ± one standard deviation as a shaded band.
public struct LearningCurveFigure: Sendable {
    /// The results to draw.
    public var result: BenchmarkResult
    /// The title above the plot.
    public var title: String
    /// Width and height in pixels.
    public var width = 900.0, height = 560.0

    /// A figure of `result`.
    public init(result: BenchmarkResult, title: String) {
        self.result = result
        self.title = title
    }

    /// Colour-blind-safe colours (Okabe–Ito, then Tableau), cycled.
    static let palette = ["#000000", "#E69F00", "#56B4E9", "#009E73", "#D55E00", "#0072B2", "#CC79A7",
                          "#F0E442", "#8C564B", "#7F7F7F", "#BCBD22", "#17BECF", "#9467BD", "#E377C2"]

    /// One strategy's curve: mean labels, mean metric and standard deviation per round.
    func series(_ strategy: String) -> [(x: Double, mean: Double, deviation: Double)] {
        let curves = result.curves[strategy] ?? [], sizes = result.trainingSetSizes[strategy] ?? []
        let rounds = curves.map(\.count).max() ?? 0
        return (0..<rounds).compactMap { r in
            let values = curves.compactMap { $0.indices.contains(r) ? $0[r] : nil }
            let xs = sizes.compactMap { $0.indices.contains(r) ? Double($0[r]) : nil }
            guard let stats = ExperimentSummary.meanAndDeviation(values), !xs.isEmpty else { return nil }
            return (xs.reduce(0, +) / Double(xs.count), stats.mean, stats.deviation)
        }
    }

    /// The SVG document.
    public func svg() -> String {
        let left = 70.0, right = 210.0, top = 40.0, bottom = 55.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let all = result.strategies.flatMap { series($0) }
        guard !all.isEmpty else { return "<svg xmlns=\"http://www.w3.org/2000/svg\"/>" }
        let xMin = all.map(\.x).min()!, xMax = max(all.map(\.x).max()!, xMin + 1)
        var yMin = all.map { $0.mean - $0.deviation }.min()!, yMax = all.map { $0.mean + $0.deviation }.max()!
        let pad = max(1e-6, (yMax - yMin) * 0.05)
        yMin -= pad; yMax += pad
        func px(_ x: Double) -> Double { left + (x - xMin) / (xMax - xMin) * plotWidth }
        func py(_ y: Double) -> Double { top + (yMax - y) / (yMax - yMin) * plotHeight }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        var out = ["<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
            + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"13\">",
            "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
            "<text x=\"\(f(left + plotWidth / 2))\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">\(escape(title))</text>"]
        // Axes, grid and ticks.
        for i in 0...5 {
            let y = yMin + (yMax - yMin) * Double(i) / 5
            out.append("<line x1=\"\(f(left))\" x2=\"\(f(left + plotWidth))\" y1=\"\(f(py(y)))\" y2=\"\(f(py(y)))\" stroke=\"#e5e5e5\"/>")
            out.append("<text x=\"\(f(left - 8))\" y=\"\(f(py(y) + 4))\" text-anchor=\"end\">\(String(format: "%.3f", y))</text>")
        }
        let xs = Array(Set(all.map { ($0.x).rounded() })).sorted()
        let step = max(1, xs.count / 10)
        for (i, x) in xs.enumerated() where i % step == 0 {
            out.append("<line x1=\"\(f(px(x)))\" x2=\"\(f(px(x)))\" y1=\"\(f(top))\" y2=\"\(f(top + plotHeight))\" stroke=\"#f0f0f0\"/>")
            out.append("<text x=\"\(f(px(x)))\" y=\"\(f(top + plotHeight + 18))\" text-anchor=\"middle\">\(Int(x))</text>")
        }
        out.append("<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\" fill=\"none\" stroke=\"#333\"/>")
        out.append("<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(height - 12))\" text-anchor=\"middle\">labeled samples |T(t)|</text>")
        out.append("<text transform=\"translate(18 \(f(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">"
            + "test \(escape(result.metricName)) (mean ± std over seeds)</text>")
        // Bands, then lines on top, then the legend.
        for (k, strategy) in result.strategies.enumerated() {
            let s = series(strategy), colour = Self.palette[k % Self.palette.count]
            guard s.count > 1 else { continue }
            let upper = s.map { "\(f(px($0.x))),\(f(py($0.mean + $0.deviation)))" }
            let lower = s.reversed().map { "\(f(px($0.x))),\(f(py($0.mean - $0.deviation)))" }
            out.append("<polygon points=\"\((upper + lower).joined(separator: " "))\" fill=\"\(colour)\" fill-opacity=\"0.12\" stroke=\"none\"/>")
        }
        for (k, strategy) in result.strategies.enumerated() {
            let s = series(strategy), colour = Self.palette[k % Self.palette.count]
            let points = s.map { "\(f(px($0.x))),\(f(py($0.mean)))" }.joined(separator: " ")
            out.append("<polyline points=\"\(points)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\"/>")
            let y = top + 10 + Double(k) * 20
            out.append("<line x1=\"\(f(left + plotWidth + 15))\" x2=\"\(f(left + plotWidth + 40))\" y1=\"\(f(y))\" y2=\"\(f(y))\" stroke=\"\(colour)\" stroke-width=\"3\"/>")
            out.append("<text x=\"\(f(left + plotWidth + 46))\" y=\"\(f(y + 4))\">\(escape(strategy))</text>")
        }
        out.append("</svg>")
        return out.joined(separator: "\n") + "\n"
    }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
