import Foundation
import ImageFiles

/// An sRGB colour with opacity, components in 0…1.
public struct Colour: Sendable, Hashable {
    /// Red, green and blue, 0…1.
    public var red: Double, green: Double, blue: Double
    /// Opacity, 0 (transparent) … 1 (opaque).
    public var opacity: Double

    /// A colour from its components.
    public init(red: Double, green: Double, blue: Double, opacity: Double = 1) {
        self.red = red; self.green = green; self.blue = blue; self.opacity = opacity
    }

    /// A colour from `#rrggbb`.
    public init(hex: String, opacity: Double = 1) {
        let digits = hex.hasPrefix("#") ? String(hex.dropFirst()) : hex
        let value = Int(digits, radix: 16) ?? 0
        self.init(red: Double((value >> 16) & 0xFF) / 255, green: Double((value >> 8) & 0xFF) / 255,
                  blue: Double(value & 0xFF) / 255, opacity: opacity)
    }

    /// The same colour with another opacity.
    public func withOpacity(_ opacity: Double) -> Colour { Colour(red: red, green: green, blue: blue, opacity: opacity) }

    /// `#rrggbb`.
    public var hex: String {
        func byte(_ v: Double) -> Int { Int((min(max(v, 0), 1) * 255).rounded()) }
        return String(format: "#%02x%02x%02x", byte(red), byte(green), byte(blue))
    }

    /// Black, white and greys used by the figures.
    public static let black = Colour(red: 0, green: 0, blue: 0), white = Colour(red: 1, green: 1, blue: 1)
    static let axis = Colour(hex: "#333333"), grid = Colour(hex: "#e6e6e6"), faint = Colour(hex: "#999999")

    /// Colour-blind-safe colours for categories (Okabe–Ito, then Tableau), cycled.
    public static func category(_ index: Int) -> Colour {
        let palette = ["#000000", "#E69F00", "#56B4E9", "#009E73", "#D55E00", "#0072B2", "#CC79A7",
                       "#F0E442", "#8C564B", "#7F7F7F", "#BCBD22", "#17BECF", "#9467BD", "#E377C2"]
        return Colour(hex: palette[((index % palette.count) + palette.count) % palette.count])
    }
}

/// A point in figure coordinates: pixels from the top-left corner, y down.
public typealias FigurePoint = SIMD2<Double>

/// A vector figure: shapes, raster images and text on a white page, written as SVG or
/// rasterized to PNG by the same description (so both show the same thing).
///
/// Text is drawn in a fixed-width bitmap font when rasterized (6 × 13 pixels a character,
/// X11 misc-fixed) and in a monospace font of the same advance in SVG.
public struct Drawing: Sendable {
    /// Width and height, in pixels.
    public let width: Int, height: Int
    /// The elements, drawn in order (later on top; text on top of everything when rasterized).
    public private(set) var elements: [Element] = []

    /// How text is placed relative to its anchor point.
    public enum TextAnchor: String, Sendable { case start, middle, end }

    /// One element of a drawing.
    public enum Element: Sendable {
        /// A filled polygon.
        case polygon([FigurePoint], fill: Colour, group: String?)
        /// An open polyline of `width` pixels.
        case polyline([FigurePoint], stroke: Colour, width: Double, group: String?)
        /// Separate straight segments (pairs of points) of one stroke, as one SVG path.
        case segments([FigurePoint], stroke: Colour, width: Double, group: String?)
        /// A disc, optionally outlined.
        case circle(FigurePoint, radius: Double, fill: Colour, stroke: Colour?, group: String?)
        /// Text with its baseline at the point; rotated −90° (reading upward) when `vertical`.
        case text(String, FigurePoint, anchor: TextAnchor, colour: Colour, vertical: Bool)
        /// A raster image scaled (nearest neighbour) into a rectangle (x, y, width, height).
        case image(RGBAImage, frame: SIMD4<Double>)
    }

    /// Horizontal advance of one character, in pixels (raster font and SVG alike).
    public static let characterWidth = 6.0
    /// Height of a text line, in pixels.
    public static let lineHeight = 13.0

    /// An empty drawing.
    public init(width: Int, height: Int) {
        precondition(width > 0 && height > 0, "Drawing: width and height must be positive")
        self.width = width
        self.height = height
    }

    /// The width of `text` in pixels.
    public static func textWidth(_ text: String) -> Double { Double(text.count) * characterWidth }

    /// Adds a filled polygon.
    public mutating func polygon(_ points: [FigurePoint], fill: Colour, group: String? = nil) {
        elements.append(.polygon(points, fill: fill, group: group))
    }

    /// Adds a filled rectangle.
    public mutating func rectangle(x: Double, y: Double, width: Double, height: Double, fill: Colour) {
        polygon([FigurePoint(x, y), FigurePoint(x + width, y), FigurePoint(x + width, y + height), FigurePoint(x, y + height)], fill: fill)
    }

    /// Adds a rectangle's outline.
    public mutating func frame(x: Double, y: Double, width: Double, height: Double, stroke: Colour, lineWidth: Double = 1) {
        polyline([FigurePoint(x, y), FigurePoint(x + width, y), FigurePoint(x + width, y + height), FigurePoint(x, y + height),
                  FigurePoint(x, y)], stroke: stroke, width: lineWidth)
    }

    /// Adds a polyline.
    public mutating func polyline(_ points: [FigurePoint], stroke: Colour, width: Double = 1, group: String? = nil) {
        elements.append(.polyline(points, stroke: stroke, width: width, group: group))
    }

    /// Adds separate segments: points 2i and 2i + 1 are the ends of segment i.
    public mutating func segments(_ ends: [FigurePoint], stroke: Colour, width: Double = 1, group: String? = nil) {
        precondition(ends.count.isMultiple(of: 2), "Drawing.segments: an odd number of segment ends")
        elements.append(.segments(ends, stroke: stroke, width: width, group: group))
    }

    /// Adds a straight line.
    public mutating func line(from a: FigurePoint, to b: FigurePoint, stroke: Colour, width: Double = 1) {
        polyline([a, b], stroke: stroke, width: width)
    }

    /// Adds a disc.
    public mutating func circle(_ centre: FigurePoint, radius: Double, fill: Colour, stroke: Colour? = nil, group: String? = nil) {
        elements.append(.circle(centre, radius: radius, fill: fill, stroke: stroke, group: group))
    }

    /// Adds one line of text.
    public mutating func text(_ string: String, at point: FigurePoint, anchor: TextAnchor = .start,
                              colour: Colour = .black, vertical: Bool = false) {
        elements.append(.text(string, point, anchor: anchor, colour: colour, vertical: vertical))
    }

    /// Adds a raster image scaled into a rectangle.
    public mutating func image(_ image: RGBAImage, x: Double, y: Double, width: Double, height: Double) {
        elements.append(.image(image, frame: SIMD4(x, y, width, height)))
    }

    // MARK: SVG

    /// The SVG document. Elements drawn for a named group carry `class="<group>"`.
    public func svg() -> String {
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        func points(_ p: [FigurePoint]) -> String { p.map { "\(f($0.x)),\(f($0.y))" }.joined(separator: " ") }
        func fill(_ c: Colour) -> String { "fill=\"\(c.hex)\"" + (c.opacity < 1 ? " fill-opacity=\"\(String(format: "%.3g", c.opacity))\"" : "") }
        func stroke(_ c: Colour) -> String { "stroke=\"\(c.hex)\"" + (c.opacity < 1 ? " stroke-opacity=\"\(String(format: "%.3g", c.opacity))\"" : "") }
        func cls(_ g: String?) -> String { g.map { " class=\"\(escapeXML($0))\"" } ?? "" }
        var out = ["<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" "
            + "viewBox=\"0 0 \(width) \(height)\" font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" font-size=\"10\">",
            "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>"]
        for element in elements {
            switch element {
            case let .polygon(p, c, g):
                out.append("<polygon\(cls(g)) points=\"\(points(p))\" \(fill(c)) stroke=\"none\"/>")
            case let .polyline(p, c, w, g):
                out.append("<polyline\(cls(g)) points=\"\(points(p))\" fill=\"none\" \(stroke(c)) stroke-width=\"\(f(w))\" stroke-linejoin=\"round\" stroke-linecap=\"round\"/>")
            case let .segments(p, c, w, g):
                let d = stride(from: 0, to: p.count, by: 2).map { "M\(f(p[$0].x)) \(f(p[$0].y))L\(f(p[$0 + 1].x)) \(f(p[$0 + 1].y))" }
                out.append("<path\(cls(g)) d=\"\(d.joined())\" fill=\"none\" \(stroke(c)) stroke-width=\"\(f(w))\" stroke-linecap=\"square\"/>")
            case let .circle(p, r, c, s, g):
                out.append("<circle\(cls(g)) cx=\"\(f(p.x))\" cy=\"\(f(p.y))\" r=\"\(f(r))\" \(fill(c))" + (s.map { " \(stroke($0))" } ?? "") + "/>")
            case let .text(s, p, anchor, c, vertical):
                let transform = vertical ? " transform=\"rotate(-90 \(f(p.x)) \(f(p.y)))\"" : ""
                out.append("<text x=\"\(f(p.x))\" y=\"\(f(p.y))\" text-anchor=\"\(anchor.rawValue)\"\(transform)"
                    + (c == .black ? "" : " \(fill(c))") + ">\(escapeXML(s))</text>")
            case let .image(image, r):
                out.append("<image x=\"\(f(r[0]))\" y=\"\(f(r[1]))\" width=\"\(f(r[2]))\" height=\"\(f(r[3]))\" "
                    + "preserveAspectRatio=\"none\" style=\"image-rendering:pixelated\" "
                    + "href=\"data:image/png;base64,\(Data(image.pngData()).base64EncodedString())\"/>")
            }
        }
        out.append("</svg>")
        return out.joined(separator: "\n") + "\n"
    }

    // MARK: Raster

    /// The drawing as an image: shapes and images anti-aliased by 3 × 3 supersampling,
    /// then text in the bitmap font.
    public func rasterized() -> RGBAImage {
        var canvas = SupersampledCanvas(width: width, height: height, factor: 3)
        for element in elements {
            switch element {
            case let .polygon(p, c, _): canvas.fillPolygon(p, colour: c)
            case let .polyline(p, c, w, _): canvas.strokePolyline(p, colour: c, width: w)
            case let .segments(p, c, w, _):
                for i in stride(from: 0, to: p.count, by: 2) { canvas.strokePolyline([p[i], p[i + 1]], colour: c, width: w) }
            case let .circle(p, r, c, s, _):
                canvas.fillCircle(p, radius: r, colour: c)
                if let s { canvas.strokeCircle(p, radius: r, colour: s, width: 1) }
            case let .image(image, r): canvas.drawImage(image, frame: r)
            case .text: break
            }
        }
        var image = canvas.downsampled()
        for case let .text(s, p, anchor, c, vertical) in elements {
            BitmapFont.draw(s, at: p, anchor: anchor, colour: c, vertical: vertical, into: &image)
        }
        return image
    }
}

/// `text` with XML's special characters escaped.
public func escapeXML(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}

/// An RGB canvas at `factor`× the target resolution, blended in linear 0…1 values.
struct SupersampledCanvas {
    let width: Int, height: Int, factor: Int
    var values: [Float]

    init(width: Int, height: Int, factor: Int) {
        self.width = width * factor
        self.height = height * factor
        self.factor = factor
        values = [Float](repeating: 1, count: self.width * self.height * 3)
    }

    @inline(__always) mutating func blend(_ x: Int, _ y: Int, _ c: Colour, _ alpha: Double) {
        let k = 3 * (y * width + x), a = Float(alpha)
        values[k] += (Float(c.red) - values[k]) * a
        values[k + 1] += (Float(c.green) - values[k + 1]) * a
        values[k + 2] += (Float(c.blue) - values[k + 2]) * a
    }

    /// Fills a polygon (even–odd rule) at sample centres.
    mutating func fillPolygon(_ points: [FigurePoint], colour: Colour) {
        guard points.count >= 3 else { return }
        let s = Double(factor)
        let p = points.map { $0 * s }
        let minY = max(0, Int(p.map(\.y).min()!.rounded(.down))), maxY = min(height - 1, Int(p.map(\.y).max()!.rounded(.up)))
        guard minY <= maxY else { return }
        var crossings: [Double] = []
        for y in minY...maxY {
            let sy = Double(y) + 0.5
            crossings.removeAll(keepingCapacity: true)
            for i in 0..<p.count {
                let a = p[i], b = p[(i + 1) % p.count]
                if (a.y <= sy && b.y > sy) || (b.y <= sy && a.y > sy) {
                    crossings.append(a.x + (sy - a.y) / (b.y - a.y) * (b.x - a.x))
                }
            }
            crossings.sort()
            var i = 0
            while i + 1 < crossings.count {
                let x0 = max(0, Int((crossings[i] - 0.5).rounded(.up))), x1 = min(width - 1, Int((crossings[i + 1] - 0.5).rounded(.down)))
                if x0 <= x1 { for x in x0...x1 { blend(x, y, colour, colour.opacity) } }
                i += 2
            }
        }
    }

    /// Strokes a polyline as quads per segment with round joins.
    mutating func strokePolyline(_ points: [FigurePoint], colour: Colour, width: Double) {
        let half = max(width, 0.7) / 2
        for i in 0..<max(0, points.count - 1) {
            let a = points[i], b = points[i + 1], d = b - a
            let length = (d * d).sum().squareRoot()
            guard length > 1e-9 else { continue }
            let n = FigurePoint(-d.y, d.x) / length * half
            fillPolygon([a + n, b + n, b - n, a - n], colour: colour)
        }
        if width > 1.5 { for p in points { fillCircle(p, radius: half, colour: colour) } }
    }

    /// Fills a disc.
    mutating func fillCircle(_ centre: FigurePoint, radius: Double, colour: Colour) {
        ring(centre, inner: -1, outer: radius, colour: colour)
    }

    /// Strokes a circle.
    mutating func strokeCircle(_ centre: FigurePoint, radius: Double, colour: Colour, width: Double) {
        ring(centre, inner: radius - width / 2, outer: radius + width / 2, colour: colour)
    }

    private mutating func ring(_ centre: FigurePoint, inner: Double, outer: Double, colour: Colour) {
        let s = Double(factor), c = centre * s, r0 = inner * s, r1 = outer * s
        let x0 = max(0, Int(c.x - r1)), x1 = min(width - 1, Int(c.x + r1) + 1)
        let y0 = max(0, Int(c.y - r1)), y1 = min(height - 1, Int(c.y + r1) + 1)
        guard x0 <= x1, y0 <= y1 else { return }
        for y in y0...y1 {
            for x in x0...x1 {
                let dx = Double(x) + 0.5 - c.x, dy = Double(y) + 0.5 - c.y
                let r2 = dx * dx + dy * dy
                if r2 <= r1 * r1 && (r0 < 0 || r2 >= r0 * r0) { blend(x, y, colour, colour.opacity) }
            }
        }
    }

    /// Draws an image scaled (nearest neighbour) into a rectangle, alpha-blended.
    mutating func drawImage(_ image: RGBAImage, frame r: SIMD4<Double>) {
        let s = Double(factor)
        let x0 = max(0, Int((r[0] * s).rounded())), x1 = min(width, Int(((r[0] + r[2]) * s).rounded()))
        let y0 = max(0, Int((r[1] * s).rounded())), y1 = min(height, Int(((r[1] + r[3]) * s).rounded()))
        guard x0 < x1, y0 < y1 else { return }
        for y in y0..<y1 {
            let v = min(image.height - 1, max(0, Int((Double(y) + 0.5 - r[1] * s) / (r[3] * s) * Double(image.height))))
            for x in x0..<x1 {
                let u = min(image.width - 1, max(0, Int((Double(x) + 0.5 - r[0] * s) / (r[2] * s) * Double(image.width))))
                let p = image.pixel(x: u, y: v)
                guard p.alpha > 0 else { continue }
                blend(x, y, Colour(red: Double(p.red) / 255, green: Double(p.green) / 255, blue: Double(p.blue) / 255),
                      Double(p.alpha) / 255)
            }
        }
    }

    /// The box-filtered image at the target resolution.
    func downsampled() -> RGBAImage {
        let w = width / factor, h = height / factor, n = Float(factor * factor)
        var pixels = [UInt8](repeating: 255, count: w * h * 4)
        for y in 0..<h {
            for x in 0..<w {
                var sum = SIMD3<Float>(0, 0, 0)
                for dy in 0..<factor {
                    for dx in 0..<factor {
                        let k = 3 * ((y * factor + dy) * width + x * factor + dx)
                        sum += SIMD3(values[k], values[k + 1], values[k + 2])
                    }
                }
                let mean = sum / n
                for c in 0..<3 { pixels[4 * (y * w + x) + c] = UInt8(min(max(mean[c] * 255, 0), 255).rounded()) }
            }
        }
        return RGBAImage(width: w, height: h, pixels: pixels)
    }
}
