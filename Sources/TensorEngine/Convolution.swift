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
    let totals = g.scalars.withUnsafeBufferPointer { gp in
        channelTotals(batch: batch, channels: channels, plane: plane) { b, c in
            (blockedSum(gp.baseAddress! + (b * channels + c) * plane, count: plane), 0)
        }.first
    }
    return Tensor(shape: [channels], scalars: totals.map { Float($0) })
}

/// 2-D convolution (cross-correlation) of NCHW images.
///
/// Stride 1 with padding p ≤ k − 1 runs as k² products over shifted views of the
/// zero-padded input (see `ShiftedLayout`), with no im2col copy. Stride s ≤ k runs as a
/// stride-1 convolution of the input's s² phases (see `PhaseGrid`). Small output planes,
/// larger paddings and kernels smaller than the stride unfold patches with im2col and
/// multiply with `cblas_sgemm`.
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
    let ho = g.outputHeight, wo = g.outputWidth, howo = ho * wo
    let xv = x.value, wv = weight.value
    let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
    func biasGradient(_ dy: Tensor) -> Tensor? {
        guard let bias, bias.requiresGradient else { return nil }
        return channelSums(dy, batch: n, channels: cOut, plane: howo)
    }
    if stride > 1 && Swift.min(g.kernelHeight, g.kernelWidth) >= stride {
        return phasedStridedConvolution(x, weight: weight, bias: bias, stride: stride, padding: padding,
                                        outputHeight: ho, outputWidth: wo)
    }
    if stride == 1 && padding <= Swift.min(g.kernelHeight, g.kernelWidth) - 1 && !prefersUnfolding(g) {
        let y = shiftedConvolution(xv, weight: wv, bias: bias?.value, padding: padding)
        return Variable.result(Tensor(shape: [n, cOut, ho, wo], scalars: y), inputs: inputs) {
            { dy in
                let (dx, dw) = shiftedConvolutionGradients(dy, input: xv, weight: wv, padding: padding,
                                                           needInput: x.requiresGradient, needWeight: weight.requiresGradient)
                return [x.requiresGradient ? Tensor(shape: xv.shape, scalars: dx) : nil,
                        weight.requiresGradient ? Tensor(shape: wv.shape, scalars: dw) : nil,
                        biasGradient(dy)]
            }
        }
    }
    let k = g.patchSize, inPlane = g.channels * g.height * g.width
    let chunk = Swift.max(1, Swift.min(n, im2colBudget / Swift.max(1, k * howo)))
    var y = uninitializedFloats(n * cOut * howo)
    var col = uninitializedFloats(chunk * k * howo)
    var tmp = uninitializedFloats(chunk > 1 ? chunk * cOut * howo : 0)
    xv.scalars.withUnsafeBufferPointer { xp in
        wv.scalars.withUnsafeBufferPointer { wp in
            y.withUnsafeMutableBufferPointer { yp in
                col.withUnsafeMutableBufferPointer { cp in
                    tmp.withUnsafeMutableBufferPointer { tp in
                        im2colConvolution(xp.baseAddress!, batch: n, geometry: g, weights: wp.baseAddress!,
                                          outputChannels: cOut, chunk: chunk, columns: cp.baseAddress!,
                                          staging: tp.baseAddress, into: yp.baseAddress!)
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
    let savedColumns = chunk >= n && weight.requiresGradient && GradientRecording.isEnabled ? col : []
    col = []
    let value = Tensor(shape: [n, cOut, ho, wo], scalars: y)
    return Variable.result(value, inputs: inputs) {
        { dy in
            let needX = x.requiresGradient, needW = weight.requiresGradient
            var dx = [Float](repeating: 0, count: needX ? n * inPlane : 0)
            var dw = [Float](repeating: 0, count: needW ? cOut * k : 0)
            var col = uninitializedFloats((needW && savedColumns.isEmpty) || needX ? chunk * k * howo : 0)
            var tmp = uninitializedFloats(chunk > 1 ? chunk * cOut * howo : 0)
            dy.scalars.withUnsafeBufferPointer { gp in
                xv.scalars.withUnsafeBufferPointer { xp in
                    wv.scalars.withUnsafeBufferPointer { wp in
                        col.withUnsafeMutableBufferPointer { cp in
                            tmp.withUnsafeMutableBufferPointer { tp in
                                dx.withUnsafeMutableBufferPointer { dxp in
                                    dw.withUnsafeMutableBufferPointer { dwp in
                                        var n0 = needW || needX ? 0 : n
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
                                            if needW {  // dW += dY · colᵀ
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
                                            if needX {  // dcol = Wᵀ · dY, folded back into dX
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
            return [needX ? Tensor(shape: xv.shape, scalars: dx) : nil,
                    needW ? Tensor(shape: wv.shape, scalars: dw) : nil,
                    biasGradient(dy)]
        }
    }
}

/// 2-D transposed convolution ("deconvolution", the adjoint of ``conv2d(_:weight:bias:stride:padding:)``
/// with respect to its input), PyTorch's `ConvTranspose2d`.
///
/// Computed by phases: for stride s the output splits into s² interleaved sub-grids, each a
/// stride-1 convolution of the input with ⌈k/s⌉² taps of the kernel (see `TransposedPhases`),
/// merged row by row into the output, so no column matrix is scattered back.
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
    let phases = TransposedPhases(inputChannels: cIn, outputChannels: cOut, height: h, width: w,
                                  kernelHeight: kh, kernelWidth: kw, stride: stride, padding: padding,
                                  outputHeight: ho, outputWidth: wo)
    let xv = x.value, wv = weight.value
    let y = phasedTransposedConvolution(xv, weight: wv, bias: bias?.value, phases: phases)
    let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
    return Variable.result(Tensor(shape: [n, cOut, ho, wo], scalars: y), inputs: inputs) {
        { dy in
            let needX = x.requiresGradient, needW = weight.requiresGradient
            let (dx, dw) = phasedTransposedConvolutionGradients(dy, input: xv, weight: wv, phases: phases,
                                                                needInput: needX, needWeight: needW)
            var biasGradient: Tensor?
            if let bias, bias.requiresGradient {
                biasGradient = channelSums(dy, batch: n, channels: cOut, plane: ho * wo)
            }
            return [needX ? Tensor(shape: xv.shape, scalars: dx) : nil,
                    needW ? Tensor(shape: wv.shape, scalars: dw) : nil,
                    biasGradient]
        }
    }
}

/// Whether a stride-1 convolution runs faster by im2col + one sgemm than by k² products
/// over shifted views: for a small output plane (≤ 100 pixels, e.g. the paper's LeNet conv2,
/// 20→50 channels on 8×8) with more than 8 input channels, the shifted products have a short
/// inner dimension (C) and waste (W + 2p)/W of their columns, while the unfolded matrix is
/// small enough to stay in cache. Measured on LeNet: 1.7–2× faster training steps.
func prefersUnfolding(_ g: ConvolutionGeometry) -> Bool {
    g.channels > 8 && g.outputHeight * g.outputWidth <= 100
}
