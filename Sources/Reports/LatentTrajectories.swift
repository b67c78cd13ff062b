import Foundation
import HDF5Store
import LatentSampling
import ImageFiles

/// What the latent-trajectory figure needs and a run's log does not keep: the pool's codes
/// E(D) (with their classes, when the pool has them) and, for a few selected samples of
/// every run that moved points, the generator's images G(p) and G(p′).
///
/// Layout, under `/latent_view` of a results file:
///
/// | path | type, shape | content |
/// | --- | --- | --- |
/// | `pool_codes` | float32 (n×d) | E(D), the codes nearest-neighbour sampling searches |
/// | `pool_classes` | int64 (n) | the pool's classes (absent when it has none) |
/// | `<strategy>/seed_<s>/rows` | int64 (k) | rows of `<strategy>/seed_<s>/selected` shown |
/// | `<strategy>/seed_<s>/seed_images`, `moved_images` | float32 (k × sample shape) | G(p) and G(p′) of those rows |
public enum LatentViewRecord {
    /// The group's name.
    public static let groupName = "latent_view"

    /// Writes (or replaces) the record in a results file whose runs are complete.
    ///
    /// - Parameters:
    ///   - poolCodes: E(D), one code per pool sample.
    ///   - poolClasses: the pool's classes, or `nil`.
    ///   - generator: G, used for G(p) and G(p′).
    ///   - imagesPerRun: how many selected samples of each run get their images (the first
    ///     ones with a moved point).
    public static func write(poolCodes: LatentPoints, poolClasses: [Int]?, generator: some Generator,
                             in file: HDF5File, imagesPerRun: Int = 6) throws {
        if let poolClasses, poolClasses.count != poolCodes.count {
            throw ReportError.inconsistent(file: file.filePath, what: "\(poolClasses.count) pool classes for \(poolCodes.count) codes")
        }
        if file.contains(groupName) { try file.remove(groupName) }
        let group = try file.createGroup(groupName)
        try group.createDataset("pool_codes", values: poolCodes.values, shape: [poolCodes.count, poolCodes.dimension],
                                compressionLevel: 4)
        if let poolClasses {
            try group.createDataset("pool_classes", values: poolClasses.map(Int64.init), shape: [poolClasses.count], compressionLevel: 4)
        }
        let d = poolCodes.dimension
        for run in try ResultsFile.runGroups(in: file) where run.group.contains("selected/moved_point") {
            let moved = try run.group.dataset("selected/moved_point").readWithShape(as: Float.self)
            let seeds = try run.group.dataset("selected/seed_point").read(as: Float.self)
            guard moved.shape.count == 2, moved.shape[1] == d else { continue }
            var rows: [Int] = []
            for i in 0..<moved.shape[0] where rows.count < imagesPerRun {
                let p = moved.values[(i * d)..<((i + 1) * d)], s = seeds[(i * d)..<((i + 1) * d)]
                if p.allSatisfy(\.isFinite) && s.allSatisfy(\.isFinite) { rows.append(i) }
            }
            guard !rows.isEmpty else { continue }
            let seedPoints = LatentPoints(dimension: d, values: rows.flatMap { seeds[($0 * d)..<(($0 + 1) * d)] })
            let movedPoints = LatentPoints(dimension: d, values: rows.flatMap { moved.values[($0 * d)..<(($0 + 1) * d)] })
            let seedImages = try generator.generate(seedPoints), movedImages = try generator.generate(movedPoints)
            let path = "\(run.strategy)/seed_\(run.seed)"
            let target = try group.createGroup(path)
            try target.createDataset("rows", values: rows.map(Int64.init), shape: [rows.count])
            try target.createDataset("seed_images", values: seedImages.values, shape: seedImages.shape, compressionLevel: 4)
            try target.createDataset("moved_images", values: movedImages.values, shape: movedImages.shape, compressionLevel: 4)
        }
        try file.checkpoint()
    }
}

/// The data of the latent-trajectory figure (the paper's Figure 4) for one run.
public struct LatentTrajectories: Sendable {
    /// The run's strategy and seed.
    public var strategy: String, seed: UInt64
    /// The latent dimension d.
    public var dimension: Int
    /// E(D), row-major n×d (may be empty).
    public var poolCodes: [Float]
    /// The pool's classes (empty when it has none).
    public var poolClasses: [Int]
    /// Seed points p and moved points p′ of the selected samples, row-major k×d.
    public var seedPoints: [Float], movedPoints: [Float]
    /// The round each selected sample joined.
    public var rounds: [Int]
    /// The row of each kept sample in the run's `selected` (or `failed`) datasets.
    public var selectedRows: [Int]
    /// Whether each kept sample's labeling failed (its row is in `failed`).
    public var failed: [Bool]
    /// The pool index of each selected sample (−1 if synthesized).
    public var poolIndices: [Int]
    /// Image strip: the selected rows shown, G(p), G(p′) and the chosen sample, each
    /// row-major k × `imageShape`.
    public var stripRows: [Int], seedImages: [Float], movedImages: [Float], chosenImages: [Float]
    /// The shape of one sample ([channels, rows, columns] or [rows, columns]).
    public var imageShape: [Int]
    /// The labels of the strip's synthesized samples when each label is a map of the sample's
    /// size (SI with VasFEM: stress maps), row-major; empty otherwise.
    public var stripLabels: [Float] = []

    /// The number of selected samples with a seed and a moved point.
    public var count: Int { dimension == 0 ? 0 : seedPoints.count / dimension }

    /// Reads one run of a results file (its selected samples, then those whose labeling
    /// failed); `nil` when it recorded no moved points.
    public static func read(from file: HDF5File, strategy: String, seed: UInt64) throws -> LatentTrajectories? {
        let run = try file.group("\(strategy)/seed_\(seed)")
        var d = 0
        var keptSeeds: [Float] = [], keptMoved: [Float] = [], keptRounds: [Int] = [], keptPool: [Int] = [], keptRows: [Int] = []
        var keptFailed: [Bool] = []
        for prefix in ["selected", "failed"] where run.contains("\(prefix)/moved_point") {
            let moved = try run.dataset("\(prefix)/moved_point").readWithShape(as: Float.self)
            guard moved.shape.count == 2, moved.shape[1] > 0, d == 0 || moved.shape[1] == d else { continue }
            d = moved.shape[1]
            let seeds = try run.dataset("\(prefix)/seed_point").read(as: Float.self)
            let rounds = try run.dataset("\(prefix)/round").read(as: Int64.self).map(Int.init)
            let pool = try run.dataset("\(prefix)/pool_index").read(as: Int64.self).map(Int.init)
            for i in 0..<min(moved.shape[0], rounds.count, pool.count, seeds.count / d) {
                let p = moved.values[(i * d)..<((i + 1) * d)], s = seeds[(i * d)..<((i + 1) * d)]
                guard p.allSatisfy(\.isFinite), s.allSatisfy(\.isFinite) else { continue }
                keptSeeds += s; keptMoved += p; keptRounds.append(rounds[i]); keptPool.append(pool[i])
                keptRows.append(i); keptFailed.append(prefix == "failed")
            }
        }
        guard !keptRounds.isEmpty else { return nil }
        var result = LatentTrajectories(strategy: strategy, seed: seed, dimension: d, poolCodes: [], poolClasses: [],
                                        seedPoints: keptSeeds, movedPoints: keptMoved, rounds: keptRounds,
                                        selectedRows: keptRows, failed: keptFailed, poolIndices: keptPool, stripRows: [], seedImages: [], movedImages: [],
                                        chosenImages: [], imageShape: [])
        let view = LatentViewRecord.groupName
        if file.contains("\(view)/pool_codes") {
            let codes = try file.dataset("\(view)/pool_codes").readWithShape(as: Float.self)
            if codes.shape.count == 2, codes.shape[1] == d {
                result.poolCodes = codes.values
                if file.contains("\(view)/pool_classes") {
                    result.poolClasses = try file.dataset("\(view)/pool_classes").read(as: Int64.self).map(Int.init)
                }
            }
        }
        let strip = "\(view)/\(strategy)/seed_\(seed)"
        if file.contains("\(strip)/rows"), run.contains("selected/samples") {
            let rows = try file.dataset("\(strip)/rows").read(as: Int64.self).map(Int.init)
            let seedImages = try file.dataset("\(strip)/seed_images").readWithShape(as: Float.self)
            let movedImages = try file.dataset("\(strip)/moved_images").read(as: Float.self)
            let samples = try run.dataset("selected/samples").readWithShape(as: Float.self)
            let size = seedImages.shape.dropFirst().reduce(1, *)
            if size > 0, samples.shape.dropFirst().reduce(1, *) == size, rows.allSatisfy({ $0 >= 0 && $0 < samples.shape[0] }) {
                result.stripRows = rows
                result.imageShape = Array(seedImages.shape.dropFirst())
                result.seedImages = seedImages.values
                result.movedImages = movedImages
                result.chosenImages = rows.flatMap { samples.values[($0 * size)..<(($0 + 1) * size)] }
                let pool = try run.dataset("selected/pool_index").read(as: Int64.self)
                if run.contains("selected/labels"), rows.allSatisfy({ $0 < pool.count && pool[$0] < 0 }) {
                    let labels = try run.dataset("selected/labels").readWithShape(as: Float.self)
                    if labels.shape.count == 2, labels.shape[1] == size, rows.allSatisfy({ $0 < labels.shape[0] }) {
                        result.stripLabels = rows.flatMap { labels.values[($0 * size)..<(($0 + 1) * size)] }
                    }
                }
            }
        }
        return result
    }

    /// The 2-D view: the first two principal axes of the pool's codes (of the seed and
    /// moved points when there is no pool), as a 2×d projection and the mean; for d ≤ 2
    /// the coordinates themselves.
    public func projection() -> (axes: [[Double]], mean: [Double]) {
        let d = dimension
        let data = poolCodes.isEmpty ? seedPoints + movedPoints : poolCodes
        let n = data.count / max(d, 1)
        var mean = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { mean[j] += Double(data[i * d + j]) / Double(n) } }
        if d <= 2 {
            return ((0..<2).map { a in (0..<d).map { $0 == a ? 1.0 : 0.0 } }, [Double](repeating: 0, count: d))
        }
        var covariance = [Double](repeating: 0, count: d * d)
        let step = max(1, n / 20_000)
        for i in stride(from: 0, to: n, by: step) {
            for a in 0..<d {
                let u = Double(data[i * d + a]) - mean[a]
                for b in 0..<d { covariance[a * d + b] += u * (Double(data[i * d + b]) - mean[b]) }
            }
        }
        var axes: [[Double]] = []
        for _ in 0..<2 {
            var v = (0..<d).map { 1.0 + 0.1 * Double($0) }
            for _ in 0..<500 {
                var w = (0..<d).map { a in (0..<d).reduce(0.0) { $0 + covariance[a * d + $1] * v[$1] } }
                for u in axes { let dot = zip(w, u).reduce(0) { $0 + $1.0 * $1.1 }; w = zip(w, u).map { $0 - dot * $1 } }
                let norm = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
                guard norm > 1e-300 else { break }
                v = w.map { $0 / norm }
            }
            axes.append(v)
        }
        return (axes, mean)
    }
}

/// The latent-trajectory figure (the paper's Figure 4): pool codes E(D) coloured by class
/// in a 2-D view of the latent space, and for the selected samples of one round the seed
/// point p (open circle), the moved point p′ (arrow head) and the chosen sample's code
/// (filled diamond); and an image strip G(p) → G(p′) → the chosen sample.
///
/// In SVG every trajectory is a `<polyline class="trajectory">` from p to p′, and each
/// chosen neighbour a `<polygon class="neighbour">`.
public struct LatentTrajectoryFigure: Sendable {
    /// The run to draw.
    public var data: LatentTrajectories
    /// The round whose selections are drawn (default: the first with moved points).
    public var round: Int
    /// At most this many trajectories are drawn, and this many pool codes.
    public var maximumTrajectories = 40, maximumPoolCodes = 4_000
    /// Size of the scatter plot, in pixels.
    public var width = 720, height = 560

    /// A figure of `data`'s round `round`, or of its first round with moved points.
    public init(data: LatentTrajectories, round: Int? = nil) {
        self.data = data
        self.round = round ?? data.rounds.min() ?? 0
    }

    /// Indices (into `data`'s kept rows) of the trajectories drawn.
    public var drawnRows: [Int] {
        Array(data.rounds.indices.filter { data.rounds[$0] == round }.prefix(maximumTrajectories))
    }

    /// The scatter plot.
    public func drawing() -> Drawing {
        var figure = Drawing(width: width, height: height)
        let d = data.dimension
        let (axes, mean) = data.projection()
        func project(_ values: [Float], _ i: Int) -> SIMD2<Double> {
            var out = SIMD2<Double>(0, 0)
            for k in 0..<2 { for j in 0..<d { out[k] += axes[k][j] * (Double(values[i * d + j]) - mean[j]) } }
            return out
        }
        let rows = drawnRows
        let poolCount = data.poolCodes.count / max(d, 1)
        let poolStep = max(1, poolCount / maximumPoolCodes)
        let shownPool = stride(from: 0, to: poolCount, by: poolStep).map { ($0, project(data.poolCodes, $0)) }
        let seeds = rows.map { project(data.seedPoints, $0) }, moved = rows.map { project(data.movedPoints, $0) }
        let neighbours: [SIMD2<Double>?] = rows.map { r in
            let index = data.poolIndices[r]
            return index >= 0 && index < poolCount ? project(data.poolCodes, index) : nil
        }
        let everything = shownPool.map(\.1) + seeds + moved + neighbours.compactMap { $0 }
        let title = "\(data.strategy), seed \(data.seed), round \(round): p → p′ = p + α·d"
            + (neighbours.contains { $0 != nil } ? " → nearest pool code" : "")
        figure.text(title, at: FigurePoint(Double(width) / 2, 20), anchor: .middle)
        guard let first = everything.first else { return figure }
        var low = first, high = first
        for p in everything { low = pointwiseMin(low, p); high = pointwiseMax(high, p) }
        let span = pointwiseMax(high - low, SIMD2(1e-9, 1e-9))
        low -= span * 0.05; high += span * 0.05
        let classes = Array(Set(data.poolClasses)).sorted()
        let legendWidth = classes.isEmpty ? 0.0 : 90.0
        let left = 55.0, top = 34.0, right = 15.0 + legendWidth, bottom = 42.0
        let plotWidth = Double(width) - left - right, plotHeight = Double(height) - top - bottom
        func place(_ p: SIMD2<Double>) -> FigurePoint {
            FigurePoint(left + (p.x - low.x) / (high.x - low.x) * plotWidth, top + (high.y - p.y) / (high.y - low.y) * plotHeight)
        }
        figure.frame(x: left, y: top, width: plotWidth, height: plotHeight, stroke: Colour.axis)
        let axisNames = d <= 2 ? ["z₁", "z₂"] : ["first principal axis of E(D)", "second principal axis of E(D)"]
        figure.text(axisNames[0], at: FigurePoint(left + plotWidth / 2, Double(height) - 12), anchor: .middle)
        figure.text(axisNames[1], at: FigurePoint(18, top + plotHeight / 2), anchor: .middle, vertical: true)
        for (k, p) in shownPool {
            let colour = data.poolClasses.indices.contains(k)
                ? Colour.category(1 + (classes.firstIndex(of: data.poolClasses[k]) ?? 0)).withOpacity(0.35)
                : Colour.faint.withOpacity(0.35)
            figure.circle(place(p), radius: 1.6, fill: colour, group: "pool")
        }
        for (k, c) in classes.enumerated() {
            let y = top + 10 + Double(k) * 16
            figure.circle(FigurePoint(left + plotWidth + 22, y - 4), radius: 4, fill: Colour.category(1 + k))
            figure.text("class \(c)", at: FigurePoint(left + plotWidth + 32, y))
        }
        for (i, _) in rows.enumerated() {
            let a = place(seeds[i]), b = place(moved[i])
            figure.polyline([a, b], stroke: .black, width: 1.3, group: "trajectory")
            let direction = b - a, length = (direction * direction).sum().squareRoot()
            if length > 1e-6 {
                let u = direction / length, n = FigurePoint(-u.y, u.x)
                figure.polygon([b, b - u * 7 + n * 3, b - u * 7 - n * 3], fill: .black)
            }
            figure.circle(a, radius: 3.2, fill: .white, stroke: .black, group: "seed")
            if data.failed[rows[i]] {
                figure.segments([b + FigurePoint(-4, -4), b + FigurePoint(4, 4), b + FigurePoint(-4, 4), b + FigurePoint(4, -4)],
                                stroke: Colour.neighbour, width: 1.6, group: "failed")
            }
            if let c = neighbours[i].map(place) {
                figure.polyline([b, c], stroke: Colour.neighbour, width: 1)
                figure.polygon([c + FigurePoint(0, -4.5), c + FigurePoint(4.5, 0), c + FigurePoint(0, 4.5), c + FigurePoint(-4.5, 0)],
                               fill: Colour.neighbour, group: "neighbour")
            }
        }
        let legendY = top + plotHeight - 40
        figure.circle(FigurePoint(left + 14, legendY), radius: 3.2, fill: .white, stroke: .black)
        figure.text("seed point p", at: FigurePoint(left + 24, legendY + 4))
        figure.polygon([FigurePoint(left + 18, legendY + 16), FigurePoint(left + 10, legendY + 12), FigurePoint(left + 10, legendY + 20)], fill: .black)
        figure.text("moved point p′", at: FigurePoint(left + 24, legendY + 20))
        if rows.contains(where: { data.failed[$0] }) {
            let c = FigurePoint(left + 14, legendY - 14)
            figure.segments([c + FigurePoint(-4, -4), c + FigurePoint(4, 4), c + FigurePoint(-4, 4), c + FigurePoint(4, -4)],
                            stroke: Colour.neighbour, width: 1.6)
            figure.text("labeling failed at p′", at: FigurePoint(left + 24, legendY - 10))
        }
        if neighbours.contains(where: { $0 != nil }) {
            let c = FigurePoint(left + 14, legendY + 32)
            figure.polygon([c + FigurePoint(0, -4.5), c + FigurePoint(4.5, 0), c + FigurePoint(0, 4.5), c + FigurePoint(-4.5, 0)], fill: Colour.neighbour)
            figure.text("chosen pool sample E(x)", at: FigurePoint(left + 24, legendY + 36))
        }
        return figure
    }

    /// The image strip G(p) → G(p′) → the chosen sample, one row per recorded selection;
    /// `nil` when the file holds no images.
    public func stripDrawing(cell: Int = 84) -> Drawing? {
        guard !data.stripRows.isEmpty, data.imageShape.count >= 2 else { return nil }
        let rows = data.imageShape[data.imageShape.count - 2], columns = data.imageShape[data.imageShape.count - 1]
        let size = data.imageShape.reduce(1, *), channels = size / (rows * columns)
        let count = data.stripRows.count
        let gap = 14.0, top = 40.0, left = 10.0, c = Double(cell)
        let chosenName = data.poolIndices.contains { $0 >= 0 } ? "neighbour x" : "labeled G(p′)"
        let labelRange = 0...Double(data.stripLabels.max() ?? 1)
        var names = ["G(p)", "G(p′)", chosenName]
        if !data.stripLabels.isEmpty { names.append("its label") }
        var strip = Drawing(width: Int(left * 2 + Double(names.count) * c + Double(names.count - 1) * gap * 2),
                            height: Int(top + Double(count) * (c + 8) + 6))
        for (k, name) in names.enumerated() {
            strip.text(name, at: FigurePoint(left + Double(k) * (c + 2 * gap) + c / 2, top - 10), anchor: .middle)
        }
        for (r, _) in data.stripRows.enumerated() {
            let y = top + Double(r) * (c + 8)
            for (k, images) in [data.seedImages, data.movedImages, data.chosenImages, data.stripLabels].enumerated() where !images.isEmpty {
                let values = Array(images[(r * size)..<((r + 1) * size)])
                let mask = k == 3 ? Array(data.chosenImages[(r * size)..<((r + 1) * size)]) : []
                let image = k == 3 ? ColourMap.viridis.image(values, rows: rows, columns: columns, range: labelRange) { mask[$0] >= 0.5 }
                    : channels == 3 ? rgbImage(values, rows: rows, columns: columns)
                    : greyImage(Array(values.prefix(rows * columns)), rows: rows, columns: columns)
                let x = left + Double(k) * (c + 2 * gap)
                if k == 3 { strip.rectangle(x: x, y: y, width: c, height: c, fill: Colour(hex: "#f2f2f2")) }
                strip.image(image, x: x, y: y, width: c, height: c)
                strip.frame(x: x, y: y, width: c, height: c, stroke: Colour.faint)
                if k < 2 || (k == 2 && !data.stripLabels.isEmpty) {
                    let ay = y + c / 2
                    strip.line(from: FigurePoint(x + c + 4, ay), to: FigurePoint(x + c + 2 * gap - 4, ay), stroke: .black, width: 1.2)
                    strip.polygon([FigurePoint(x + c + 2 * gap - 3, ay), FigurePoint(x + c + 2 * gap - 8, ay - 3), FigurePoint(x + c + 2 * gap - 8, ay + 3)], fill: .black)
                }
            }
        }
        return strip
    }

    /// The scatter plot as SVG.
    public func svg() -> String { drawing().svg() }

    /// The scatter plot as PNG.
    public func png() -> [UInt8] { drawing().rasterized().pngData() }

    private func rgbImage(_ values: [Float], rows: Int, columns: Int) -> RGBAImage {
        var pixels = [UInt8](repeating: 255, count: rows * columns * 4)
        let plane = rows * columns
        for k in 0..<plane { for ch in 0..<3 { pixels[4 * k + ch] = UInt8(min(max(values[ch * plane + k], 0), 1) * 255) } }
        return RGBAImage(width: columns, height: rows, pixels: pixels)
    }
}

extension Colour {
    /// Chosen neighbours and failed labelings in the latent figure: a magenta no class colour uses.
    static let neighbour = Colour(hex: "#E4007C")
}
