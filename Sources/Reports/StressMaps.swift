import Foundation
import HDF5Store
import ImageFiles

/// Stress maps for the Figure 5 style comparison: test masks, their VasFEM labels, a
/// trained target's predictions, and the deformed lumens VasFEM computed.
///
/// Layout, under `/stress_view` of a results file (k masks of r×c pixels):
///
/// | path | type, shape | content |
/// | --- | --- | --- |
/// | `masks` | float32 (k×r×c) | 1 = wall |
/// | `label` | float32 (k×r×c) | VasFEM's maximum principal stress, kPa |
/// | `prediction/<strategy>` | float32 (k×r×c) | the target F's prediction, kPa; attribute `model` says which |
/// | `deformed_lumen` | float64 (m×2) | deformed lumen vertices (x = column, y = row direction), mm |
/// | `deformed_lumen_offsets` | int64 (k+1) | mask i's vertices are rows offsets[i] ..< offsets[i+1] |
///
/// Attribute `pixel_size_mm`: the pixel size h (pixel (i, j) covers [j·h, (j+1)·h] × [i·h, (i+1)·h]).
public struct StressMaps: Sendable {
    /// The group's name.
    public static let groupName = "stress_view"
    /// Grid height and width, and the pixel size in mm.
    public var rows: Int, columns: Int, pixelSize: Double
    /// Masks (1 = wall), labels and, per strategy, predictions; each k × rows × columns, kPa.
    public var masks: [Float], labels: [Float], predictions: [(strategy: String, model: String, values: [Float])]
    /// The deformed lumen of each mask (mm), empty where unknown.
    public var deformedLumens: [[SIMD2<Double>]]

    /// The number of masks.
    public var count: Int { masks.count / max(rows * columns, 1) }

    /// Maps of `count` masks; predictions and lumens may be empty.
    public init(rows: Int, columns: Int, pixelSize: Double, masks: [Float], labels: [Float],
                predictions: [(strategy: String, model: String, values: [Float])] = [], deformedLumens: [[SIMD2<Double>]] = []) {
        self.rows = rows; self.columns = columns; self.pixelSize = pixelSize
        self.masks = masks; self.labels = labels; self.predictions = predictions; self.deformedLumens = deformedLumens
    }

    /// Writes (or replaces) the record.
    public func write(to file: HDF5File) throws {
        let k = count, size = rows * columns
        guard labels.count == masks.count, predictions.allSatisfy({ $0.values.count == masks.count }),
              deformedLumens.isEmpty || deformedLumens.count == k, size > 0, masks.count == k * size else {
            throw ReportError.inconsistent(file: file.filePath, what: "stress maps of different sizes")
        }
        if file.contains(Self.groupName) { try file.remove(Self.groupName) }
        let group = try file.createGroup(Self.groupName)
        try group.setAttribute("pixel_size_mm", pixelSize)
        try group.setAttribute("units", "kPa")
        try group.createDataset("masks", values: masks, shape: [k, rows, columns], compressionLevel: 4)
        try group.createDataset("label", values: labels, shape: [k, rows, columns], compressionLevel: 4)
        for p in predictions {
            let set = try group.createDataset("prediction/\(p.strategy)", values: p.values, shape: [k, rows, columns], compressionLevel: 4)
            try set.setAttribute("model", p.model)
        }
        if !deformedLumens.isEmpty {
            var offsets: [Int64] = [0]
            for lumen in deformedLumens { offsets.append(offsets.last! + Int64(lumen.count)) }
            let flat = deformedLumens.flatMap { $0.flatMap { [$0.x, $0.y] } }
            try group.createDataset("deformed_lumen", values: flat, shape: [flat.count / 2, 2])
            try group.createDataset("deformed_lumen_offsets", values: offsets, shape: [offsets.count])
        }
        try file.checkpoint()
    }

    /// Reads the record; `nil` when the file has none.
    public static func read(from file: HDF5File) throws -> StressMaps? {
        guard file.contains("\(groupName)/masks"), file.contains("\(groupName)/label") else { return nil }
        let group = try file.group(groupName)
        let masks = try group.dataset("masks").readWithShape(as: Float.self)
        let labels = try group.dataset("label").read(as: Float.self)
        guard masks.shape.count == 3, labels.count == masks.values.count else {
            throw ReportError.inconsistent(file: file.filePath, what: "\(groupName)/masks and label differ in shape")
        }
        var maps = StressMaps(rows: masks.shape[1], columns: masks.shape[2],
                              pixelSize: group.hasAttribute("pixel_size_mm") ? try group.doubleAttribute("pixel_size_mm") : 1,
                              masks: masks.values, labels: labels)
        if group.contains("prediction") {
            for name in try group.group("prediction").memberNames() {
                let set = try group.dataset("prediction/\(name)")
                let values = try set.read(as: Float.self)
                guard values.count == masks.values.count else {
                    throw ReportError.inconsistent(file: file.filePath, what: "\(groupName)/prediction/\(name) has \(values.count) values")
                }
                maps.predictions.append((name, set.hasAttribute("model") ? try set.stringAttribute("model") : name, values))
            }
        }
        if group.contains("deformed_lumen") {
            let flat = try group.dataset("deformed_lumen").read(as: Double.self)
            let offsets = try group.dataset("deformed_lumen_offsets").read(as: Int64.self).map(Int.init)
            guard offsets.count == maps.count + 1, offsets.last == flat.count / 2 else {
                throw ReportError.inconsistent(file: file.filePath, what: "\(groupName)/deformed_lumen_offsets do not match the vertices")
            }
            maps.deformedLumens = (0..<maps.count).map { i in
                (offsets[i]..<offsets[i + 1]).map { SIMD2(flat[2 * $0], flat[2 * $0 + 1]) }
            }
        }
        return maps
    }
}

/// The stress-map figure (the paper's Figure 5): for each mask a row of VasFEM's label,
/// the target's prediction and their absolute difference, each inside the mask's outline,
/// with the deformed lumen drawn over the label and the prediction; a colour bar in kPa
/// for the stresses (shared by label and prediction) and one for the error.
public struct StressMapFigure: Sendable {
    /// The maps.
    public var maps: StressMaps
    /// Which prediction to show (index into `maps.predictions`); `nil` shows labels only.
    public var prediction: Int?
    /// The side of one panel, in pixels.
    public var panel = 170

    /// A figure of `maps` with prediction `prediction` (default: the last one recorded).
    public init(maps: StressMaps, prediction: Int? = nil) {
        self.maps = maps
        self.prediction = prediction ?? (maps.predictions.isEmpty ? nil : maps.predictions.count - 1)
    }

    private var size: Int { maps.rows * maps.columns }
    private func wall(_ i: Int, _ k: Int) -> Bool { maps.masks[i * size + k] >= 0.5 }

    /// The stress colour bar's range: the smallest and largest stress, label or prediction,
    /// over wall pixels, in kPa.
    public var stressRange: ClosedRange<Double> {
        var low = Double.infinity, high = -Double.infinity
        for i in 0..<maps.count {
            for k in 0..<size where wall(i, k) {
                var values = [maps.labels[i * size + k]]
                if let p = prediction { values.append(maps.predictions[p].values[i * size + k]) }
                for v in values where v.isFinite { low = min(low, Double(v)); high = max(high, Double(v)) }
            }
        }
        guard low <= high else { return 0...1 }
        return low...(high > low ? high : low + 1)
    }

    /// The error colour bar's range: 0 to the largest |prediction − label| over wall pixels, kPa.
    public var errorRange: ClosedRange<Double> {
        guard let p = prediction else { return 0...1 }
        var high = 0.0
        for i in 0..<maps.count {
            for k in 0..<size where wall(i, k) {
                let e = abs(Double(maps.predictions[p].values[i * size + k]) - Double(maps.labels[i * size + k]))
                if e.isFinite { high = max(high, e) }
            }
        }
        return 0...(high > 0 ? high : 1)
    }

    /// The figure.
    public func drawing() -> Drawing {
        let p = Double(panel), gap = 16.0, top = 46.0, left = 12.0, bar = 16.0, barBlock = 90.0
        let columnsShown = prediction == nil ? 1 : 3
        let width = left + Double(columnsShown) * (p + gap) + (prediction == nil ? 1 : 2) * barBlock
        let height = top + Double(maps.count) * (p + gap) + 10
        var d = Drawing(width: Int(width), height: Int(height))
        let title = prediction.map { "VasFEM label, prediction of \(maps.predictions[$0].model), and |error| (kPa)" }
            ?? "VasFEM maximum principal stress (kPa)"
        d.text(title, at: FigurePoint(width / 2, 18), anchor: .middle)
        let headings = prediction == nil ? ["VasFEM label"] : ["VasFEM label", "prediction", "|prediction − label|"]
        for (c, h) in headings.enumerated() { d.text(h, at: FigurePoint(left + Double(c) * (p + gap) + p / 2, top - 8), anchor: .middle) }
        let stress = stressRange, error = errorRange
        for i in 0..<maps.count {
            let y = top + Double(i) * (p + gap)
            let label = Array(maps.labels[(i * size)..<((i + 1) * size)])
            var fields: [([Float], ColourMap, ClosedRange<Double>)] = [(label, .viridis, stress)]
            if let q = prediction {
                let predicted = Array(maps.predictions[q].values[(i * size)..<((i + 1) * size)])
                fields.append((predicted, .viridis, stress))
                fields.append((zip(predicted, label).map { abs($0 - $1) }, .magma, error))
            }
            for (c, (values, map, range)) in fields.enumerated() {
                let x = left + Double(c) * (p + gap)
                d.rectangle(x: x, y: y, width: p, height: p, fill: Colour(hex: "#f2f2f2"))
                d.image(map.image(values, rows: maps.rows, columns: maps.columns, range: range) { self.wall(i, $0) },
                        x: x, y: y, width: p, height: p)
                d.segments(outline(mask: i, x: x, y: y), stroke: .black, width: 1, group: "outline")
                if c < 2, maps.deformedLumens.indices.contains(i), maps.deformedLumens[i].count > 2 {
                    let scale = p / (Double(maps.columns) * maps.pixelSize)
                    let lumen = maps.deformedLumens[i].map { FigurePoint(x + $0.x * scale, y + $0.y * scale) }
                    d.polyline(lumen + [lumen[0]], stroke: .white, width: 1.5, group: "deformed-lumen")
                }
            }
        }
        let barTop = top, barHeight = min(Double(maps.count) * (p + gap) - gap, 300)
        colourBar(&d, map: .viridis, range: stress, x: left + Double(columnsShown) * (p + gap) + 4, y: barTop,
                  width: bar, height: barHeight, title: "stress, kPa")
        if prediction != nil {
            colourBar(&d, map: .magma, range: error, x: left + Double(columnsShown) * (p + gap) + barBlock + 4, y: barTop,
                      width: bar, height: barHeight, title: "|error|, kPa")
        }
        if maps.deformedLumens.contains(where: { $0.count > 2 }) {
            d.text("white: deformed lumen at systole", at: FigurePoint(left, height - 4))
        }
        return d
    }

    /// The tick labels of a colour bar over `range`: its two ends exactly, and round values between.
    public static func colourBarTicks(_ range: ClosedRange<Double>) -> [(value: Double, label: String)] {
        let span = range.upperBound - range.lowerBound
        let ticks = niceTicks(range.lowerBound, range.upperBound, count: 4)
        let step = ticks.count > 1 ? ticks[1] - ticks[0] : span
        let inner = ticks.filter { abs($0 - range.lowerBound) > 0.12 * span && abs($0 - range.upperBound) > 0.12 * span }
        func endLabel(_ v: Double) -> String { String(format: span >= 10 ? "%.1f" : span >= 1 ? "%.2f" : "%.3g", v) }
        return [(range.lowerBound, endLabel(range.lowerBound))] + inner.map { ($0, tickLabel($0, step: step)) }
            + [(range.upperBound, endLabel(range.upperBound))]
    }

    private func colourBar(_ d: inout Drawing, map: ColourMap, range: ClosedRange<Double>, x: Double, y: Double,
                           width: Double, height: Double, title: String) {
        let steps = 256
        var pixels = [UInt8]()
        for r in 0..<steps {
            let c = map.colour(at: 1 - Double(r) / Double(steps - 1))
            pixels += [UInt8((c.red * 255).rounded()), UInt8((c.green * 255).rounded()), UInt8((c.blue * 255).rounded()), 255]
        }
        d.text(title, at: FigurePoint(x, y - 8))
        d.image(RGBAImage(width: 1, height: steps, pixels: pixels), x: x, y: y, width: width, height: height)
        d.frame(x: x, y: y, width: width, height: height, stroke: Colour.axis)
        for tick in Self.colourBarTicks(range) {
            let ty = y + (range.upperBound - tick.value) / (range.upperBound - range.lowerBound) * height
            d.line(from: FigurePoint(x + width, ty), to: FigurePoint(x + width + 4, ty), stroke: Colour.axis)
            d.text(tick.label, at: FigurePoint(x + width + 7, ty + 4))
        }
    }

    /// The mask's outline: pixel edges between wall and non-wall pixels, as segment ends.
    private func outline(mask i: Int, x: Double, y: Double) -> [FigurePoint] {
        let s = Double(panel) / Double(maps.columns), t = Double(panel) / Double(maps.rows)
        var ends: [FigurePoint] = []
        func isWall(_ r: Int, _ c: Int) -> Bool { r >= 0 && c >= 0 && r < maps.rows && c < maps.columns && wall(i, r * maps.columns + c) }
        for r in -1..<maps.rows {
            for c in -1..<maps.columns {
                let here = isWall(r, c)
                if here != isWall(r, c + 1), r >= 0 {
                    ends += [FigurePoint(x + Double(c + 1) * s, y + Double(r) * t), FigurePoint(x + Double(c + 1) * s, y + Double(r + 1) * t)]
                }
                if here != isWall(r + 1, c), c >= 0 {
                    ends += [FigurePoint(x + Double(c) * s, y + Double(r + 1) * t), FigurePoint(x + Double(c + 1) * s, y + Double(r + 1) * t)]
                }
            }
        }
        return ends
    }

    /// The SVG document.
    public func svg() -> String { drawing().svg() }

    /// The PNG file.
    public func png() -> [UInt8] { drawing().rasterized().pngData() }
}
