/// Convolution by shifted views, without im2col.
///
/// A chunk of `batch` samples is stored channel-major and zero-padded: channel c of sample
/// b is the Hp×Wp plane that starts at `c·columns + b·Hp·Wp`, with `columns = batch·Hp·Wp`.
/// Read as a matrix of `channels` rows and `columns` entries per row, and shifted by
/// i·Wp + j, that buffer *is* the im2col block of kernel tap (i, j), evaluated at every
/// padded position (positions whose window runs off the plane are junk: the caller drops
/// them, or zeroes them where they would enter a sum). A stride-1 convolution is then kh·kw
/// matrix products
///
///     Y (C_out × columns) += W_tap (C_out × C_in) · X_shifted (C_in × columns),
///
/// and its weight gradient kh·kw products dW_tap += dY · X_shiftedᵀ, with no im2col copy.
///
/// With few channels those products are thin (inner dimension C_in), so the layout can
/// also *unfold* each kernel row: channel c then takes kw rows, row (c, j) holding the
/// padded planes shifted by j. One product per kernel row i, with inner dimension C_in·kw,
/// replaces kw products: a kw-fold copy of a small input buys well-shaped products.
///
/// The columns are split over the engine's threads; each thread walks its share in blocks
/// small enough for the block of Y to stay in cache across the products.
struct ShiftedLayout {
    /// Planes per sample, samples in the chunk, and the unpadded plane size.
    let channels, batch, height, width: Int
    /// Zeros above and below (`padTop`), left and right (`padLeft`) of every plane.
    let padTop, padLeft: Int
    /// Kernel size.
    let kernelHeight, kernelWidth: Int
    /// Rows per channel: 1, or `kernelWidth` when kernel rows are unfolded.
    let unfold: Int

    init(channels: Int, batch: Int, height: Int, width: Int, padTop: Int, padLeft: Int,
         kernelHeight: Int, kernelWidth: Int) {
        self.channels = channels; self.batch = batch; self.height = height; self.width = width
        self.padTop = padTop; self.padLeft = padLeft
        self.kernelHeight = kernelHeight; self.kernelWidth = kernelWidth
        // Unfold inputs of at most 8 channels. Measured (engine-bench, 2 threads): LeNet's
        // 1- and 6-channel convolutions gain 10–15 %, while unfolding the IVUS net's
        // 16-channel layers as well cost it about 10 % (the copy outweighs the better shape).
        unfold = kernelWidth > 1 && channels <= 8 ? kernelWidth : 1
    }

    var paddedHeight: Int { height + 2 * padTop }
    var paddedWidth: Int { width + 2 * padLeft }
    var plane: Int { paddedHeight * paddedWidth }
    /// Entries per row: every padded position of every sample.
    var columns: Int { batch * plane }
    /// Rows and columns of the (stride-1) output that are not junk.
    var outputHeight: Int { paddedHeight - kernelHeight + 1 }
    var outputWidth: Int { paddedWidth - kernelWidth + 1 }
    /// Inner dimension of each product (rows of the buffer): channels · unfold.
    var depth: Int { channels * unfold }
    /// Products per convolution: one per group of `unfold` neighbouring taps of a kernel row.
    var groups: Int { kernelHeight * (kernelWidth / unfold) }
    /// Floats of a padded buffer: its rows plus slack for the last product's overhang.
    var bufferCount: Int { depth * columns + (kernelHeight - 1) * paddedWidth + kernelWidth }

    /// Kernel row and first kernel column of product `g`.
    @inline(__always)
    func groupTap(_ g: Int) -> (row: Int, column: Int) {
        let perRow = kernelWidth / unfold
        return (g / perRow, (g % perRow) * unfold)
    }

    /// Offset of product `g`'s view in the padded layout.
    @inline(__always)
    func groupOffset(_ g: Int) -> Int {
        let (i, j) = groupTap(g)
        return i * paddedWidth + j
    }

    /// Kernel matrices for the products: a [groups, rows, depth] array whose entry
    /// (g, r, c·unfold + u) is `weight(r, c, i, j)` for tap (i, j) = product g's row and
    /// first column + u.
    func groupedWeights(rows: Int, _ weight: (Int, Int, Int, Int) -> Float) -> [Float] {
        var out = uninitializedFloats(groups * rows * depth)
        for g in 0..<groups {
            let (i, j0) = groupTap(g)
            for r in 0..<rows {
                for c in 0..<channels {
                    for u in 0..<unfold {
                        out[(g * rows + r) * depth + c * unfold + u] = weight(r, c, i, j0 + u)
                    }
                }
            }
        }
        return out
    }

    /// Calls `body(r, c, i, j, value)` for every entry of a [groups, rows, depth] array
    /// laid out like ``groupedWeights(rows:_:)``'s result (the inverse mapping).
    func forEachGroupedEntry(_ grouped: [Float], rows: Int, _ body: (Int, Int, Int, Int, Float) -> Void) {
        for g in 0..<groups {
            let (i, j0) = groupTap(g)
            for r in 0..<rows {
                for c in 0..<channels {
                    for u in 0..<unfold {
                        body(r, c, i, j0 + u, grouped[(g * rows + r) * depth + c * unfold + u])
                    }
                }
            }
        }
    }

    /// Writes `batch` NCHW samples of `channels`×`height`×`width` values into `buffer`, in
    /// this layout's plane geometry with their top-left corner at (`top`, `left`), channel c
    /// on row c·`rowSpacing`; the rest of those rows is set to zero. With `rowSpacing` 1
    /// this is the layout of a product or an output gradient (`rows × columns`).
    func place(
        _ x: UnsafePointer<Float>, channels c: Int, height h: Int, width w: Int, top: Int, left: Int,
        rowSpacing: Int, into buffer: UnsafeMutablePointer<Float>
    ) {
        let wp = paddedWidth, hp = paddedHeight, plane = self.plane, columns = self.columns, batch = self.batch
        parallelRanges(c, costPerItem: columns) { rows in
            for ch in rows {
                for b in 0..<batch {
                    let dst = buffer + ch * rowSpacing * columns + b * plane
                    let src = x + (b * c + ch) * h * w
                    dst.update(repeating: 0, count: top * wp)
                    let right = wp - left - w
                    for r in 0..<h {
                        let d = dst + (top + r) * wp
                        for j in 0..<left { d[j] = 0 }
                        if w >= 32 {
                            (d + left).update(from: src + r * w, count: w)  // memcpy
                        } else {
                            copyShortRun(d + left, src + r * w, count: w)
                        }
                        for j in 0..<right { d[left + w + j] = 0 }
                    }
                    (dst + (top + h) * wp).update(repeating: 0, count: (hp - top - h) * wp)
                }
            }
        }
    }

    /// Writes samples as the padded input of the products: ``place`` on rows c·unfold,
    /// then ``completeUnfolding(_:)``.
    func placeInput(_ x: UnsafePointer<Float>, into buffer: UnsafeMutablePointer<Float>) {
        place(x, channels: channels, height: height, width: width, top: padTop, left: padLeft,
              rowSpacing: unfold, into: buffer)
        completeUnfolding(buffer)
    }

    /// Given rows c·unfold (the padded planes of channel c), fills rows c·unfold + u with
    /// the same planes shifted by u, and zeroes the slack after the last row.
    func completeUnfolding(_ buffer: UnsafeMutablePointer<Float>) {
        let columns = self.columns, unfold = self.unfold
        if unfold > 1 {
            parallelRanges(channels, costPerItem: columns * (unfold - 1)) { rows in
                for ch in rows {
                    let first = buffer + ch * unfold * columns
                    for u in 1..<unfold {
                        let row = first + u * columns
                        row.update(from: first + u, count: columns - u)
                        (row + columns - u).update(repeating: 0, count: u)
                    }
                }
            }
        }
        (buffer + depth * columns).update(repeating: 0, count: bufferCount - depth * columns)
    }

    /// Reads the top-left `height`×`width` corner of every plane of a [rows, columns]
    /// product back into NCHW `y` ([batch, rows, height, width]), adding `bias[row]` if given.
    func extract(
        _ product: UnsafePointer<Float>, rows: Int, height h: Int, width w: Int,
        bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>
    ) {
        let wp = paddedWidth, plane = self.plane, columns = self.columns, batch = self.batch
        parallelRanges(batch * rows, costPerItem: h * w) { items in
            for item in items {
                let b = item / rows, ch = item % rows
                let src = product + ch * columns + b * plane
                let dst = y + item * h * w
                if let bias {
                    let v = bias[ch]
                    for r in 0..<h {
                        let s = src + r * wp, d = dst + r * w
                        for j in 0..<w { d[j] = s[j] + v }
                    }
                } else {
                    for r in 0..<h { copyShortRun(dst + r * w, src + r * wp, count: w) }
                }
            }
        }
    }
}

/// Splits `columns` over the engine's threads (when `costPerColumn · columns` is worth it)
/// and calls `body(part, block)` for blocks of at most `blockColumns` columns, in order
/// within each part. Parts run concurrently; `part` < the returned part count.
@discardableResult
func forEachColumnBlock(
    _ columns: Int, blockColumns: Int, costPerColumn: Int, _ body: (Int, Range<Int>) -> Void
) -> Int {
    let threads = BLASThreads.current
    let parts = threads > 1 && columns * costPerColumn >= parallelProductThreshold && columns >= 64 * threads
        ? threads : 1
    concurrentBlocks(parts, costPerBlock: parts > 1 ? parallelProductThreshold : 0) { part in
        let lo = columns * part / parts, hi = columns * (part + 1) / parts
        var c0 = lo
        while c0 < hi {
            let c1 = Swift.min(hi, c0 + blockColumns)
            body(part, c0..<c1)
            c0 = c1
        }
    }
    return parts
}

/// Columns per block such that a block of `rows` output rows takes about 128 KiB.
@inline(__always)
func blockColumns(rows: Int) -> Int {
    Swift.min(8192, Swift.max(256, (32_768 / Swift.max(1, rows) + 15) / 16 * 16))
}

/// product (rows × columns) = Σ_g weights[g] · view_g(input), plus its old value when
/// `accumulate`: the forward pass of a stride-1 convolution. `weights` is [groups, rows,
/// depth] (see ``ShiftedLayout/groupedWeights(rows:_:)``).
func accumulateTapProducts(
    _ l: ShiftedLayout, input: UnsafePointer<Float>, weights: UnsafePointer<Float>, rows: Int,
    into product: UnsafeMutablePointer<Float>, accumulate: Bool
) {
    let depth = l.depth, columns = l.columns, groups = l.groups
    forEachColumnBlock(columns, blockColumns: blockColumns(rows: rows), costPerColumn: rows * depth * groups) { _, block in
        for g in 0..<groups {
            serialSgemm(transposeA: false, transposeB: false, m: rows, n: block.count, k: depth,
                        a: weights + g * rows * depth, lda: depth,
                        b: input + l.groupOffset(g) + block.lowerBound, ldb: columns,
                        beta: g == 0 && !accumulate ? 0 : 1, c: product + block.lowerBound, ldc: columns)
        }
    }
}

/// Returns Σ over columns of gradient · view_g(input)ᵀ for every product g, as a
/// [groups, rows, depth] array: the weight gradient of a stride-1 convolution whose output
/// gradient `gradient` (rows × columns) is zero at every junk position.
func tapWeightGradients(
    _ l: ShiftedLayout, input: UnsafePointer<Float>, gradient: UnsafePointer<Float>, rows: Int
) -> [Float] {
    let depth = l.depth, columns = l.columns, groups = l.groups, size = groups * rows * depth
    let threads = BLASThreads.current
    var partial = [Float](repeating: 0, count: threads * size)
    let parts = partial.withUnsafeMutableBufferPointer { pp in
        let base = pp.baseAddress!
        return forEachColumnBlock(columns, blockColumns: blockColumns(rows: Swift.max(rows, depth)),
                                  costPerColumn: rows * depth * groups) { part, block in
            let acc = base + part * size
            for g in 0..<groups {
                serialSgemm(transposeA: false, transposeB: true, m: rows, n: depth, k: block.count,
                            a: gradient + block.lowerBound, lda: columns,
                            b: input + l.groupOffset(g) + block.lowerBound, ldb: columns,
                            beta: 1, c: acc + g * rows * depth, ldc: depth)
            }
        }
    }
    if parts == 1 { return Array(partial[0..<size]) }
    var total = Array(partial[0..<size])
    total.withUnsafeMutableBufferPointer { tp in
        partial.withUnsafeBufferPointer { pp in
            for part in 1..<parts { addVectors(tp.baseAddress!, pp.baseAddress! + part * size, count: size) }
        }
    }
    return total
}

/// Samples per chunk so that a buffer of `rows` padded planes stays under about 16 MiB.
@inline(__always)
func samplesPerChunk(batch n: Int, rows: Int, plane: Int) -> Int {
    Swift.max(1, Swift.min(n, (1 << 22) / Swift.max(1, rows * plane)))
}

// MARK: Stride-1 convolution

/// y = W ⋆ x (+ bias) for stride 1 and `padding` p on all sides: x [N, C_in, H, W],
/// W [C_out, C_in, kh, kw] → [N, C_out, H + 2p − kh + 1, W + 2p − kw + 1].
func shiftedConvolution(_ x: Tensor, weight: Tensor, bias: Tensor?, padding p: Int) -> [Float] {
    let n = x.shape[0], cIn = x.shape[1], h = x.shape[2], w = x.shape[3]
    let cOut = weight.shape[0], kh = weight.shape[2], kw = weight.shape[3]
    let ho = h + 2 * p - kh + 1, wo = w + 2 * p - kw + 1
    func layout(_ nb: Int) -> ShiftedLayout {
        ShiftedLayout(channels: cIn, batch: nb, height: h, width: w, padTop: p, padLeft: p,
                      kernelHeight: kh, kernelWidth: kw)
    }
    let chunk = samplesPerChunk(batch: n, rows: Swift.max(layout(1).depth, cOut), plane: layout(1).plane)
    let weights = weight.scalars.withUnsafeBufferPointer { wp in
        layout(1).groupedWeights(rows: cOut) { co, ci, i, j in wp[((co * cIn + ci) * kh + i) * kw + j] }
    }
    var y = uninitializedFloats(n * cOut * ho * wo)
    var buffer: [Float] = [], product: [Float] = []
    var n0 = 0
    while n0 < n {
        let nb = Swift.min(chunk, n - n0)
        let l = layout(nb)
        if buffer.count < l.bufferCount { buffer = uninitializedFloats(l.bufferCount) }
        if product.count < cOut * l.columns { product = uninitializedFloats(cOut * l.columns) }
        x.scalars.withUnsafeBufferPointer { xp in
            buffer.withUnsafeMutableBufferPointer { bp in
                product.withUnsafeMutableBufferPointer { pp in
                    weights.withUnsafeBufferPointer { wp in
                        y.withUnsafeMutableBufferPointer { yp in
                            l.placeInput(xp.baseAddress! + n0 * cIn * h * w, into: bp.baseAddress!)
                            accumulateTapProducts(l, input: bp.baseAddress!, weights: wp.baseAddress!, rows: cOut,
                                                  into: pp.baseAddress!, accumulate: false)
                            let product = UnsafePointer(pp.baseAddress!), out = yp.baseAddress! + n0 * cOut * ho * wo
                            if let bias {
                                bias.scalars.withUnsafeBufferPointer { bp in
                                    l.extract(product, rows: cOut, height: ho, width: wo, bias: bp.baseAddress!, into: out)
                                }
                            } else {
                                l.extract(product, rows: cOut, height: ho, width: wo, bias: nil, into: out)
                            }
                        }
                    }
                }
            }
        }
        n0 += nb
    }
    return y
}

/// ∂L/∂x and ∂L/∂W of ``shiftedConvolution(_:weight:bias:padding:)`` for the output
/// gradient `dy` (each only when asked for). ∂L/∂x is the convolution of dy, padded by
/// k − 1 − p, with the flipped, channel-transposed kernel; it needs p ≤ k − 1.
func shiftedConvolutionGradients(
    _ dy: Tensor, input x: Tensor, weight: Tensor, padding p: Int, needInput: Bool, needWeight: Bool
) -> (input: [Float], weight: [Float]) {
    let n = x.shape[0], cIn = x.shape[1], h = x.shape[2], w = x.shape[3]
    let cOut = weight.shape[0], kh = weight.shape[2], kw = weight.shape[3]
    let ho = dy.shape[2], wo = dy.shape[3]
    precondition(!needInput || (p <= kh - 1 && p <= kw - 1), "shiftedConvolutionGradients: padding \(p) too large")
    func inputLayout(_ nb: Int) -> ShiftedLayout {  // x, as in the forward pass
        ShiftedLayout(channels: cIn, batch: nb, height: h, width: w, padTop: p, padLeft: p,
                      kernelHeight: kh, kernelWidth: kw)
    }
    func gradientLayout(_ nb: Int) -> ShiftedLayout {  // dy, padded for the flipped kernel
        ShiftedLayout(channels: cOut, batch: nb, height: ho, width: wo, padTop: kh - 1 - p, padLeft: kw - 1 - p,
                      kernelHeight: kh, kernelWidth: kw)
    }
    let chunk = Swift.min(
        samplesPerChunk(batch: n, rows: Swift.max(inputLayout(1).depth, cOut), plane: inputLayout(1).plane),
        samplesPerChunk(batch: n, rows: Swift.max(gradientLayout(1).depth, cIn), plane: gradientLayout(1).plane))
    let flipped = needInput
        ? weight.scalars.withUnsafeBufferPointer { wp in
            gradientLayout(1).groupedWeights(rows: cIn) { ci, co, i, j in
                wp[((co * cIn + ci) * kh + (kh - 1 - i)) * kw + (kw - 1 - j)]
            }
        }
        : []
    var dx = uninitializedFloats(needInput ? n * cIn * h * w : 0)
    var dw = [Float](repeating: 0, count: needWeight ? cOut * cIn * kh * kw : 0)
    var buffer: [Float] = [], gradient: [Float] = []
    var n0 = 0
    while n0 < n {
        let nb = Swift.min(chunk, n - n0)
        x.scalars.withUnsafeBufferPointer { xp in
            dy.scalars.withUnsafeBufferPointer { gp in
                if needWeight {  // dW_g += dY · view_g(X)ᵀ, dY placed at the output positions
                    let l = inputLayout(nb)
                    if buffer.count < l.bufferCount { buffer = uninitializedFloats(l.bufferCount) }
                    if gradient.count < cOut * l.columns { gradient = uninitializedFloats(cOut * l.columns) }
                    let part = buffer.withUnsafeMutableBufferPointer { bp in
                        gradient.withUnsafeMutableBufferPointer { dp in
                            l.placeInput(xp.baseAddress! + n0 * cIn * h * w, into: bp.baseAddress!)
                            l.place(gp.baseAddress! + n0 * cOut * ho * wo, channels: cOut, height: ho, width: wo,
                                    top: 0, left: 0, rowSpacing: 1, into: dp.baseAddress!)
                            return tapWeightGradients(l, input: bp.baseAddress!, gradient: dp.baseAddress!, rows: cOut)
                        }
                    }
                    l.forEachGroupedEntry(part, rows: cOut) { co, ci, i, j, v in
                        dw[((co * cIn + ci) * kh + i) * kw + j] += v
                    }
                }
                if needInput {  // dX = flipped-kernel convolution of dY
                    let l = gradientLayout(nb)
                    if buffer.count < l.bufferCount { buffer = uninitializedFloats(l.bufferCount) }
                    if gradient.count < cIn * l.columns { gradient = uninitializedFloats(cIn * l.columns) }
                    buffer.withUnsafeMutableBufferPointer { bp in
                        gradient.withUnsafeMutableBufferPointer { dp in
                            flipped.withUnsafeBufferPointer { fp in
                                dx.withUnsafeMutableBufferPointer { dxp in
                                    l.placeInput(gp.baseAddress! + n0 * cOut * ho * wo, into: bp.baseAddress!)
                                    accumulateTapProducts(l, input: bp.baseAddress!, weights: fp.baseAddress!, rows: cIn,
                                                          into: dp.baseAddress!, accumulate: false)
                                    l.extract(dp.baseAddress!, rows: cIn, height: h, width: w, bias: nil,
                                              into: dxp.baseAddress! + n0 * cIn * h * w)
                                }
                            }
                        }
                    }
                }
            }
        }
        n0 += nb
    }
    return (dx, dw)
}

// MARK: Transposed convolution by phases

/// The sub-pixel form of a transposed convolution with stride s: output positions
/// o = s·q + r − p of one phase r ∈ [0, s) receive y[o] = Σ_m W[r + s·m] · x[q − m], a
/// stride-1 convolution of x (padded by M − 1, M = ⌈k/s⌉) with the M taps W[r + s·(M−1−t)].
/// Every output position belongs to exactly one phase (rows and columns separately), so
/// s² stride-1 products replace the scatter-add of col2im.
struct TransposedPhases {
    let inputChannels, outputChannels, height, width: Int
    let kernelHeight, kernelWidth, stride, padding: Int
    let outputHeight, outputWidth: Int
    /// Taps per phase along each axis, ⌈k / s⌉.
    var tapsHigh: Int { (kernelHeight + stride - 1) / stride }
    var tapsWide: Int { (kernelWidth + stride - 1) / stride }

    /// Whether phase (rh, rw) has any tap inside the kernel.
    func hasTaps(rh: Int, rw: Int) -> Bool { rh < kernelHeight && rw < kernelWidth }

    /// W [C_in, C_out, kh, kw] at tap κ = (rh + s·mh, rw + s·mw), or 0 outside the kernel.
    @inline(__always)
    func weight(_ w: UnsafePointer<Float>, ci: Int, co: Int, rh: Int, rw: Int, mh: Int, mw: Int) -> Float {
        let kappaH = rh + stride * mh, kappaW = rw + stride * mw
        if kappaH >= kernelHeight || kappaW >= kernelWidth { return 0 }
        return w[((ci * outputChannels + co) * kernelHeight + kappaH) * kernelWidth + kappaW]
    }
}

/// y = convTranspose(x, W) without bias, by phases: x [N, C_in, H, W], W [C_in, C_out, kh, kw].
func phasedTransposedConvolution(_ x: Tensor, weight: Tensor, phases ph: TransposedPhases) -> [Float] {
    let n = x.shape[0], cIn = ph.inputChannels, cOut = ph.outputChannels, h = ph.height, w = ph.width
    let s = ph.stride, p = ph.padding, ho = ph.outputHeight, wo = ph.outputWidth
    let mh = ph.tapsHigh, mw = ph.tapsWide
    func layout(_ nb: Int) -> ShiftedLayout {
        ShiftedLayout(channels: cIn, batch: nb, height: h, width: w, padTop: mh - 1, padLeft: mw - 1,
                      kernelHeight: mh, kernelWidth: mw)
    }
    let chunk = samplesPerChunk(batch: n, rows: Swift.max(layout(1).depth, cOut), plane: layout(1).plane)
    // Phase r's stride-1 kernel: tap t holds W[r + s·(M − 1 − t)].
    let phaseWeights: [[Float]?] = weight.scalars.withUnsafeBufferPointer { wp in
        (0..<(s * s)).map { phase in
            let rh = phase / s, rw = phase % s
            guard ph.hasTaps(rh: rh, rw: rw) else { return nil }
            return layout(1).groupedWeights(rows: cOut) { co, ci, th, tw in
                ph.weight(wp.baseAddress!, ci: ci, co: co, rh: rh, rw: rw, mh: mh - 1 - th, mw: mw - 1 - tw)
            }
        }
    }
    var y = [Float](repeating: 0, count: n * cOut * ho * wo)
    var buffer: [Float] = [], product: [Float] = []
    var n0 = 0
    while n0 < n {
        let nb = Swift.min(chunk, n - n0)
        let l = layout(nb)
        if buffer.count < l.bufferCount { buffer = uninitializedFloats(l.bufferCount) }
        if product.count < cOut * l.columns { product = uninitializedFloats(cOut * l.columns) }
        let qh = l.outputHeight, qw = l.outputWidth, wp = l.paddedWidth, lPlane = l.plane, columns = l.columns
        x.scalars.withUnsafeBufferPointer { xp in
            buffer.withUnsafeMutableBufferPointer { bp in
                product.withUnsafeMutableBufferPointer { pp in
                    y.withUnsafeMutableBufferPointer { yp in
                        l.placeInput(xp.baseAddress! + n0 * cIn * h * w, into: bp.baseAddress!)
                        for phase in 0..<(s * s) {
                            guard let weights = phaseWeights[phase] else { continue }
                            let rh = phase / s, rw = phase % s
                            weights.withUnsafeBufferPointer { tp in
                                accumulateTapProducts(l, input: bp.baseAddress!, weights: tp.baseAddress!, rows: cOut,
                                                      into: pp.baseAddress!, accumulate: false)
                            }
                            // Interleave: y[o = s·q + r − p] = product[q] for q inside both ranges.
                            let qh0 = (p - rh + s - 1) / s, qw0 = (p - rw + s - 1) / s  // numerators ≥ 0
                            let lastH = ho - 1 + p - rh, lastW = wo - 1 + p - rw
                            let qh1 = lastH < 0 ? 0 : Swift.min(qh, lastH / s + 1)
                            let qw1 = lastW < 0 ? 0 : Swift.min(qw, lastW / s + 1)
                            if qh0 >= qh1 || qw0 >= qw1 { continue }
                            let product = UnsafePointer(pp.baseAddress!), out = yp.baseAddress! + n0 * cOut * ho * wo
                            parallelRanges(nb * cOut, costPerItem: (qh1 - qh0) * (qw1 - qw0)) { items in
                                for item in items {
                                    let b = item / cOut, co = item % cOut
                                    let src = product + co * columns + b * lPlane
                                    let dst = out + item * ho * wo
                                    for q in qh0..<qh1 {
                                        let srow = src + q * wp, drow = dst + (s * q + rh - p) * wo + rw - p
                                        for r in qw0..<qw1 { drow[s * r] = srow[r] }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        n0 += nb
    }
    return y
}

/// ∂L/∂x and ∂L/∂W of ``phasedTransposedConvolution(_:weight:phases:)``. For phase r, let
/// dz_r[q] = dy[s·q + r − p] (zero outside dy), q < H + M − 1. Then
/// ∂L/∂x[i] = Σ_r Σ_m W[r + s·m]ᵀ dz_r[i + m] (a valid stride-1 convolution of dz_r) and
/// ∂L/∂W[r + s·m] = Σ_i x[i] dz_r[i + m]ᵀ (its weight gradient with x in the role of dY).
func phasedTransposedConvolutionGradients(
    _ dy: Tensor, input x: Tensor, weight: Tensor, phases ph: TransposedPhases, needInput: Bool, needWeight: Bool
) -> (input: [Float], weight: [Float]) {
    let n = x.shape[0], cIn = ph.inputChannels, cOut = ph.outputChannels, h = ph.height, w = ph.width
    let s = ph.stride, p = ph.padding, ho = ph.outputHeight, wo = ph.outputWidth
    let mh = ph.tapsHigh, mw = ph.tapsWide, kh = ph.kernelHeight, kw = ph.kernelWidth
    let dh = h + mh - 1, dw = w + mw - 1
    func layout(_ nb: Int) -> ShiftedLayout {
        ShiftedLayout(channels: cOut, batch: nb, height: dh, width: dw, padTop: 0, padLeft: 0,
                      kernelHeight: mh, kernelWidth: mw)
    }
    let chunk = samplesPerChunk(batch: n, rows: Swift.max(layout(1).depth, cIn), plane: layout(1).plane)
    let phaseWeights: [[Float]?] = needInput
        ? weight.scalars.withUnsafeBufferPointer { wp in
            (0..<(s * s)).map { phase in
                let rh = phase / s, rw = phase % s
                guard ph.hasTaps(rh: rh, rw: rw) else { return nil }
                return layout(1).groupedWeights(rows: cIn) { ci, co, th, tw in
                    ph.weight(wp.baseAddress!, ci: ci, co: co, rh: rh, rw: rw, mh: th, mw: tw)
                }
            }
        }
        : []
    var dx = uninitializedFloats(needInput ? n * cIn * h * w : 0)
    var dW = [Float](repeating: 0, count: needWeight ? cIn * cOut * kh * kw : 0)
    var dz: [Float] = [], xPlaced: [Float] = [], product: [Float] = []
    var n0 = 0
    while n0 < n {
        let nb = Swift.min(chunk, n - n0)
        let l = layout(nb)
        let columns = l.columns, lPlane = l.plane, unfold = l.unfold
        if dz.count < l.bufferCount { dz = uninitializedFloats(l.bufferCount) }
        if needWeight && xPlaced.count < cIn * columns { xPlaced = uninitializedFloats(cIn * columns) }
        if needInput && product.count < cIn * columns { product = uninitializedFloats(cIn * columns) }
        x.scalars.withUnsafeBufferPointer { xp in
            dy.scalars.withUnsafeBufferPointer { gp in
                dz.withUnsafeMutableBufferPointer { zp in
                    xPlaced.withUnsafeMutableBufferPointer { xg in
                        product.withUnsafeMutableBufferPointer { pp in
                            if needWeight {
                                l.place(xp.baseAddress! + n0 * cIn * h * w, channels: cIn, height: h, width: w,
                                        top: 0, left: 0, rowSpacing: 1, into: xg.baseAddress!)
                            }
                            var first = true
                            for phase in 0..<(s * s) {
                                let rh = phase / s, rw = phase % s
                                guard ph.hasTaps(rh: rh, rw: rw) else { continue }
                                // dz_r on rows co·unfold, zero wherever s·q + r − p falls outside dy.
                                let source = gp.baseAddress! + n0 * cOut * ho * wo, target = zp.baseAddress!
                                parallelRanges(cOut, costPerItem: nb * lPlane) { channels in
                                    for co in channels {
                                        for b in 0..<nb {
                                            let d = target + co * unfold * columns + b * lPlane
                                            let src = source + (b * cOut + co) * ho * wo
                                            for q in 0..<dh {
                                                let o = s * q + rh - p
                                                let row = d + q * dw
                                                if o < 0 || o >= ho { row.update(repeating: 0, count: dw); continue }
                                                let srow = src + o * wo
                                                for r in 0..<dw {
                                                    let oc = s * r + rw - p
                                                    row[r] = oc >= 0 && oc < wo ? srow[oc] : 0
                                                }
                                            }
                                        }
                                    }
                                }
                                l.completeUnfolding(target)
                                if needInput, let weights = phaseWeights[phase] {
                                    weights.withUnsafeBufferPointer { tp in
                                        accumulateTapProducts(l, input: target, weights: tp.baseAddress!, rows: cIn,
                                                              into: pp.baseAddress!, accumulate: !first)
                                    }
                                }
                                first = false
                                if needWeight {
                                    let dU = tapWeightGradients(l, input: target, gradient: xg.baseAddress!, rows: cIn)
                                    l.forEachGroupedEntry(dU, rows: cIn) { ci, co, th, tw, v in
                                        let kappaH = rh + s * th, kappaW = rw + s * tw
                                        if kappaH < kh && kappaW < kw {
                                            dW[((ci * cOut + co) * kh + kappaH) * kw + kappaW] += v
                                        }
                                    }
                                }
                            }
                            if needInput {
                                dx.withUnsafeMutableBufferPointer { dxp in
                                    if first {  // no phase has a tap: x does not reach y
                                        (dxp.baseAddress! + n0 * cIn * h * w).update(repeating: 0, count: nb * cIn * h * w)
                                    } else {
                                        l.extract(pp.baseAddress!, rows: cIn, height: h, width: w, bias: nil,
                                                  into: dxp.baseAddress! + n0 * cIn * h * w)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        n0 += nb
    }
    return (dx, dW)
}
