import Foundation
import HDF5Store
import LatentSampling

/// A report of one results file (`experiment`, `benchmark` or `ivus-si`): its figures
/// (learning curves, latent trajectories and image strip, stress maps), Table 1, the
/// configuration and the provenance of every run, as one self-contained HTML page (figures
/// inline as SVG or PNG data URIs; no external resources) and as separate figure files.
public struct ResultsReport {
    /// One figure: a name (used for its files), a caption, and the drawing.
    public struct Figure {
        /// A short file-name-safe name, such as `learning-curves`.
        public var name: String
        /// The caption under the figure.
        public var caption: String
        /// The drawing.
        public var drawing: Drawing
        /// Whether the HTML embeds it as a PNG (raster-heavy figures) rather than inline SVG.
        public var embedAsPNG: Bool
    }

    /// The results file's path.
    public let path: String
    /// The learning curves, when the file has any.
    public let summary: ExperimentSummary?
    /// A benchmark's results with timings (paired statistics), when the file is a benchmark's.
    public let benchmark: BenchmarkResult?
    /// The file's configuration attributes.
    public let configuration: [(name: String, value: String)]
    /// Every run's provenance summary.
    public let provenance: [ResultsFile.Provenance]
    /// The figures, in page order.
    public let figures: [Figure]

    /// Reads `path` and builds every figure its records allow.
    ///
    /// - Throws: `HDF5Error` when the file cannot be read, ``ReportError`` when it holds
    ///   nothing to report or its records disagree.
    public init(path: String) throws {
        self.path = path
        let file = try HDF5File(path: path, mode: .readOnly)
        summary = try ResultsFile.summary(of: file)
        benchmark = try ResultsFile.benchmarkResult(of: file)
        configuration = try ResultsFile.configuration(of: file)
        provenance = try ResultsFile.provenance(of: file)
        var figures: [Figure] = []
        let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        if let summary {
            let seeds = summary.curves.values.map(\.count).max() ?? 0
            figures.append(Figure(name: "learning-curves",
                                  caption: "Learning curves of \(stem): test \(summary.metricName) against labels, mean ± one standard deviation over \(seeds) seed\(seeds == 1 ? "" : "s") (the paper's Figure 3).",
                                  drawing: LearningCurveFigure(summary: summary, title: "\(stem): test \(summary.metricName)").drawing(),
                                  embedAsPNG: false))
        }
        // Latent trajectories: the first seed of every strategy that moved points.
        var seen = Set<String>()
        for run in try ResultsFile.runGroups(in: file) where !seen.contains(run.strategy) {
            guard let data = try LatentTrajectories.read(from: file, strategy: run.strategy, seed: run.seed) else { continue }
            seen.insert(run.strategy)
            let figure = LatentTrajectoryFigure(data: data)
            let safe = run.strategy.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "-" }
            figures.append(Figure(name: "latent-\(String(safe))",
                                  caption: "\(run.strategy), seed \(run.seed): seed points p, moved points p′ and the samples chosen in round \(figure.round), in "
                                    + (data.dimension <= 2 ? "the latent coordinates" : "the first two principal axes of the pool's codes E(D)")
                                    + (data.poolClasses.isEmpty ? "" : ", pool codes coloured by class") + " (the paper's Figure 4).",
                                  drawing: figure.drawing(), embedAsPNG: data.poolCodes.count / max(data.dimension, 1) > 1500))
            if let strip = figure.stripDrawing() {
                figures.append(Figure(name: "strip-\(String(safe))",
                                      caption: "\(run.strategy), seed \(run.seed): G(p) → G(p′) → the chosen sample"
                                        + (data.stripLabels.isEmpty ? "" : " → its label (one colour scale for the strip, from 0 to its largest value)")
                                        + ", for the first recorded selections.",
                                      drawing: strip, embedAsPNG: true))
            }
        }
        if let maps = try StressMaps.read(from: file) {
            if maps.predictions.isEmpty {
                figures.append(Figure(name: "stress-maps", caption: "VasFEM stress maps of \(maps.count) masks.",
                                      drawing: StressMapFigure(maps: maps).drawing(), embedAsPNG: true))
            }
            for (k, p) in maps.predictions.enumerated() {
                figures.append(Figure(name: "stress-maps-\(p.strategy)",
                                      caption: "Test masks: VasFEM's label, the prediction of \(p.model), and the absolute error, in kPa, inside the mask outline; white: the deformed lumen VasFEM computed (the paper's Figure 5).",
                                      drawing: StressMapFigure(maps: maps, prediction: k).drawing(), embedAsPNG: true))
            }
        }
        self.figures = figures
        if summary == nil && figures.isEmpty && provenance.isEmpty { throw ReportError.nothingToReport(file: path) }
    }

    /// The HTML page.
    public func html() -> String {
        let name = URL(fileURLWithPath: path).lastPathComponent
        var page = ["<!DOCTYPE html>", "<html lang=\"en\"><head><meta charset=\"utf-8\">",
                    "<title>\(escapeXML(name)) — LatentSampling report</title>",
                    "<style>body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
                        + "table{border-collapse:collapse;margin:0.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right;font-variant-numeric:tabular-nums}"
                        + "th{background:#f3f3f3}td.l,th.l{text-align:left}figure{margin:1.5em 0}figcaption{color:#555;font-size:0.92em;max-width:900px}"
                        + "svg,img{max-width:100%;height:auto}pre{background:#f7f7f7;padding:0.8em;overflow-x:auto;font-size:0.85em}</style>",
                    "</head><body>", "<h1>\(escapeXML(name))</h1>",
                    "<p>Report of <code>\(escapeXML(path))</code>, written by <code>report</code> (LatentSampling).</p>"]
        if let summary {
            page.append("<h2>Learning curves</h2>")
            page.append(contentsOf: figures.filter { $0.name == "learning-curves" }.map(embed))
            page.append("<h2>Table 1</h2>")
            page.append(table1(summary))
            page.append("<pre>\(escapeXML(summary.table()))</pre>")
            if let benchmark {
                let references = summary.strategies.contains("random") ? ["random"] : Array(summary.strategies.prefix(1))
                page.append("<h2>Paired comparisons and wall time</h2>")
                page.append("<pre id=\"benchmark\">\(escapeXML(benchmark.report(references: references)))</pre>")
            }
        }
        let others = figures.filter { $0.name != "learning-curves" }
        if !others.isEmpty {
            page.append("<h2>Figures</h2>")
            page.append(contentsOf: others.map(embed))
        }
        if !provenance.isEmpty {
            page.append("<h2>Provenance of the runs</h2>")
            page.append("<table id=\"provenance\"><tr><th class=\"l\">strategy</th><th>seed</th><th>rounds</th><th>finished</th><th>selected</th>"
                + "<th>synthesized</th><th>labeling failures</th><th>labeling s</th><th>training s</th><th>sampling s</th></tr>")
            for p in provenance {
                page.append("<tr><td class=\"l\">\(escapeXML(p.strategy))</td><td>\(p.seed)</td><td>\(p.completedRounds)</td><td>\(p.finished ? "yes" : "no")</td>"
                    + "<td>\(p.selected)</td><td>\(p.synthesized)</td><td>\(p.failures.reduce(0) { $0 + $1.count })</td>"
                    + String(format: "<td>%.1f</td><td>%.1f</td><td>%.1f</td>", p.labelingSeconds, p.trainingSeconds, p.samplingSeconds) + "</tr>")
            }
            page.append("</table>")
            var reasons: [String: [String: Int]] = [:]
            for p in provenance { for f in p.failures { reasons[p.strategy, default: [:]][f.reason, default: 0] += f.count } }
            if !reasons.isEmpty {
                page.append("<h3>Labeling failures by reason (all seeds; # stands for any number)</h3>")
                page.append("<table id=\"failures\"><tr><th class=\"l\">strategy</th><th>count</th><th class=\"l\">reason</th></tr>")
                for strategy in provenance.map(\.strategy).reduce(into: [String](), { if !$0.contains($1) { $0.append($1) } }) {
                    for (reason, count) in (reasons[strategy] ?? [:]).sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
                        page.append("<tr><td class=\"l\">\(escapeXML(strategy))</td><td>\(count)</td><td class=\"l\">\(escapeXML(reason))</td></tr>")
                    }
                }
                page.append("</table>")
            }
        }
        page.append("<h2>Configuration</h2>")
        page.append("<table id=\"configuration\"><tr><th class=\"l\">attribute</th><th class=\"l\">value</th></tr>")
        for (n, v) in configuration { page.append("<tr><td class=\"l\">\(escapeXML(n))</td><td class=\"l\">\(escapeXML(v))</td></tr>") }
        page.append("</table>")
        page.append("</body></html>")
        return page.joined(separator: "\n") + "\n"
    }

    /// Table 1 as an HTML table: one row per round, one column per strategy, mean ± std, then the AULC.
    func table1(_ summary: ExperimentSummary) -> String {
        let rounds = summary.curves.values.flatMap { $0 }.map(\.count).max() ?? 0
        var rows = ["<table id=\"table1\"><tr><th>round</th><th>labels</th>" + summary.strategies.map { "<th>\(escapeXML($0))</th>" }.joined() + "</tr>"]
        for r in 0..<rounds {
            let sizes = summary.strategies.flatMap { (summary.trainingSetSizes[$0] ?? []).compactMap { $0.indices.contains(r) ? $0[r] : nil } }
            let labels = sizes.isEmpty ? "–" : Set(sizes).count == 1 ? "\(sizes[0])" : String(format: "~%.0f", Double(sizes.reduce(0, +)) / Double(sizes.count))
            let cells = summary.strategies.map { s -> String in
                guard let v = summary.statistics(strategy: s, round: r) else { return "<td>–</td>" }
                return String(format: "<td>%.4f ± %.4f</td>", v.mean, v.deviation)
            }
            rows.append("<tr><td>\(r + 1)</td><td>\(labels)</td>" + cells.joined() + "</tr>")
        }
        let areas = summary.strategies.map { s -> String in
            guard let v = summary.areaUnderLearningCurve(strategy: s) else { return "<td>–</td>" }
            return String(format: "<td>%.4f ± %.4f</td>", v.mean, v.deviation)
        }
        rows.append("<tr><th>AULC</th><td></td>" + areas.joined() + "</tr></table>")
        rows.append("<p>Test \(escapeXML(summary.metricName)), mean ± std over seeds; AULC: area under the learning curve over the label range, "
            + "\(summary.metricIncreases ? "higher" : "lower") is better.</p>")
        return rows.joined(separator: "\n")
    }

    private func embed(_ figure: Figure) -> String {
        let body: String
        if figure.embedAsPNG {
            let data = Data(figure.drawing.rasterized().pngData()).base64EncodedString()
            body = "<img alt=\"\(escapeXML(figure.name))\" width=\"\(figure.drawing.width)\" height=\"\(figure.drawing.height)\" src=\"data:image/png;base64,\(data)\">"
        } else {
            body = figure.drawing.svg()
        }
        return "<figure id=\"\(escapeXML(figure.name))\">\n\(body)\n<figcaption>\(escapeXML(figure.caption))</figcaption></figure>"
    }

    /// Writes `<stem>.html` and every figure as `<stem>-<name>.png` and `.svg` into `folder`,
    /// and returns the paths written.
    @discardableResult
    public func write(to folder: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        var written: [String] = []
        let page = URL(fileURLWithPath: folder).appendingPathComponent("\(stem).html")
        try html().write(to: page, atomically: true, encoding: .utf8)
        written.append(page.path)
        for figure in figures {
            let base = URL(fileURLWithPath: folder).appendingPathComponent("\(stem)-\(figure.name)")
            try Data(figure.drawing.rasterized().pngData()).write(to: base.appendingPathExtension("png"), options: .atomic)
            try figure.drawing.svg().write(to: base.appendingPathExtension("svg"), atomically: true, encoding: .utf8)
            written += [base.appendingPathExtension("png").path, base.appendingPathExtension("svg").path]
        }
        return written
    }
}
