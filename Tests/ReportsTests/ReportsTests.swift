import ImageFiles
import Foundation
import HDF5Store
import LatentSampling
import Testing
@testable import Reports

// MARK: Fixtures: a tiny real experiment (random vs SNN on a 2-D pool) written by the core's
// own writers, with the latent-view record written by the Reports writer.

/// G(z) = A z + b on a 2-D latent space; also its exact inverse as E.
struct AffineGenerator: Generator, LatentEncoder {
    var latentDimension: Int { 2 }
    var sampleShape: [Int] { [2] }
    func generate(_ codes: LatentPoints) -> SampleBatch {
        SampleBatch(sampleShape: [2], values: (0..<codes.count).flatMap { i -> [Float] in
            let z = codes.point(at: i)
            return [2 * z[0] + z[1] + 0.5, z[1] - 1]
        })
    }
    func pullback(at codes: LatentPoints, cotangent: SampleBatch) -> LatentPoints {
        LatentPoints(dimension: 2, values: (0..<codes.count).flatMap { i -> [Float] in
            let v = cotangent.sample(at: i)
            return [2 * v[0], v[0] + v[1]]
        })
    }
    func encode(_ samples: SampleBatch) -> LatentPoints {
        LatentPoints(dimension: 2, values: (0..<samples.count).flatMap { i -> [Float] in
            let x = samples.sample(at: i)
            let z1 = x[1] + 1
            return [(x[0] - 0.5 - z1) / 2, z1]
        })
    }
}

/// A threshold classifier on x0: accuracy rises as it sees more labels.
final class ThresholdModel: ResumableTargetModel {
    typealias Label = Int32
    var threshold = 5.0
    var metricName: String { "accuracy" }
    var metricIncreases: Bool { true }
    func train(on samples: SampleBatch, labels: [Int32], epochs: Int, seed: UInt64) {
        let xs = (0..<samples.count).map { Double(samples.sample(at: $0)[0]) }
        let ones = zip(xs, labels).filter { $1 == 1 }.map(\.0), zeros = zip(xs, labels).filter { $1 == 0 }.map(\.0)
        if let a = ones.min(), let b = zeros.max() { threshold = (a + b) / 2 + Double(seed % 3) * 0.05 }
    }
    func resetParameters(seed: UInt64) { threshold = 5 }
    func predict(_ samples: SampleBatch) -> [Int32] { (0..<samples.count).map { Double(samples.sample(at: $0)[0]) > threshold ? 1 : 0 } }
    func evaluate(on samples: SampleBatch, labels: [Int32]) -> Double {
        Double(zip(predict(samples), labels).filter { $0 == $1 }.count) / Double(max(labels.count, 1))
    }
    func lossAndInputGradient(at samples: SampleBatch, labels: [Int32]) -> (losses: [Float], inputGradient: SampleBatch) {
        let losses = (0..<samples.count).map { i -> Float in Float(abs(Double(samples.sample(at: i)[0]) - threshold)) }
        return (losses, SampleBatch(sampleShape: [2], values: (0..<samples.count).flatMap { _ in [Float(1), 0.5] }))
    }
    func saveParameters(to group: HDF5Group) throws { try group.createDataset("threshold", values: [threshold], shape: [1]) }
    func loadParameters(from group: HDF5Group) throws { threshold = try group.dataset("threshold").read(as: Double.self)[0] }
}

func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("reports-tests-\(UUID().uuidString)-\(name)").path
}

/// Runs random vs SNN, 2 seeds × 4 rounds (or, as a benchmark, 3 seeds), into a fresh file; returns its path.
func tinyExperimentFile(benchmark: Bool = false) async throws -> String {
    var values: [Float] = [], labels: [Int32] = []
    for i in 0..<150 {
        let x = Float(i % 15) * 0.4 - 3, y = Float(i / 15) * 0.3 - 1.5
        values += [x, y]; labels.append(x > 0.2 ? 1 : 0)
    }
    let pool = try LabeledPool(samples: SampleBatch(sampleShape: [2], values: values), labels: labels)
    let test = try TestSet(samples: SampleBatch(sampleShape: [2], values: values), labels: labels)
    let generator = AffineGenerator()
    let strategies: [any SamplingStrategy<ThresholdModel>] = [
        RandomSampling(pool: pool),
        try NearestNeighborSampling<ThresholdModel, AffineGenerator>(pool: pool, encoder: generator, generator: generator, alpha: 0.5),
    ]
    let experiment = Experiment(schedule: TrainingSchedule(initialSize: 6, incrementSize: 5, epochsPerRound: 1, maximumRounds: 4),
                                seeds: [0, 1], strategies: strategies, testSet: test, sampleShape: [2], latentDimension: 2) { ThresholdModel() }
    let path = temporaryPath("experiment.h5")
    let (file, _) = try openResultsFile(at: path, overwrite: true)
    if benchmark {
        _ = try await Benchmark(schedule: experiment.schedule, seeds: [0, 1, 2], strategies: strategies, testSet: test,
                                sampleShape: [2], latentDimension: 2) { ThresholdModel() }.run(in: file)
    } else {
        _ = try await experiment.run(in: file)
    }
    try LatentViewRecord.write(poolCodes: generator.encode(pool.samples), poolClasses: labels.map(Int.init),
                               generator: generator, in: file, imagesPerRun: 3)
    return path
}

// MARK: Figures

@Suite("Figures: learning curves, latent trajectories, stress maps, HTML")
struct FigureTests {
    static let summary = ExperimentSummary(
        metricName: "accuracy", metricIncreases: true, strategies: ["random", "snn", "badge"],
        curves: ["random": [[0.5, 0.6, 0.7, 0.75], [0.52, 0.61, 0.69, 0.77]],
                 "snn": [[0.5, 0.65, 0.72, 0.8], [0.52, 0.66, 0.74, 0.82]],
                 "badge": [[0.5, 0.55, 0.6], [0.52, 0.56, 0.62]]],
        trainingSetSizes: ["random": [[10, 20, 30, 40], [10, 20, 30, 40]], "snn": [[10, 20, 30, 40], [10, 20, 30, 40]],
                           "badge": [[10, 20, 30], [10, 20, 30]]])

    /// The `points` attribute of every `<polyline class="…">` of an SVG.
    static func polylinePoints(_ svg: String, group: String) -> [[SIMD2<Double>]] {
        svg.split(separator: "\n").filter { $0.hasPrefix("<polyline class=\"\(group)\"") }.map { line in
            let points = line.components(separatedBy: "points=\"")[1].components(separatedBy: "\"")[0]
            return points.split(separator: " ").map { pair in
                let xy = pair.split(separator: ",").map { Double($0)! }
                return SIMD2(xy[0], xy[1])
            }
        }
    }

    @Test func learningCurvesOnePathPerStrategy() throws {
        let figure = LearningCurveFigure(summary: Self.summary, title: "test")
        let svg = figure.svg()
        let curves = Self.polylinePoints(svg, group: "curve")
        #expect(curves.map(\.count) == [4, 4, 3])
        #expect(svg.components(separatedBy: "<polygon class=\"band\"").count - 1 == 3)
        // SNN's mean is above random's from round 2 on (y grows downward).
        for r in 1..<4 { #expect(curves[1][r].y < curves[0][r].y) }
        // x positions are the label counts, equally spaced.
        #expect(abs((curves[0][1].x - curves[0][0].x) - (curves[0][3].x - curves[0][2].x)) < 0.2)
        #expect(figure.series("snn").map(\.mean).enumerated().allSatisfy { abs($1 - [0.51, 0.655, 0.73, 0.81][$0]) < 1e-12 })
        // The PNG decodes to the figure's size and shows each strategy's colour at its curve.
        let image = try RGBAImage(pngData: figure.png())
        #expect(image.width == 900 && image.height == 520)
        for (k, curve) in curves.enumerated() {
            let colour = Colour.category(k), p = curve[1]
            let pixel = image.pixel(x: Int(p.x), y: Int(p.y))
            let distance = abs(Double(pixel.red) - colour.red * 255) + abs(Double(pixel.green) - colour.green * 255)
                + abs(Double(pixel.blue) - colour.blue * 255)
            #expect(distance < 40, "strategy \(k) at \(p): \(pixel)")
        }
    }

    @Test func stressMapColourBarsMatchTheMaps() throws {
        // A ring of wall pixels with a 1/r² "label" and a prediction 10 % high.
        let n = 32
        var masks: [Float] = [], label: [Float] = []
        for r in 0..<n {
            for c in 0..<n {
                let x = Double(c) + 0.5 - 16, y = Double(r) + 0.5 - 16, rr = (x * x + y * y).squareRoot()
                let wall = rr > 5 && rr < 12
                masks.append(wall ? 1 : 0); label.append(wall ? Float(3000 / (rr * rr)) : 0)
            }
        }
        let prediction = label.map { $0 * 1.1 }
        let lumen = (0..<24).map { k -> SIMD2<Double> in
            let t = Double(k) / 24 * 2 * .pi
            return SIMD2(16 + 5.3 * cos(t), 16 + 5.3 * sin(t)) * 0.25
        }
        let path = temporaryPath("stress.h5")
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let file = try HDF5File(path: path, mode: .truncate)
            try StressMaps(rows: n, columns: n, pixelSize: 0.25, masks: masks, labels: label,
                           predictions: [("si", "si seed 0", prediction)], deformedLumens: [lumen]).write(to: file)
        }
        let maps = try #require(try StressMaps.read(from: try HDF5File(path: path, mode: .readOnly)))
        #expect(maps.deformedLumens[0].count == 24 && maps.predictions[0].model == "si seed 0")
        let figure = StressMapFigure(maps: maps)
        let wall = zip(masks, label).filter { $0.0 > 0.5 }.map { Double($0.1) }
        let low = wall.min()!, high = wall.max()! * 1.1
        #expect(abs(figure.stressRange.lowerBound - low) < 1e-3 && abs(figure.stressRange.upperBound - high) < 1e-3)
        #expect(abs(figure.errorRange.upperBound - wall.max()! * 0.1) < 1e-3 && figure.errorRange.lowerBound == 0)
        let ticks = StressMapFigure.colourBarTicks(figure.stressRange)
        #expect(ticks.first!.value == figure.stressRange.lowerBound && ticks.last!.value == figure.stressRange.upperBound)
        #expect(ticks.first!.label == String(format: "%.1f", low) && ticks.last!.label == String(format: "%.1f", high))
        #expect(ticks.dropFirst().allSatisfy { $0.value > low } && ticks.dropLast().allSatisfy { $0.value < high })
        let svg = figure.svg()
        #expect(svg.contains(">\(ticks.last!.label)</text>") && svg.contains(">\(ticks.first!.label)</text>"))
        #expect(svg.contains("class=\"deformed-lumen\"") && svg.components(separatedBy: "class=\"outline\"").count - 1 == 3)
        // The raster: wall pixels show the colour map's colour of their value; the largest
        // error shows the error map's top colour (panels at x = 12 + c·(panel + 16), y = 46).
        let image = try RGBAImage(pngData: figure.png())
        let drawing = figure.drawing()
        #expect(image.width == drawing.width && image.height == drawing.height)
        let scale = Double(figure.panel) / Double(n)
        func pixel(panel c: Int, at k: Int) -> (red: UInt8, green: UInt8, blue: UInt8, alpha: UInt8) {
            image.pixel(x: Int(12 + Double(c) * Double(figure.panel + 16) + (Double(k % n) + 0.5) * scale),
                        y: Int(46 + (Double(k / n) + 0.5) * scale))
        }
        func close(_ p: (red: UInt8, green: UInt8, blue: UInt8, alpha: UInt8), _ c: Colour) -> Bool {
            abs(Double(p.red) - c.red * 255) < 3 && abs(Double(p.green) - c.green * 255) < 3 && abs(Double(p.blue) - c.blue * 255) < 3
        }
        let hottest = masks.indices.filter { masks[$0] > 0.5 }.max { label[$0] < label[$1] }!
        #expect(close(pixel(panel: 2, at: hottest), ColourMap.magma.colour(at: 1)), "\(pixel(panel: 2, at: hottest))")
        let middle = 16 * n + 24  // row 16, column 24: r ≈ 8.5, mid-wall, away from the lumen line
        let expected = ColourMap.viridis.colour(at: (Double(label[middle]) - low) / (high - low))
        #expect(close(pixel(panel: 0, at: middle), expected), "\(pixel(panel: 0, at: middle)) vs \(expected.hex)")
        let expectedPrediction = ColourMap.viridis.colour(at: (Double(prediction[middle]) - low) / (high - low))
        #expect(close(pixel(panel: 1, at: middle), expectedPrediction))
        // Outside the wall the panel stays light grey.
        #expect(close(pixel(panel: 0, at: 0), Colour(hex: "#f2f2f2")))
    }

    @Test func imageStripShowsTheThreeImages() throws {
        // 2 selections of 4×4 greyscale images: G(p) = 0.25, G(p′) = 0.5, the neighbour = 1.
        let size = 16
        let data = LatentTrajectories(strategy: "snn", seed: 0, dimension: 2, poolCodes: [0, 0, 1, 1], poolClasses: [0, 1],
                                      seedPoints: [0, 0, 1, 1], movedPoints: [0.5, 0.5, 1.5, 1.5], rounds: [2, 2], selectedRows: [3, 4], failed: [false, false],
                                      poolIndices: [1, 0],
                                      stripRows: [0, 1], seedImages: [Float](repeating: 0.25, count: 2 * size),
                                      movedImages: [Float](repeating: 0.5, count: 2 * size),
                                      chosenImages: [Float](repeating: 1, count: 2 * size), imageShape: [1, 4, 4])
        let strip = try #require(LatentTrajectoryFigure(data: data).stripDrawing(cell: 40))
        let image = try RGBAImage(pngData: strip.rasterized().pngData())
        #expect(image.width == strip.width && image.height == strip.height)
        // Cell k of row r starts at x = 10 + k·(40 + 28), y = 40 + r·48.
        for r in 0..<2 {
            for (k, grey) in [64, 128, 255].enumerated() {
                let p = image.pixel(x: 10 + k * 68 + 20, y: 40 + r * 48 + 20)
                #expect(abs(Int(p.red) - grey) <= 1 && p.red == p.green && p.green == p.blue, "row \(r) cell \(k): \(p)")
            }
        }
    }

    @Test func reportOfARealExperiment() async throws {
        let path = try await tinyExperimentFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try HDF5File(path: path, mode: .readOnly)
        let summary = try #require(try ResultsFile.summary(of: file))
        #expect(summary.strategies == ["random", "snn"] && summary.curves["snn"]?.map(\.count) == [4, 4])
        // Latent trajectories: SNN's points, its chosen neighbours' pool codes, its image strip.
        let data = try #require(try LatentTrajectories.read(from: file, strategy: "snn", seed: 0))
        #expect(data.poolCodes.count == 300 && data.poolClasses.count == 150 && data.stripRows.count == 3)
        // G(p′) recorded for the strip is G of the recorded moved point.
        let row = try #require(data.selectedRows.firstIndex(of: data.stripRows[0]))
        let moved = AffineGenerator().generate(LatentPoints(dimension: 2, values: Array(data.movedPoints[(2 * row)..<(2 * row + 2)])))
        #expect(Array(data.movedImages[0..<2]) == moved.values)
        #expect(LatentTrajectoryFigure(data: data).stripDrawing() == nil)  // samples are 2-vectors, not images
        #expect(try LatentTrajectories.read(from: file, strategy: "random", seed: 0) == nil)
        let figure = LatentTrajectoryFigure(data: data)
        let svg = figure.svg()
        let rows = figure.drawnRows
        #expect(rows.count == 5)  // J = 5 selections in the first sampling round
        let trajectories = Self.polylinePoints(svg, group: "trajectory")
        #expect(trajectories.count == rows.count && trajectories.allSatisfy { $0.count == 2 })
        #expect(svg.components(separatedBy: "<polygon class=\"neighbour\"").count - 1 == rows.count)
        #expect(svg.components(separatedBy: "<circle class=\"pool\"").count - 1 == 150)
        // The HTML report: self-contained, with both tables and every figure.
        let report = try ResultsReport(path: path)
        let html = report.html()
        #expect(!html.contains("http://") || html.components(separatedBy: "http://").count - 1 == html.components(separatedBy: "http://www.w3.org/2000/svg").count - 1)
        #expect(!html.contains("https://") && !html.contains("src=\"/") && !html.contains("<link") && !html.contains("<script"))
        #expect(html.contains("<table id=\"table1\"") && html.contains("<table id=\"provenance\"") && html.contains("<table id=\"configuration\""))
        #expect(report.figures.map(\.name) == ["learning-curves", "latent-snn"])
        for line in summary.table().split(separator: "\n") { #expect(html.contains(escapeXML(String(line)))) }
        let folder = temporaryPath("out")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let written = try report.write(to: folder)
        #expect(written.count == 1 + 2 * 2)
        for png in written where png.hasSuffix(".png") {
            let image = try RGBAImage(pngData: Array(try Data(contentsOf: URL(fileURLWithPath: png))))
            #expect(image.width > 100 && image.height > 100)
        }
    }

    @Test func benchmarkReportHasThePairedComparisons() async throws {
        let path = try await tinyExperimentFile(benchmark: true)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try HDF5File(path: path, mode: .readOnly)
        let result = try #require(try ResultsFile.benchmarkResult(of: file))
        #expect(result.trainingSeconds["snn"]?.count == 3 && result.selectionSeconds["random"]?.allSatisfy { $0.count == 4 } == true)
        let html = try ResultsReport(path: path).html()
        #expect(html.contains("<pre id=\"benchmark\">") && html.contains(escapeXML(result.report(references: ["random"]))))
        #expect(html.contains("Paired difference from random in AULC over 3 seeds"))
        // An experiment's file has no timing matrices, hence no paired section.
        let experiment = try await tinyExperimentFile()
        defer { try? FileManager.default.removeItem(atPath: experiment) }
        #expect(try ResultsFile.benchmarkResult(of: try HDF5File(path: experiment, mode: .readOnly)) == nil)
    }

    @Test func reportOfAFileWithNothingInIt() throws {
        let path = temporaryPath("empty.h5")
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try HDF5File(path: path, mode: .truncate)
        #expect(throws: ReportError.nothingToReport(file: path)) { try ResultsReport(path: path) }
    }
}
