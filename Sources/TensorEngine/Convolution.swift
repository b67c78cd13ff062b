/// The sizes that describe one 2-D convolution over NCHW images (cross-correlation, as
/// in PyTorch): `channels` input planes of `height`×`width`, a `kernelHeight`×`kernelWidth`
/// window moved by `stride` with `padding` zeros on each side.
public struct ConvolutionGeometry: Sendable, Equatable {
    public var channels, height, width: Int
    public var kernelHeight, kernelWidth: Int
    public var stride, padding: Int

    /// Output height, ⌊(H + 2p − k) / s⌋ + 1.
    public var outputHeight: Int { (height + 2 * padding - kernelHeight) / stride + 1 }
    /// Output width, ⌊(W + 2p − k) / s⌋ + 1.
    public var outputWidth: Int { (width + 2 * padding - kernelWidth) / stride + 1 }
    /// Rows of the im2col matrix, C·kh·kw.
    var patchSize: Int { channels * kernelHeight * kernelWidth }
}

/// Upper bound on the im2col buffer (floats, 32 MiB); batches are processed in chunks below it,
/// large enough that each `sgemm` call has thousands of columns (small calls waste
/// OpenBLAS thread start-ups).
let im2colBudget = 1 << 23

/// Unfolds image patches into columns: row `(c·kh + i)·kw + j`, column `b·Ho·Wo + oh·Wo + ow`
/// holds x[b, c, oh·s − p + i, ow·s − p + j] (zero outside the image), for `batch` images at `x`.
@inline(__always)
func im2col(_ x: UnsafePointer<Float>, batch: Int, _ g: ConvolutionGeometry, _ col: UnsafeMutablePointer<Float>) {
    let H = g.height, W = g.width, Ho = g.outputHeight, Wo = g.outputWidth
    let kh = g.kernelHeight, kw = g.kernelWidth, s = g.stride, p = g.padding
    let hw = H * W, howo = Ho * Wo, columns = batch * howo
    // Every row (c, i, j) of the matrix is independent: rows run concurrently.
    parallelRanges(g.channels * kh * kw, costPerItem: columns) { rows in
    for r in rows {
        let c = r / (kh * kw), ki = (r / kw) % kh, kj = r % kw
        do {
            do {
                let row = col + r * columns
                let lo = p - kj <= 0 ? 0 : Swift.min(Wo, (p - kj + s - 1) / s)
                let hiNumerator = W - 1 + p - kj
                let hi = hiNumerator < 0 ? lo : Swift.max(lo, Swift.min(Wo, hiNumerator / s + 1))
                let offset = kj - p
                for b in 0..<batch {
                    let plane = x + (b * g.channels + c) * hw
                    let dst = row + b * howo
                    for oh in 0..<Ho {
                        let ih = oh * s - p + ki
                        let d = dst + oh * Wo
                        if ih < 0 || ih >= H {
                            for ow in 0..<Wo { d[ow] = 0 }
                            continue
                        }
                        let src = plane + ih * W
                        for ow in 0..<lo { d[ow] = 0 }
                        if s == 1 && hi - lo >= 48 {
                            (d + lo).update(from: src + lo + offset, count: hi - lo)  // memcpy
                        } else if s == 1 {
                            copyShortRun(d + lo, src + lo + offset, count: hi - lo)
                        } else {
                            for ow in lo..<hi { d[ow] = src[ow * s + offset] }
                        }
                        for ow in hi..<Wo { d[ow] = 0 }
                    }
                }
            }
        }
    }
    }
}

/// The adjoint of ``im2col(_:batch:_:_:)``: adds every column entry back into the image
/// position it was copied from (`x` must be initialized; it is accumulated into).
@inline(__always)
func col2im(_ col: UnsafePointer<Float>, batch: Int, _ g: ConvolutionGeometry, _ x: UnsafeMutablePointer<Float>) {
    let H = g.height, W = g.width, Ho = g.outputHeight, Wo = g.outputWidth
    let kh = g.kernelHeight, kw = g.kernelWidth, s = g.stride, p = g.padding
    let hw = H * W, howo = Ho * Wo, columns = batch * howo
    // Each sample accumulates into its own image: samples run concurrently.
    parallelRanges(batch, costPerItem: g.channels * kh * kw * howo) { samples in
    for c in 0..<g.channels {
        for ki in 0..<kh {
            for kj in 0..<kw {
                let row = col + ((c * kh + ki) * kw + kj) * columns
                let lo = p - kj <= 0 ? 0 : Swift.min(Wo, (p - kj + s - 1) / s)
                let hiNumerator = W - 1 + p - kj
                let hi = hiNumerator < 0 ? lo : Swift.max(lo, Swift.min(Wo, hiNumerator / s + 1))
                let offset = kj - p
                for b in samples {
                    let plane = x + (b * g.channels + c) * hw
                    let srcRow = row + b * howo
                    for oh in 0..<Ho {
                        let ih = oh * s - p + ki
                        if ih < 0 || ih >= H { continue }
                        let d = plane + ih * W
                        let src = srcRow + oh * Wo
                        if s == 1 {
                            addVectors(d + lo + offset, src + lo, count: hi - lo)
                        } else {
                            for ow in lo..<hi { d[ow * s + offset] += src[ow] }
                        }
                    }
                }
            }
        }
    }
    }
}

/// Copies a short run (a library call would cost more than the copy), four lanes at a time.
@inline(__always)
func copyShortRun(_ d: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
    var i = 0
    let dr = UnsafeMutableRawPointer(d), xr = UnsafeRawPointer(x)
    while i + 4 <= count {
        dr.storeBytes(of: xr.loadUnaligned(fromByteOffset: i * 4, as: SIMD4<Float>.self), toByteOffset: i * 4, as: SIMD4<Float>.self)
        i += 4
    }
    while i < count { d[i] = x[i]; i += 1 }
}

/// y[i] += x[i] for i in 0..<count, eight lanes at a time (the pointers may not be
/// provably disjoint to the compiler, which would otherwise keep the loop scalar).
@inline(__always)
func addVectors(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
    var i = 0
    let yr = UnsafeMutableRawPointer(y), xr = UnsafeRawPointer(x)
    while i + 8 <= count {
        let a = yr.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        let b = xr.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        yr.storeBytes(of: a + b, toByteOffset: i * 4, as: SIMD8<Float>.self)
        i += 8
    }
    while i < count { y[i] += x[i]; i += 1 }
}

/// Copies `batch` samples laid out [b, C, P] into a [C, batch·P] matrix.
@inline(__always)
func gatherChannelMajor(_ src: UnsafePointer<Float>, batch: Int, channels: Int, plane: Int, _ dst: UnsafeMutablePointer<Float>) {
    let columns = batch * plane
    for b in 0..<batch {
        for c in 0..<channels {
            (dst + c * columns + b * plane).update(from: src + (b * channels + c) * plane, count: plane)
        }
    }
}

/// The inverse of ``gatherChannelMajor``: a [C, batch·P] matrix back to [b, C, P].
@inline(__always)
func scatterChannelMajor(_ src: UnsafePointer<Float>, batch: Int, channels: Int, plane: Int, _ dst: UnsafeMutablePointer<Float>) {
    let columns = batch * plane
    parallelRanges(batch, costPerItem: channels * plane) { samples in
    for b in samples {
        for c in 0..<channels {
            (dst + (b * channels + c) * plane).update(from: src + c * columns + b * plane, count: plane)
        }
    }
    }
}

/// Adds `bias[c]` to every element of channel `c` of an [N, C, P] array.
@inline(__always)
/// y = W ⋆ x by im2col and `cblas_sgemm`, `chunk` samples per product: each chunk of x
/// (NCHW, geometry `g`) is unfolded into `columns` ([k, chunk·Ho·Wo], k = C_in·kh·kw), multiplied
/// by the [C_out, k] weights, and the [C_out, chunk·Ho·Wo] product is scattered into NCHW `y`
/// through `staging` (needed only when chunk > 1; a chunk of one is written in place).
func im2colConvolution(
    _ x: UnsafePointer<Float>, batch n: Int, geometry g: ConvolutionGeometry, weights w: UnsafePointer<Float>,
    outputChannels cOut: Int, chunk: Int, columns col: UnsafeMutablePointer<Float>,
    staging tmp: UnsafeMutablePointer<Float>?, into y: UnsafeMutablePointer<Float>
) {
    let inPlane = g.channels * g.height * g.width, outPlane = g.outputHeight * g.outputWidth, k = g.patchSize
    var n0 = 0
    while n0 < n {
        let nb = Swift.min(chunk, n - n0)
        let columns = nb * outPlane
        im2col(x + n0 * inPlane, batch: nb, g, col)
        let out = nb == 1 ? y + n0 * cOut * outPlane : tmp!
        sgemm(transposeA: false, transposeB: false, m: cOut, n: columns, k: k,
              a: w, lda: k, b: col, ldb: columns, c: out, ldc: columns)
        if nb > 1 {
            scatterChannelMajor(tmp!, batch: nb, channels: cOut, plane: outPlane, y + n0 * cOut * outPlane)
        }
        n0 += nb
    }
}

func addChannelBias(_ y: UnsafeMutablePointer<Float>, _ bias: UnsafePointer<Float>, batch: Int, channels: Int, plane: Int) {
    parallelRanges(batch, costPerItem: channels * plane) { samples in
    for b in samples {
        for c in 0..<channels {
            let d = y + (b * channels + c) * plane
            let v = bias[c]
            for i in 0..<plane { d[i] += v }
        }
    }
    }
}

/// Per-channel sums of an [N, C, P] array (the bias gradient of a convolution).
func channelSums(_ g: Tensor, batch: Int, channels: Int, plane: Int) -> Tensor {
    var out = [Double](repeating: 0, count: channels)
    g.scalars.withUnsafeBufferPointer { gp in
        for b in 0..<batch {
            for c in 0..<channels {
                out[c] += blockedSum(gp.baseAddress! + (b * channels + c) * plane, count: plane)
            }
        }
    }
    return Tensor(shape: [channels], scalars: out.map { Float($0) })
}

/// 2-D convolution (cross-correlation) of NCHW images, through im2col and `cblas_sgemm`.
///
/// - Parameters:
///   - x: images [N, C_in, H, W].
///   - weight: kernels [C_out, C_in, kh, kw].
///   - bias: [C_out] or `nil`.
///   - stride: step of the window in both directions (≥ 1).
///   - padding: zeros added on each side in both directions (≥ 0).
/// - Returns: [N, C_out, ⌊(H + 2p − kh)/s⌋ + 1, ⌊(W + 2p − kw)/s⌋ + 1].
public func conv2d(_ x: Variable, weight: Variable, bias: Variable?, stride: Int = 1, padding: Int = 0) -> Variable {
    precondition(x.value.rank == 4, "conv2d: input must be [N, C, H, W], got \(x.shape)")
    precondition(weight.value.rank == 4 && weight.shape[1] == x.shape[1],
                 "conv2d: weight \(weight.shape) does not match input \(x.shape) (need [C_out, \(x.shape[1]), kh, kw])")
    precondition(stride >= 1 && padding >= 0, "conv2d: stride \(stride) must be ≥ 1 and padding \(padding) ≥ 0")
    let n = x.shape[0], cOut = weight.shape[0]
    let g = ConvolutionGeometry(channels: x.shape[1], height: x.shape[2], width: x.shape[3],
                                kernelHeight: weight.shape[2], kernelWidth: weight.shape[3],
                                stride: stride, padding: padding)
    precondition(g.outputHeight >= 1 && g.outputWidth >= 1,
                 "conv2d: kernel \(weight.shape[2])×\(weight.shape[3]) with padding \(padding) does not fit input \(x.shape)")
    if let bias { precondition(bias.shape == [cOut], "conv2d: bias \(bias.shape) must be [\(cOut)]") }
    let ho = g.outputHeight, wo = g.outputWidth, howo = ho * wo, k = g.patchSize
    let inPlane = g.channels * g.height * g.width
    let chunk = Swift.max(1, Swift.min(n, im2colBudget / Swift.max(1, k * howo)))
    let xv = x.value, wv = weight.value
    let shifted = ShiftedGeometry.applies(g)
    var y = uninitializedFloats(n * cOut * howo)
    var col = uninitializedFloats(shifted ? 0 : chunk * k * howo)
    var tmp = uninitializedFloats(chunk > 1 && !shifted ? chunk * cOut * howo : 0)
    if shifted {
        let taps = weightsByTap(wv, flipped: false)
        xv.scalars.withUnsafeBufferPointer { xp in
            taps.withUnsafeBufferPointer { tp in
                y.withUnsafeMutableBufferPointer { yp in
                    shiftedConvolution(xp.baseAddress!, batch: n, geometry: ShiftedGeometry(g), taps: tp.baseAddress!,
                                       outputChannels: cOut, into: yp.baseAddress!)
                }
            }
        }
    }
    xv.scalars.withUnsafeBufferPointer { xp in
        wv.scalars.withUnsafeBufferPointer { wp in
            y.withUnsafeMutableBufferPointer { yp in
                if !shifted {
                    col.withUnsafeMutableBufferPointer { cp in
                        tmp.withUnsafeMutableBufferPointer { tp in
                            im2colConvolution(xp.baseAddress!, batch: n, geometry: g, weights: wp.baseAddress!,
                                              outputChannels: cOut, chunk: chunk, columns: cp.baseAddress!,
                                              staging: tp.baseAddress, into: yp.baseAddress!)
                        }
                    }
                }
                if let bv = bias?.value {
                    bv.scalars.withUnsafeBufferPointer { bp in
                        addChannelBias(yp.baseAddress!, bp.baseAddress!, batch: n, channels: cOut, plane: howo)
                    }
                }
            }
        }
    }
    // When the whole batch was unfolded at once, keep the columns for ∂L/∂W (saves one
    // im2col in the backward pass, at the cost of holding them until then).
    let savedColumns = !shifted && chunk >= n && weight.requiresGradient && GradientRecording.isEnabled ? col : []
    col = []
    let value = Tensor(shape: [n, cOut, ho, wo], scalars: y)
    let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
    return Variable.result(value, inputs: inputs) {
        { dy in
            var grads: [Tensor?] = [nil, nil, nil]
            let needX = x.requiresGradient, needW = weight.requiresGradient
            // Stride-1 square kernels take ∂L/∂x as a convolution with the flipped kernel when
            // its im2col (C_out·k²·H·W values) is not much larger than the scatter-add route's
            // (C_in·k²·Ho·Wo values, each read and written back by col2im).
            let flippedPath = stride == 1 && g.kernelHeight == g.kernelWidth && padding <= g.kernelHeight - 1
                && cOut * g.height * g.width <= 2 * g.channels * howo
            let im2colW = needW && !shifted
            var dx = [Float](repeating: 0, count: needX && !flippedPath ? n * inPlane : 0)
            var dw = [Float](repeating: 0, count: im2colW ? cOut * k : 0)
            var col = uninitializedFloats((im2colW && savedColumns.isEmpty) || (needX && !flippedPath) ? chunk * k * howo : 0)
            var tmp = uninitializedFloats(chunk > 1 ? chunk * cOut * howo : 0)
            dy.scalars.withUnsafeBufferPointer { gp in
                xv.scalars.withUnsafeBufferPointer { xp in
                    wv.scalars.withUnsafeBufferPointer { wp in
                        col.withUnsafeMutableBufferPointer { cp in
                            tmp.withUnsafeMutableBufferPointer { tp in
                                dx.withUnsafeMutableBufferPointer { dxp in
                                    dw.withUnsafeMutableBufferPointer { dwp in
                                        var n0 = im2colW || (needX && !flippedPath) ? 0 : n
                                        while n0 < n {
                                            let nb = Swift.min(chunk, n - n0)
                                            let columns = nb * howo
                                            let dyCol: UnsafePointer<Float>
                                            if nb == 1 {
                                                dyCol = gp.baseAddress! + n0 * cOut * howo
                                            } else {
                                                gatherChannelMajor(gp.baseAddress! + n0 * cOut * howo, batch: nb,
                                                                   channels: cOut, plane: howo, tp.baseAddress!)
                                                dyCol = UnsafePointer(tp.baseAddress!)
                                            }
                                            if im2colW {  // dW += dY · colᵀ
                                                savedColumns.withUnsafeBufferPointer { saved in
                                                    let columnsOfX: UnsafePointer<Float>
                                                    if saved.isEmpty {
                                                        im2col(xp.baseAddress! + n0 * inPlane, batch: nb, g, cp.baseAddress!)
                                                        columnsOfX = UnsafePointer(cp.baseAddress!)
                                                    } else {
                                                        columnsOfX = saved.baseAddress!
                                                    }
                                                    sgemm(transposeA: false, transposeB: true, m: cOut, n: k, k: columns,
                                                          a: dyCol, lda: columns, b: columnsOfX, ldb: columns,
                                                          beta: 1, c: dwp.baseAddress!, ldc: k)
                                                }
                                            }
                                            if needX && !flippedPath {  // dcol = Wᵀ · dY, folded back into dX
                                                sgemm(transposeA: true, transposeB: false, m: k, n: columns, k: cOut,
                                                      a: wp.baseAddress!, lda: k, b: dyCol, ldb: columns,
                                                      c: cp.baseAddress!, ldc: columns)
                                                col2im(cp.baseAddress!, batch: nb, g, dxp.baseAddress! + n0 * inPlane)
                                            }
                                            n0 += nb
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            if needX && flippedPath {
                dx = convolutionInputGradientByFlippedKernel(dy, weight: wv, geometry: g)
            }
            if needW && shifted {
                xv.scalars.withUnsafeBufferPointer { xp in
                    dy.scalars.withUnsafeBufferPointer { gp in
                        dw = shiftedConvolutionWeightGradient(xp.baseAddress!, gp.baseAddress!, batch: n,
                                                              geometry: ShiftedGeometry(g), outputChannels: cOut)
                    }
                }
            }
            if needX { grads[0] = Tensor(shape: xv.shape, scalars: dx) }
            if needW { grads[1] = Tensor(shape: wv.shape, scalars: dw) }
            if let bias, bias.requiresGradient {
                grads[2] = channelSums(dy, batch: n, channels: cOut, plane: howo)
            }
            return grads
        }
    }
}

/// ∂L/∂x of a stride-1 convolution with a square kernel, computed as a *forward*
/// convolution of ∂L/∂y with the spatially flipped, channel-transposed kernel and padding
/// k − 1 − p. Compared with Wᵀ·∂L/∂y followed by col2im, this replaces the col2im
/// scatter-add (a read-modify-write over k² copies of the input) by an im2col gather and
/// lets `sgemm` write the (k² times smaller) result directly.
func convolutionInputGradientByFlippedKernel(_ dy: Tensor, weight: Tensor, geometry g: ConvolutionGeometry) -> [Float] {
    let n = dy.shape[0], cOut = dy.shape[1], ho = dy.shape[2], wo = dy.shape[3]
    let cIn = g.channels, kk = g.kernelHeight * g.kernelWidth, k = g.kernelHeight
    // W'[ci, co, i, j] = W[co, ci, k−1−i, k−1−j], stored as a [C_in, C_out·k·k] matrix.
    var flipped = uninitializedFloats(cIn * cOut * kk)
    weight.scalars.withUnsafeBufferPointer { w in
        for co in 0..<cOut {
            for ci in 0..<cIn {
                for t in 0..<kk {
                    flipped[(ci * cOut + co) * kk + (kk - 1 - t)] = w[(co * cIn + ci) * kk + t]
                }
            }
        }
    }
    let g2 = ConvolutionGeometry(channels: cOut, height: ho, width: wo, kernelHeight: k, kernelWidth: k,
                                 stride: 1, padding: k - 1 - g.padding)
    let hw = g.height * g.width, patch = g2.patchSize
    precondition(g2.outputHeight == g.height && g2.outputWidth == g.width, "conv2d: inconsistent flipped geometry")
    if ShiftedGeometry.applies(g2) {
        let taps = weightsByTap(weight, flipped: true)
        var dx = uninitializedFloats(n * cIn * hw)
        dy.scalars.withUnsafeBufferPointer { gp in
            taps.withUnsafeBufferPointer { tp in
                dx.withUnsafeMutableBufferPointer { dxp in
                    shiftedConvolution(gp.baseAddress!, batch: n, geometry: ShiftedGeometry(g2), taps: tp.baseAddress!,
                                       outputChannels: cIn, into: dxp.baseAddress!)
                }
            }
        }
        return dx
    }
    let chunk = Swift.max(1, Swift.min(n, im2colBudget / Swift.max(1, patch * hw)))
    var dx = uninitializedFloats(n * cIn * hw)
    var col = uninitializedFloats(chunk * patch * hw)
    var tmp = uninitializedFloats(chunk > 1 ? chunk * cIn * hw : 0)
    dy.scalars.withUnsafeBufferPointer { gp in
        flipped.withUnsafeBufferPointer { wp in
            col.withUnsafeMutableBufferPointer { cp in
                tmp.withUnsafeMutableBufferPointer { tp in
                    dx.withUnsafeMutableBufferPointer { dxp in
                        im2colConvolution(gp.baseAddress!, batch: n, geometry: g2, weights: wp.baseAddress!,
                                          outputChannels: cIn, chunk: chunk, columns: cp.baseAddress!,
                                          staging: tp.baseAddress, into: dxp.baseAddress!)
                    }
                }
            }
        }
    }
    return dx
}

/// 2-D transposed convolution ("deconvolution", the adjoint of ``conv2d(_:weight:bias:stride:padding:)``
/// with respect to its input), PyTorch's `ConvTranspose2d`.
///
/// - Parameters:
///   - x: images [N, C_in, H, W].
///   - weight: kernels [C_in, C_out, kh, kw] (PyTorch's layout for transposed convolutions).
///   - bias: [C_out] or `nil`.
///   - stride, padding: those of the convolution this one transposes.
///   - outputPadding: extra rows/columns added at the bottom/right (0 ≤ outputPadding < stride).
/// - Returns: [N, C_out, (H − 1)·s − 2p + kh + outputPadding, (W − 1)·s − 2p + kw + outputPadding].
public func convTranspose2d(
    _ x: Variable, weight: Variable, bias: Variable?, stride: Int = 1, padding: Int = 0, outputPadding: Int = 0
) -> Variable {
    precondition(x.value.rank == 4, "convTranspose2d: input must be [N, C, H, W], got \(x.shape)")
    precondition(weight.value.rank == 4 && weight.shape[0] == x.shape[1],
                 "convTranspose2d: weight \(weight.shape) does not match input \(x.shape) (need [\(x.shape[1]), C_out, kh, kw])")
    precondition(stride >= 1 && padding >= 0 && outputPadding >= 0 && outputPadding < stride,
                 "convTranspose2d: need stride ≥ 1, padding ≥ 0, 0 ≤ outputPadding < stride")
    let n = x.shape[0], cIn = x.shape[1], h = x.shape[2], w = x.shape[3], cOut = weight.shape[1]
    let kh = weight.shape[2], kw = weight.shape[3]
    let ho = (h - 1) * stride - 2 * padding + kh + outputPadding
    let wo = (w - 1) * stride - 2 * padding + kw + outputPadding
    precondition(ho >= 1 && wo >= 1, "convTranspose2d: output would be empty for input \(x.shape)")
    if let bias { precondition(bias.shape == [cOut], "convTranspose2d: bias \(bias.shape) must be [\(cOut)]") }
    // The geometry of the convolution that maps the output back onto the input.
    let g = ConvolutionGeometry(channels: cOut, height: ho, width: wo, kernelHeight: kh, kernelWidth: kw,
                                stride: stride, padding: padding)
    precondition(g.outputHeight == h && g.outputWidth == w, "convTranspose2d: inconsistent geometry")
    let hw = h * w, k = g.patchSize, outPlane = cOut * ho * wo
    let chunk = Swift.max(1, Swift.min(n, im2colBudget / Swift.max(1, k * hw)))
    let xv = x.value, wv = weight.value
    var y = [Float](repeating: 0, count: n * outPlane)
    var col = uninitializedFloats(chunk * k * hw)
    var tmp = uninitializedFloats(chunk > 1 ? chunk * cIn * hw : 0)
    xv.scalars.withUnsafeBufferPointer { xp in
        wv.scalars.withUnsafeBufferPointer { wp in
            y.withUnsafeMutableBufferPointer { yp in
                col.withUnsafeMutableBufferPointer { cp in
                    tmp.withUnsafeMutableBufferPointer { tp in
                        var n0 = 0
                        while n0 < n {
                            let nb = Swift.min(chunk, n - n0)
                            let columns = nb * hw
                            let xCol: UnsafePointer<Float>
                            if nb == 1 {
                                xCol = xp.baseAddress! + n0 * cIn * hw
                            } else {
                                gatherChannelMajor(xp.baseAddress! + n0 * cIn * hw, batch: nb, channels: cIn,
                                                   plane: hw, tp.baseAddress!)
                                xCol = UnsafePointer(tp.baseAddress!)
                            }
                            sgemm(transposeA: true, transposeB: false, m: k, n: columns, k: cIn,
                                  a: wp.baseAddress!, lda: k, b: xCol, ldb: columns, c: cp.baseAddress!, ldc: columns)
                            col2im(cp.baseAddress!, batch: nb, g, yp.baseAddress! + n0 * outPlane)
                            n0 += nb
                        }
                    }
                }
                if let bv = bias?.value {
                    bv.scalars.withUnsafeBufferPointer { bp in
                        addChannelBias(yp.baseAddress!, bp.baseAddress!, batch: n, channels: cOut, plane: ho * wo)
                    }
                }
            }
        }
    }
    let value = Tensor(shape: [n, cOut, ho, wo], scalars: y)
    let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
    return Variable.result(value, inputs: inputs) {
        { dy in
            var grads: [Tensor?] = [nil, nil, nil]
            let needX = x.requiresGradient, needW = weight.requiresGradient
            var dx = uninitializedFloats(needX ? n * cIn * hw : 0)
            var dw = [Float](repeating: 0, count: needW ? cIn * k : 0)
            var col = uninitializedFloats(chunk * k * hw)
            var tmp = uninitializedFloats(chunk > 1 ? chunk * cIn * hw : 0)
            dy.scalars.withUnsafeBufferPointer { gp in
                xv.scalars.withUnsafeBufferPointer { xp in
                    wv.scalars.withUnsafeBufferPointer { wp in
                        col.withUnsafeMutableBufferPointer { cp in
                            tmp.withUnsafeMutableBufferPointer { tp in
                                dx.withUnsafeMutableBufferPointer { dxp in
                                    dw.withUnsafeMutableBufferPointer { dwp in
                                        var n0 = 0
                                        while n0 < n {
                                            let nb = Swift.min(chunk, n - n0)
                                            let columns = nb * hw
                                            im2col(gp.baseAddress! + n0 * outPlane, batch: nb, g, cp.baseAddress!)
                                            if needX {  // dX = W · im2col(dY)
                                                let out = nb == 1 ? dxp.baseAddress! + n0 * cIn * hw : tp.baseAddress!
                                                sgemm(transposeA: false, transposeB: false, m: cIn, n: columns, k: k,
                                                      a: wp.baseAddress!, lda: k, b: cp.baseAddress!, ldb: columns,
                                                      c: out, ldc: columns)
                                                if nb > 1 {
                                                    scatterChannelMajor(tp.baseAddress!, batch: nb, channels: cIn, plane: hw,
                                                                        dxp.baseAddress! + n0 * cIn * hw)
                                                }
                                            }
                                            if needW {  // dW += X · im2col(dY)ᵀ
                                                let xCol: UnsafePointer<Float>
                                                if nb == 1 {
                                                    xCol = xp.baseAddress! + n0 * cIn * hw
                                                } else {
                                                    gatherChannelMajor(xp.baseAddress! + n0 * cIn * hw, batch: nb,
                                                                       channels: cIn, plane: hw, tp.baseAddress!)
                                                    xCol = UnsafePointer(tp.baseAddress!)
                                                }
                                                sgemm(transposeA: false, transposeB: true, m: cIn, n: k, k: columns,
                                                      a: xCol, lda: columns, b: cp.baseAddress!, ldb: columns,
                                                      beta: 1, c: dwp.baseAddress!, ldc: k)
                                            }
                                            n0 += nb
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            if needX { grads[0] = Tensor(shape: xv.shape, scalars: dx) }
            if needW { grads[1] = Tensor(shape: wv.shape, scalars: dw) }
            if let bias, bias.requiresGradient {
                grads[2] = channelSums(dy, batch: n, channels: cOut, plane: ho * wo)
            }
            return grads
        }
    }
}
