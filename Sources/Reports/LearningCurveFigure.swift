import Foundation
import LatentSampling

/// Learning curves in the style of the paper's Figure 3: the test metric against the
/// number of labels |T(t)|, one colour per strategy, the mean over seeds as a line and
/// mean ± one standard deviation as a shaded band.
///
/// In SVG each strategy's mean curve is one `<polyline class="curve">` with one point per
/// round and its band one `<polygon class="band">`.
public struct LearningCurveFigure: Sendable {
    /// The curves to draw.
    public var summary: ExperimentSummary
    /// The title above the plot.
    public var title: String
    /// Width and height in pixels.
    public var width = 900, height = 520

    /// A figure of an experiment's (or a benchmark's) learning curves.
    public init(summary: ExperimentSummary, title: String) {
        self.summary = summary
        self.title = title
    }

    /// A figure of a benchmark's learning curves.
    public init(result: BenchmarkResult, title: String) {
        self.init(summary: result.summary, title: title)
    }

    /// One round of one strategy: mean |T(t)| and the metric's mean and sample standard
    /// deviation over the seeds that reached it.
    public struct Point: Sendable, Hashable {
        /// Mean number of labels.
        public var labels: Double
        /// Mean metric.
        public var mean: Double
        /// Sample standard deviation of the metric (0 for one seed).
        public var deviation: Double
    }

    /// One strategy's curve, one point per round some seed reached (NaN metrics skipped).
    public func series(_ strategy: String) -> [Point] {
        let curves = summary.curves[strategy] ?? [], sizes = summary.trainingSetSizes[strategy] ?? []
        let rounds = curves.map(\.count).max() ?? 0
        return (0..<rounds).compactMap { r in
            var values: [Double] = [], xs: [Double] = []
            for (seed, curve) in curves.enumerated() where curve.indices.contains(r) && curve[r].isFinite {
                values.append(curve[r])
                if sizes.indices.contains(seed), sizes[seed].indices.contains(r), sizes[seed][r] >= 0 { xs.append(Double(sizes[seed][r])) }
            }
            guard !values.isEmpty, !xs.isEmpty else { return nil }
            let mean = values.reduce(0, +) / Double(values.count)
            let variance = values.count > 1 ? values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1) : 0
            return Point(labels: xs.reduce(0, +) / Double(xs.count), mean: mean, deviation: variance.squareRoot())
        }
    }

    /// The figure.
    public func drawing() -> Drawing {
        var d = Drawing(width: width, height: height)
        let legendWidth = max(120.0, Double(summary.strategies.map(\.count).max() ?? 0) * Drawing.characterWidth + 50)
        let all = summary.strategies.flatMap { series($0) }
        guard !all.isEmpty else {
            d.text(title, at: FigurePoint(Double(width) / 2, 22), anchor: .middle)
            d.text("no completed rounds in this file", at: FigurePoint(Double(width) / 2, Double(height) / 2), anchor: .middle)
            return d
        }
        let xLow = all.map(\.labels).min()!, xHigh = max(all.map(\.labels).max()!, xLow + 1)
        let xMin = xLow - (xHigh - xLow) * 0.02, xMax = xHigh + (xHigh - xLow) * 0.02
        var yMin = all.map { $0.mean - $0.deviation }.min()!, yMax = all.map { $0.mean + $0.deviation }.max()!
        let span = yMax - yMin
        // A flat curve (one round, or equal values) gets a ±5 % window around its value.
        let pad = span > 1e-9 * max(1, abs(yMax)) ? span * 0.05 : max(abs(yMax) * 0.05, 1e-3)
        yMin -= pad; yMax += pad
        let yTicks = niceTicks(yMin, yMax, count: 6)
        let yStep = yTicks.count > 1 ? yTicks[1] - yTicks[0] : yMax - yMin
        let yLabels = yTicks.map { tickLabel($0, step: yStep) }
        let left = 40 + Drawing.textWidth(yLabels.max { $0.count < $1.count } ?? ""), right = legendWidth + 20, top = 40.0, bottom = 50.0
        let plotWidth = Double(width) - left - right, plotHeight = Double(height) - top - bottom
        d.text(title, at: FigurePoint(left + plotWidth / 2, 22), anchor: .middle)
        func px(_ x: Double) -> Double { left + (x - xMin) / (xMax - xMin) * plotWidth }
        func py(_ y: Double) -> Double { top + (yMax - y) / (yMax - yMin) * plotHeight }
        for (y, label) in zip(yTicks, yLabels) {
            d.line(from: FigurePoint(left, py(y)), to: FigurePoint(left + plotWidth, py(y)), stroke: Colour.grid)
            d.text(label, at: FigurePoint(left - 6, py(y) + 4), anchor: .end)
        }
        let xTicks = niceTicks(xMin, xMax, count: 8)
        let xStep = xTicks.count > 1 ? xTicks[1] - xTicks[0] : 1
        for x in xTicks {
            d.line(from: FigurePoint(px(x), top), to: FigurePoint(px(x), top + plotHeight), stroke: Colour.grid)
            d.text(tickLabel(x, step: xStep), at: FigurePoint(px(x), top + plotHeight + 16), anchor: .middle)
        }
        d.frame(x: left, y: top, width: plotWidth, height: plotHeight, stroke: Colour.axis)
        d.text("labeled samples |T(t)|", at: FigurePoint(left + plotWidth / 2, Double(height) - 12), anchor: .middle)
        let seeds = summary.curves.values.map(\.count).max() ?? 0
        d.text("test \(summary.metricName) (mean ± std over \(seeds) seed\(seeds == 1 ? "" : "s"))",
               at: FigurePoint(18, top + plotHeight / 2), anchor: .middle, vertical: true)
        for (k, strategy) in summary.strategies.enumerated() {
            let s = series(strategy)
            guard s.count > 1 else { continue }
            let upper = s.map { FigurePoint(px($0.labels), py($0.mean + $0.deviation)) }
            let lower = s.reversed().map { FigurePoint(px($0.labels), py($0.mean - $0.deviation)) }
            d.polygon(upper + lower, fill: Colour.category(k).withOpacity(0.15), group: "band")
        }
        for (k, strategy) in summary.strategies.enumerated() {
            let s = series(strategy), colour = Colour.category(k)
            let points = s.map { FigurePoint(px($0.labels), py($0.mean)) }
            d.polyline(points, stroke: colour, width: 2, group: "curve")
            for p in points { d.circle(p, radius: 2.5, fill: colour) }
            let y = top + 12 + Double(k) * 18
            d.line(from: FigurePoint(left + plotWidth + 12, y - 4), to: FigurePoint(left + plotWidth + 36, y - 4), stroke: colour, width: 3)
            d.text(strategy, at: FigurePoint(left + plotWidth + 42, y))
        }
        return d
    }

    /// The SVG document.
    public func svg() -> String { drawing().svg() }

    /// The PNG file.
    public func png() -> [UInt8] { drawing().rasterized().pngData() }
}
