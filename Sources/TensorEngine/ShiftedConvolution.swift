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
/// and its weight gradient kh·kw products dW_tap += dY · X_shiftedᵀ, with no im2col copy
/// at all. The columns are split over the engine's threads; each thread walks its share in
/// blocks small enough for the block of Y to stay in cache across the taps.
struct ShiftedLayout {
    /// Planes per sample, samples in the chunk, and the unpadded plane size.
    let channels, batch, height, width: Int
    /// Zeros above and below (`padTop`), left and right (`padLeft`) of every plane.
    let padTop, padLeft: Int
    /// Kernel size.
    let kernelHeight, kernelWidth: Int

    var paddedHeight: Int { height + 2 * padTop }
    var paddedWidth: Int { width + 2 * padLeft }
    var plane: Int { paddedHeight * paddedWidth }
    /// Entries per channel row: every padded position of every sample.
    var columns: Int { batch * plane }
    /// Rows and columns of the (stride-1) output that are not junk.
    var outputHeight: Int { paddedHeight - kernelHeight + 1 }
    var outputWidth: Int { paddedWidth - kernelWidth + 1 }
    var taps: Int { kernelHeight * kernelWidth }
    /// Floats of a padded buffer: the channel rows plus slack for the last tap's overhang.
    var bufferCount: Int { channels * columns + (kernelHeight - 1) * paddedWidth + kernelWidth }

    /// Offset of kernel tap `t` (row-major over kh × kw) in the padded layout.
    @inline(__always)
    func tapOffset(_ t: Int) -> Int { (t / kernelWidth) * paddedWidth + t % kernelWidth }

    /// Writes `batch` NCHW samples of `channels`×`height`×`width` values into `buffer`, in
    /// this layout's plane geometry with their top-left corner at (`top`, `left`); every
    /// other one of the `count` floats of `buffer` is set to zero.
    func place(
        _ x: UnsafePointer<Float>, channels c: Int, height h: Int, width w: Int, top: Int, left: Int,
        into buffer: UnsafeMutablePointer<Float>, count: Int
    ) {
        let wp = paddedWidth, hp = paddedHeight, plane = self.plane, columns = self.columns, batch = self.batch
        parallelRanges(c, costPerItem: columns) { rows in
            for ch in rows {
                for b in 0..<batch {
                    let dst = buffer + ch * columns + b * plane
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
        let used = c * columns
        if count > used { (buffer + used).update(repeating: 0, count: count - used) }
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

/// product (rows × columns) = Σ_t taps[t] · view_t(input), plus its old value when
/// `accumulate`: the forward pass of a stride-1 convolution. `taps` is [taps, rows, channels].
func accumulateTapProducts(
    _ l: ShiftedLayout, input: UnsafePointer<Float>, taps: UnsafePointer<Float>, rows: Int,
    into product: UnsafeMutablePointer<Float>, accumulate: Bool
) {
    let cIn = l.channels, columns = l.columns, kk = l.taps
    forEachColumnBlock(columns, blockColumns: blockColumns(rows: rows), costPerColumn: rows * cIn * kk) { _, block in
        for t in 0..<kk {
            serialSgemm(transposeA: false, transposeB: false, m: rows, n: block.count, k: cIn,
                        a: taps + t * rows * cIn, lda: cIn,
                        b: input + l.tapOffset(t) + block.lowerBound, ldb: columns,
                        beta: t == 0 && !accumulate ? 0 : 1, c: product + block.lowerBound, ldc: columns)
        }
    }
}

/// Returns Σ over columns of gradient · view_t(input)ᵀ for every tap t, as a
/// [taps, rows, channels] array: the weight gradient of a stride-1 convolution whose
/// output gradient `gradient` (rows × columns) is zero at every junk position.
func tapWeightGradients(
    _ l: ShiftedLayout, input: UnsafePointer<Float>, gradient: UnsafePointer<Float>, rows: Int
) -> [Float] {
    let cIn = l.channels, columns = l.columns, kk = l.taps, size = kk * rows * cIn
    let threads = BLASThreads.current
    var partial = [Float](repeating: 0, count: threads * size)
    let parts = partial.withUnsafeMutableBufferPointer { pp in
        let base = pp.baseAddress!
        return forEachColumnBlock(columns, blockColumns: blockColumns(rows: Swift.max(rows, cIn)),
                                  costPerColumn: rows * cIn * kk) { part, block in
            let acc = base + part * size
            for t in 0..<kk {
                serialSgemm(transposeA: false, transposeB: true, m: rows, n: cIn, k: block.count,
                            a: gradient + block.lowerBound, lda: columns,
                            b: input + l.tapOffset(t) + block.lowerBound, ldb: columns,
                            beta: 1, c: acc + t * rows * cIn, ldc: cIn)
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

/// Samples per chunk so that a buffer of `channels` padded planes stays under about 16 MiB.
@inline(__always)
func samplesPerChunk(batch n: Int, channels: Int, plane: Int) -> Int {
    Swift.max(1, Swift.min(n, (1 << 22) / Swift.max(1, channels * plane)))
}

/// Kernel taps as separate matrices: W [C_out, C_in, kh, kw] → [kh·kw, C_out, C_in]. With
/// `flipped`, the kernel of the input-gradient convolution instead: tap t of the result is
/// Wᵀ at tap kh·kw − 1 − t (both axes reversed), as a [kh·kw, C_in, C_out] array.
func weightsByTap(_ w: Tensor, flipped: Bool) -> [Float] {
    let cOut = w.shape[0], cIn = w.shape[1], kk = w.shape[2] * w.shape[3]
    var out = uninitializedFloats(w.count)
    w.scalars.withUnsafeBufferPointer { wp in
        for co in 0..<cOut {
            for ci in 0..<cIn {
                for t in 0..<kk {
                    let v = wp[(co * cIn + ci) * kk + t]
                    if flipped {
                        out[((kk - 1 - t) * cIn + ci) * cOut + co] = v
                    } else {
                        out[(t * cOut + co) * cIn + ci] = v
                    }
                }
            }
        }
    }
    return out
}

// MARK: Stride-1 convolution

/// y = W ⋆ x (+ bias) for stride 1 and `padding` p on all sides: x [N, C_in, H, W],
/// W [C_out, C_in, kh, kw] → [N, C_out, H + 2p − kh + 1, W + 2p − kw + 1].
func shiftedConvolution(_ x: Tensor, weight: Tensor, bias: Tensor?, padding p: Int) -> [Float] {
    let n = x.shape[0], cIn = x.shape[1], h = x.shape[2], w = x.shape[3]
    let cOut = weight.shape[0], kh = weight.shape[2], kw = weight.shape[3]
    let plane = (h + 2 * p) * (w + 2 * p)
    let chunk = samplesPerChunk(batch: n, channels: Swift.max(cIn, cOut), plane: plane)
    let taps = weightsByTap(weight, flipped: false)
    let ho = h + 2 * p - kh + 1, wo = w + 2 * p - kw + 1
    var y = uninitializedFloats(n * cOut * ho * wo)
    var buffer: [Float] = [], product: [Float] = []
    var n0 = 0
    while n0 < n {
        let nb = Swift.min(chunk, n - n0)
        let l = ShiftedLayout(channels: cIn, batch: nb, height: h, width: w, padTop: p, padLeft: p,
                              kernelHeight: kh, kernelWidth: kw)
        if buffer.count < l.bufferCount { buffer = uninitializedFloats(l.bufferCount) }
        if product.count < cOut * l.columns { product = uninitializedFloats(cOut * l.columns) }
        x.scalars.withUnsafeBufferPointer { xp in
            buffer.withUnsafeMutableBufferPointer { bp in
                product.withUnsafeMutableBufferPointer { pp in
                    taps.withUnsafeBufferPointer { tp in
                        y.withUnsafeMutableBufferPointer { yp in
                            l.place(xp.baseAddress! + n0 * cIn * h * w, channels: cIn, height: h, width: w,
                                    top: p, left: p, into: bp.baseAddress!, count: l.bufferCount)
                            accumulateTapProducts(l, input: bp.baseAddress!, taps: tp.baseAddress!, rows: cOut,
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
    let cOut = weight.shape[0], kh = weight.shape[2], kw = weight.shape[3], kk = kh * kw
    let ho = dy.shape[2], wo = dy.shape[3]
    precondition(!needInput || (p <= kh - 1 && p <= kw - 1), "shiftedConvolutionGradients: padding \(p) too large")
    let chunk = samplesPerChunk(batch: n, channels: Swift.max(cIn, cOut),
                                plane: Swift.max((h + 2 * p) * (w + 2 * p), (ho + 2 * (kh - 1 - p)) * (wo + 2 * (kw - 1 - p))))
    let flipped = needInput ? weightsByTap(weight, flipped: true) : []
    var dx = uninitializedFloats(needInput ? n * cIn * h * w : 0)
    var dTaps = [Float](repeating: 0, count: needWeight ? kk * cOut * cIn : 0)
    var buffer: [Float] = [], gradient: [Float] = []
    var n0 = 0
    while n0 < n {
        let nb = Swift.min(chunk, n - n0)
        x.scalars.withUnsafeBufferPointer { xp in
            dy.scalars.withUnsafeBufferPointer { gp in
                if needWeight {  // dW_t += dY · view_t(X)ᵀ, dY placed at the output positions
                    let l = ShiftedLayout(channels: cIn, batch: nb, height: h, width: w, padTop: p, padLeft: p,
                                          kernelHeight: kh, kernelWidth: kw)
                    if buffer.count < l.bufferCount { buffer = uninitializedFloats(l.bufferCount) }
                    if gradient.count < cOut * l.columns { gradient = uninitializedFloats(cOut * l.columns) }
                    let part = buffer.withUnsafeMutableBufferPointer { bp in
                        gradient.withUnsafeMutableBufferPointer { dp in
                            l.place(xp.baseAddress! + n0 * cIn * h * w, channels: cIn, height: h, width: w,
                                    top: p, left: p, into: bp.baseAddress!, count: l.bufferCount)
                            l.place(gp.baseAddress! + n0 * cOut * ho * wo, channels: cOut, height: ho, width: wo,
                                    top: 0, left: 0, into: dp.baseAddress!, count: cOut * l.columns)
                            return tapWeightGradients(l, input: bp.baseAddress!, gradient: dp.baseAddress!, rows: cOut)
                        }
                    }
                    dTaps.withUnsafeMutableBufferPointer { addVectors($0.baseAddress!, part, count: part.count) }
                }
                if needInput {  // dX = flipped-kernel convolution of dY
                    let l = ShiftedLayout(channels: cOut, batch: nb, height: ho, width: wo,
                                          padTop: kh - 1 - p, padLeft: kw - 1 - p, kernelHeight: kh, kernelWidth: kw)
                    if buffer.count < l.bufferCount { buffer = uninitializedFloats(l.bufferCount) }
                    if gradient.count < cIn * l.columns { gradient = uninitializedFloats(cIn * l.columns) }
                    buffer.withUnsafeMutableBufferPointer { bp in
                        gradient.withUnsafeMutableBufferPointer { dp in
                            flipped.withUnsafeBufferPointer { fp in
                                dx.withUnsafeMutableBufferPointer { dxp in
                                    l.place(gp.baseAddress! + n0 * cOut * ho * wo, channels: cOut, height: ho, width: wo,
                                            top: kh - 1 - p, left: kw - 1 - p, into: bp.baseAddress!, count: l.bufferCount)
                                    accumulateTapProducts(l, input: bp.baseAddress!, taps: fp.baseAddress!, rows: cIn,
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
    var dw: [Float] = []
    if needWeight {  // [kk, C_out, C_in] → [C_out, C_in, kh, kw]
        dw = uninitializedFloats(cOut * cIn * kk)
        for t in 0..<kk { for co in 0..<cOut { for ci in 0..<cIn {
            dw[(co * cIn + ci) * kk + t] = dTaps[(t * cOut + co) * cIn + ci]
        } } }
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

    /// For phase (rh, rw), tap matrices [M_h·M_w, rows, columns] gathered from W
    /// [C_in, C_out, kh, kw]: tap (th, tw) holds W at κ = r + s·m with m = M − 1 − t when
    /// `reversed` (the forward pass) and m = t otherwise (the input gradient); rows are
    /// C_out and columns C_in when `transposed`, the other way round otherwise. Taps that
    /// fall outside the kernel are zero. Returns nil when the phase has no tap at all.
    func taps(_ w: UnsafePointer<Float>, rh: Int, rw: Int, reversed: Bool, transposed: Bool) -> [Float]? {
        let mh = tapsHigh, mw = tapsWide, cIn = inputChannels, cOut = outputChannels, s = stride
        let kh = kernelHeight, kw = kernelWidth
        if rh >= kh || rw >= kw { return nil }
        var out = [Float](repeating: 0, count: mh * mw * cIn * cOut)
        for th in 0..<mh {
            for tw in 0..<mw {
                let kappaH = rh + s * (reversed ? mh - 1 - th : th), kappaW = rw + s * (reversed ? mw - 1 - tw : tw)
                if kappaH >= kh || kappaW >= kw { continue }
                let tap = (th * mw + tw) * cIn * cOut
                for ci in 0..<cIn {
                    for co in 0..<cOut {
                        let v = w[((ci * cOut + co) * kh + kappaH) * kw + kappaW]
                        out[tap + (transposed ? co * cIn + ci : ci * cOut + co)] = v
                    }
                }
            }
        }
        return out
    }
}

/// y = convTranspose(x, W) without bias, by phases: x [N, C_in, H, W], W [C_in, C_out, kh, kw].
func phasedTransposedConvolution(_ x: Tensor, weight: Tensor, phases ph: TransposedPhases) -> [Float] {
    let n = x.shape[0], cIn = ph.inputChannels, cOut = ph.outputChannels, h = ph.height, w = ph.width
    let s = ph.stride, p = ph.padding, ho = ph.outputHeight, wo = ph.outputWidth
    let mh = ph.tapsHigh, mw = ph.tapsWide
    let plane = (h + 2 * (mh - 1)) * (w + 2 * (mw - 1))
    let chunk = samplesPerChunk(batch: n, channels: Swift.max(cIn, cOut), plane: plane)
    var y = [Float](repeating: 0, count: n * cOut * ho * wo)
    let phaseTaps: [[Float]?] = weight.scalars.withUnsafeBufferPointer { wp in
        (0..<(s * s)).map { ph.taps(wp.baseAddress!, rh: $0 / s, rw: $0 % s, reversed: true, transposed: true) }
    }
    var buffer: [Float] = [], product: [Float] = []
    var n0 = 0
    while n0 < n {
        let nb = Swift.min(chunk, n - n0)
        let l = ShiftedLayout(channels: cIn, batch: nb, height: h, width: w, padTop: mh - 1, padLeft: mw - 1,
                              kernelHeight: mh, kernelWidth: mw)
        if buffer.count < l.bufferCount { buffer = uninitializedFloats(l.bufferCount) }
        if product.count < cOut * l.columns { product = uninitializedFloats(cOut * l.columns) }
        let qh = l.outputHeight, qw = l.outputWidth, wp = l.paddedWidth, lPlane = l.plane, columns = l.columns
        x.scalars.withUnsafeBufferPointer { xp in
            buffer.withUnsafeMutableBufferPointer { bp in
                product.withUnsafeMutableBufferPointer { pp in
                    y.withUnsafeMutableBufferPointer { yp in
                        l.place(xp.baseAddress! + n0 * cIn * h * w, channels: cIn, height: h, width: w,
                                top: mh - 1, left: mw - 1, into: bp.baseAddress!, count: l.bufferCount)
                        for phase in 0..<(s * s) {
                            guard let taps = phaseTaps[phase] else { continue }
                            let rh = phase / s, rw = phase % s
                            taps.withUnsafeBufferPointer { tp in
                                accumulateTapProducts(l, input: bp.baseAddress!, taps: tp.baseAddress!, rows: cOut,
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
    let chunk = samplesPerChunk(batch: n, channels: Swift.max(cIn, cOut), plane: dh * dw)
    let phaseTaps: [[Float]?] = weight.scalars.withUnsafeBufferPointer { wp in
        (0..<(s * s)).map { ph.taps(wp.baseAddress!, rh: $0 / s, rw: $0 % s, reversed: false, transposed: false) }
    }
    var dx = uninitializedFloats(needInput ? n * cIn * h * w : 0)
    var dW = [Float](repeating: 0, count: needWeight ? cIn * cOut * kh * kw : 0)
    var dz: [Float] = [], xPlaced: [Float] = [], product: [Float] = []
    var n0 = 0
    while n0 < n {
        let nb = Swift.min(chunk, n - n0)
        let l = ShiftedLayout(channels: cOut, batch: nb, height: dh, width: dw, padTop: 0, padLeft: 0,
                              kernelHeight: mh, kernelWidth: mw)
        let columns = l.columns, lPlane = l.plane
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
                                        top: 0, left: 0, into: xg.baseAddress!, count: cIn * columns)
                            }
                            var first = true
                            for phase in 0..<(s * s) {
                                guard let taps = phaseTaps[phase] else { continue }
                                let rh = phase / s, rw = phase % s
                                // dz_r, zero wherever s·q + r − p falls outside dy.
                                let source = gp.baseAddress! + n0 * cOut * ho * wo, target = zp.baseAddress!
                                parallelRanges(cOut, costPerItem: nb * lPlane) { channels in
                                    for co in channels {
                                        for b in 0..<nb {
                                            let d = target + co * columns + b * lPlane
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
                                (target + cOut * columns).update(repeating: 0, count: l.bufferCount - cOut * columns)
                                if needInput {
                                    taps.withUnsafeBufferPointer { tp in
                                        accumulateTapProducts(l, input: target, taps: tp.baseAddress!, rows: cIn,
                                                              into: pp.baseAddress!, accumulate: !first)
                                    }
                                }
                                first = false
                                if needWeight {
                                    let dU = tapWeightGradients(l, input: target, gradient: xg.baseAddress!, rows: cIn)
                                    for th in 0..<mh { for tw in 0..<mw {
                                        let kappaH = rh + s * th, kappaW = rw + s * tw
                                        if kappaH >= kh || kappaW >= kw { continue }
                                        let tap = (th * mw + tw) * cIn * cOut
                                        for ci in 0..<cIn { for co in 0..<cOut {
                                            dW[((ci * cOut + co) * kh + kappaH) * kw + kappaW] += dU[tap + ci * cOut + co]
                                        } }
                                    } }
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
