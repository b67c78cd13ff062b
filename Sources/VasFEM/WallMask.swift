/// A vessel-wall segmentation mask: 1 = vessel wall, 0 = lumen and background.
///
/// Pixels are stored row-major. The initializer accepts anything, so that a bad
/// sample can be reported as a typed ``MaskError`` by ``validate(rows:columns:)``
/// instead of failing a whole batch.
public struct WallMask: Sendable, Hashable {
    /// The number of rows (image height).
    public var rows: Int
    /// The number of columns (image width).
    public var columns: Int
    /// The pixel values, row-major; valid masks hold only 0 and 1.
    public var pixels: [UInt8]

    /// Creates a mask from row-major pixel values.
    public init(rows: Int, columns: Int, pixels: [UInt8]) {
        self.rows = rows
        self.columns = columns
        self.pixels = pixels
    }

    /// Creates a mask by evaluating `isWall(row, column)` at every pixel.
    public init(rows: Int, columns: Int, isWall: (Int, Int) -> Bool) {
        self.init(rows: rows, columns: columns,
                  pixels: (0..<(rows * columns)).map { isWall($0 / columns, $0 % columns) ? 1 : 0 })
    }

    /// The pixel at (row, column).
    public subscript(row: Int, column: Int) -> UInt8 { pixels[row * columns + column] }

    /// The number of wall pixels.
    public var wallPixelCount: Int { pixels.reduce(0) { $0 + ($1 == 1 ? 1 : 0) } }

    /// Checks that the mask is a single annulus-like wall around a single lumen.
    ///
    /// Wall components use 8-connectivity and the non-wall region 4-connectivity
    /// (the usual dual pair, so that a diagonal wall step does not open the lumen).
    ///
    /// - Throws: ``MaskError``, the first problem found, in the order of its cases.
    public func validate(rows expectedRows: Int = 64, columns expectedColumns: Int = 64) throws(MaskError) {
        guard rows == expectedRows, columns == expectedColumns, pixels.count == rows * columns else {
            throw .wrongShape(expectedRows: expectedRows, expectedColumns: expectedColumns, rows: rows, columns: columns, pixelCount: pixels.count)
        }
        if let k = pixels.firstIndex(where: { $0 > 1 }) { throw .invalidValue(pixels[k], row: k / columns, column: k % columns) }
        let wall = wallPixelCount
        if wall == 0 { throw .empty }
        if wall == pixels.count { throw .allWall }
        for r in 0..<rows {
            for c in 0..<columns where (r == 0 || c == 0 || r == rows - 1 || c == columns - 1) && self[r, c] == 1 {
                throw .touchesBorder(row: r, column: c)
            }
        }
        let wallComponents = labelComponents(of: 1, diagonal: true).count
        if wallComponents > 1 { throw .severalWallComponents(wallComponents) }
        // Non-wall components: the one touching the border is the background, the others are holes.
        let holes = labelComponents(of: 0, diagonal: false).count - 1
        if holes == 0 { throw .noLumen }
        if holes > 1 { throw .severalLumens(holes) }
    }

    /// The connected components of pixels equal to `value` (as lists of pixel indices).
    func labelComponents(of value: UInt8, diagonal: Bool) -> [[Int]] {
        var seen = [Bool](repeating: false, count: pixels.count)
        var components: [[Int]] = []
        let steps = diagonal ? [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)] : [(-1, 0), (1, 0), (0, -1), (0, 1)]
        for start in 0..<pixels.count where pixels[start] == value && !seen[start] {
            var stack = [start], members: [Int] = []
            seen[start] = true
            while let k = stack.popLast() {
                members.append(k)
                let r = k / columns, c = k % columns
                for (dr, dc) in steps {
                    let rr = r + dr, cc = c + dc
                    guard rr >= 0, rr < rows, cc >= 0, cc < columns else { continue }
                    let j = rr * columns + cc
                    if pixels[j] == value && !seen[j] { seen[j] = true; stack.append(j) }
                }
            }
            components.append(members)
        }
        return components
    }
}

/// What is wrong with a mask. Each case names the problem; the labeler reports it
/// for that sample alone.
public enum MaskError: Error, Equatable, CustomStringConvertible {
    /// The mask is not rows × columns as expected (or its pixel count does not match its shape).
    case wrongShape(expectedRows: Int, expectedColumns: Int, rows: Int, columns: Int, pixelCount: Int)
    /// A pixel holds a value other than 0 or 1.
    case invalidValue(UInt8, row: Int, column: Int)
    /// No wall pixel at all.
    case empty
    /// Every pixel is wall (no lumen, no background).
    case allWall
    /// The wall reaches the image border, so its outer contour is cut off.
    case touchesBorder(row: Int, column: Int)
    /// The wall is made of several separate pieces (8-connected components).
    case severalWallComponents(Int)
    /// The wall encloses no lumen (no hole).
    case noLumen
    /// The wall encloses several separate holes (4-connected components).
    case severalLumens(Int)

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .wrongShape(let er, let ec, let r, let c, let n): "mask shape \(r)×\(c) with \(n) pixels; expected \(er)×\(ec)"
        case .invalidValue(let v, let r, let c): "pixel (\(r), \(c)) is \(v); a mask holds only 0 (lumen, background) and 1 (wall)"
        case .empty: "the mask has no wall pixels"
        case .allWall: "every pixel is wall; there is no lumen"
        case .touchesBorder(let r, let c): "the wall touches the image border at pixel (\(r), \(c))"
        case .severalWallComponents(let n): "the wall has \(n) separate components; expected one"
        case .noLumen: "the wall encloses no lumen"
        case .severalLumens(let n): "the wall encloses \(n) separate holes; expected one lumen"
        }
    }
}
