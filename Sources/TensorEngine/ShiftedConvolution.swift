/// Stride-1 convolution without im2col ("shifted views").
///
/// With the input zero-padded to Hp×Wp = (H + 2p)×(W + 2p), tap (i, j) of the kernel
/// multiplies the padded planes shifted by i·Wp + j. Read as a matrix with row stride
/// Hp·Wp (one row per input channel) and Ho·Wp columns, that shifted view is exactly the
/// im2col block of the tap, computed on padded-width rows (the last k − 1 columns of each
/// row are junk and are dropped). So the convolution is k² matrix products
/// Y (C_out × Ho·Wp) += W_tap (C_out × C_in) · X_shifted (C_in × Ho·Wp), with no im2col
/// copy; per sample, Y and X stay in cache across the k² products. Samples are spread
/// over the engine's threads, each calling single-threaded BLAS.
struct ShiftedGeometry {
    let channels, height, width, kernel, padding: Int
    var paddedHeight: Int { height + 2 * padding }
    var paddedWidth: Int { width + 2 * padding }
    var outputHeight: Int { paddedHeight - kernel + 1 }
    var outputWidth: Int { paddedWidth - kernel + 1 }
    /// Floats per padded plane.
    var paddedPlane: Int { paddedHeight * paddedWidth }
    /// Columns of each tap's product (output rows on padded width).
    var columns: Int { outputHeight * paddedWidth }
    /// Floats of a padded sample, plus slack for the last tap's overhanging reads.
    var paddedSample: Int { channels * paddedPlane + kernel }

    init(_ g: ConvolutionGeometry) {
        channels = g.channels; height = g.height; width = g.width
        kernel = g.kernelHeight; padding = g.padding
    }

    init(channels: Int, height: Int, width: Int, kernel: Int, padding: Int) {
        self.channels = channels; self.height = height; self.width = width
        self.kernel = kernel; self.padding = padding
    }

    /// Whether the shifted-view path applies and pays off (stride 1, square kernel,
    /// large enough planes that per-sample products are not dominated by call overhead).
    static func applies(_ g: ConvolutionGeometry) -> Bool {
        g.stride == 1 && g.kernelHeight == g.kernelWidth && g.kernelHeight > 1
            && g.outputHeight * (g.width + 2 * g.padding) >= 1024
    }

    /// Copies one sample [C, H, W] into its zero-padded layout.
    func pad(_ x: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>) {
        dst.update(repeating: 0, count: paddedSample)
        for c in 0..<channels {
            for r in 0..<height {
                (dst + c * paddedPlane + (r + padding) * paddedWidth + padding)
                    .update(from: x + (c * height + r) * width, count: width)
            }
        }
    }
}

/// Kernel taps as separate matrices: W [C_out, C_in, k, k] → [k², C_out, C_in]. With
/// `flipped`, the kernel of the input-gradient convolution instead: tap t of the result is
/// Wᵀ at tap k² − 1 − t, as a [k², C_in, C_out] array.
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

/// y[N, C_out, Ho, Wo] = stride-1 convolution of x[N, C_in, H, W] with tap matrices
/// `taps` ([k², C_out, C_in], see ``weightsByTap(_:flipped:)``); no bias.
func shiftedConvolution(
    _ x: UnsafePointer<Float>, batch n: Int, geometry sg: ShiftedGeometry, taps: UnsafePointer<Float>,
    outputChannels cOut: Int, into y: UnsafeMutablePointer<Float>
) {
    let cIn = sg.channels, k = sg.kernel, wp = sg.paddedWidth, columns = sg.columns
    let ho = sg.outputHeight, wo = sg.outputWidth
    BLASThreads.withSingleThreadedProducts { threads in
        parallelRanges(n, costPerItem: 1 << 20, threads: threads) { samples in
            var padded = uninitializedFloats(sg.paddedSample)
            var product = uninitializedFloats(cOut * columns)
            padded.withUnsafeMutableBufferPointer { xp in
                product.withUnsafeMutableBufferPointer { yp in
                    for b in samples {
                        sg.pad(x + b * cIn * sg.height * sg.width, into: xp.baseAddress!)
                        for i in 0..<k {
                            for j in 0..<k {
                                let t = i * k + j
                                sgemm(transposeA: false, transposeB: false, m: cOut, n: columns, k: cIn,
                                      a: taps + t * cOut * cIn, lda: cIn,
                                      b: xp.baseAddress! + i * wp + j, ldb: sg.paddedPlane,
                                      beta: t == 0 ? 0 : 1, c: yp.baseAddress!, ldc: columns)
                            }
                        }
                        let out = y + b * cOut * ho * wo
                        for c in 0..<cOut {
                            for r in 0..<ho {
                                (out + (c * ho + r) * wo).update(from: yp.baseAddress! + c * columns + r * wp, count: wo)
                            }
                        }
                    }
                }
            }
        }
    }
}

/// ∂L/∂W of a stride-1 convolution, as [k², C_out, C_in] tap matrices:
/// dW_tap += dY (C_out × Ho·Wp, junk columns zero) · X_shiftedᵀ, summed over samples.
func shiftedConvolutionWeightGradient(
    _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, batch n: Int, geometry sg: ShiftedGeometry,
    outputChannels cOut: Int
) -> [Float] {
    let cIn = sg.channels, k = sg.kernel, wp = sg.paddedWidth, columns = sg.columns
    let ho = sg.outputHeight, wo = sg.outputWidth, kk = k * k
    let threads = Swift.min(BLASThreads.current, n)
    var partial = [Float](repeating: 0, count: Swift.max(threads, 1) * kk * cOut * cIn)
    partial.withUnsafeMutableBufferPointer { pp in
        let partialBase = pp.baseAddress!
        BLASThreads.withSingleThreadedProducts { available in
            let parts = Swift.min(available, n)
            parallelRanges(parts, costPerItem: 1 << 20, threads: parts) { workers in
                for worker in workers {
                    let lo = n * worker / parts, hi = n * (worker + 1) / parts
                    let acc = partialBase + worker * kk * cOut * cIn
                    var padded = uninitializedFloats(sg.paddedSample)
                    var gradient = [Float](repeating: 0, count: cOut * columns)  // junk columns stay 0
                    padded.withUnsafeMutableBufferPointer { xp in
                        gradient.withUnsafeMutableBufferPointer { gp in
                            for b in lo..<hi {
                                sg.pad(x + b * cIn * sg.height * sg.width, into: xp.baseAddress!)
                                let g = dy + b * cOut * ho * wo
                                for c in 0..<cOut {
                                    for r in 0..<ho {
                                        (gp.baseAddress! + c * columns + r * wp).update(from: g + (c * ho + r) * wo, count: wo)
                                    }
                                }
                                for i in 0..<k {
                                    for j in 0..<k {
                                        let t = i * k + j
                                        sgemm(transposeA: false, transposeB: true, m: cOut, n: cIn, k: columns,
                                              a: gp.baseAddress!, lda: columns,
                                              b: xp.baseAddress! + i * wp + j, ldb: sg.paddedPlane,
                                              beta: 1, c: acc + t * cOut * cIn, ldc: cIn)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    // Sum the workers' partial results and reorder [k², C_out, C_in] → [C_out, C_in, k²].
    var dw = uninitializedFloats(cOut * cIn * kk)
    let stride = kk * cOut * cIn
    for t in 0..<kk {
        for co in 0..<cOut {
            for ci in 0..<cIn {
                var s: Float = 0
                for w in 0..<Swift.max(threads, 1) { s += partial[w * stride + (t * cOut + co) * cIn + ci] }
                dw[(co * cIn + ci) * kk + t] = s
            }
        }
    }
    return dw
}
