import CTensorKernels

// Transposed convolutions as s² stride-1 convolutions, one per output phase, on the
// shifted-view machinery of ShiftedConvolution.swift. (Strided convolutions, the mirror
// image, are in PhaseConvolution.swift.)

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

/// y = convTranspose(x, W) + bias, by phases: x [N, C_in, H, W], W [C_in, C_out, kh, kw].
/// Each chunk's s² phase products stay in cache and are merged row by row into y.
func phasedTransposedConvolution(_ x: Tensor, weight: Tensor, bias: Tensor?, phases ph: TransposedPhases) -> [Float] {
    let n = x.shape[0], cIn = ph.inputChannels, cOut = ph.outputChannels, h = ph.height, w = ph.width
    let s = ph.stride, p = ph.padding, ho = ph.outputHeight, wo = ph.outputWidth
    let mh = ph.tapsHigh, mw = ph.tapsWide
    func layout(_ nb: Int) -> ShiftedLayout {
        ShiftedLayout(channels: cIn, batch: nb, height: h, width: w, padTop: mh - 1, padLeft: mw - 1,
                      kernelHeight: mh, kernelWidth: mw)
    }
    let one = layout(1)
    let chunks = SampleChunks(batch: n, floatsPerSample: (one.depth + s * s * cOut) * one.plane)
    let inner = chunks.threadsPerChunk
    // Phase r's stride-1 kernel: tap t holds W[r + s·(M − 1 − t)].
    let phaseWeights: [TapWeights?] = weight.scalars.withUnsafeBufferPointer { wp in
        (0..<(s * s)).map { phase in
            let rh = phase / s, rw = phase % s
            guard ph.hasTaps(rh: rh, rw: rw) else { return nil }
            return one.tapWeights(rows: cOut) { co, ci, th, tw in
                ph.weight(wp.baseAddress!, ci: ci, co: co, rh: rh, rw: rw, mh: mh - 1 - th, mw: mw - 1 - tw)
            }
        }
    }
    let bufferSize = layout(chunks.chunk).bufferCount, productSize = cOut * layout(chunks.chunk).columns
    var scratch = WorkerScratch(workers: chunks.workers, count: bufferSize + s * s * productSize)
    let zeros = [Float](repeating: 0, count: one.paddedWidth)  // the row of a phase without taps
    let biasValues = bias?.scalars ?? [Float](repeating: 0, count: cOut)
    var y = uninitializedFloats(n * cOut * ho * wo)
    x.scalars.withUnsafeBufferPointer { xp in
        y.withUnsafeMutableBufferPointer { yp in
            scratch.withBuffers { bufferOf in
                chunks.forEach { worker, samples in
                    let nb = samples.count, l = layout(nb)
                    let qh = l.outputHeight, qw = l.outputWidth, wp = l.paddedWidth, lPlane = l.plane, columns = l.columns
                    let buffer = bufferOf(worker), products = buffer + bufferSize
                    l.placeInput(xp.baseAddress! + samples.lowerBound * cIn * h * w, into: buffer, threads: inner)
                    for phase in 0..<(s * s) {
                        guard let weights = phaseWeights[phase] else { continue }
                        accumulateTapProducts(l, input: buffer, weights: weights, into: products + phase * productSize,
                                              accumulate: false, threads: inner)
                    }
                    // y[o] for o + p = s·q + r is phase r's product at q (bias alone where q ≥ qh).
                    let out = yp.baseAddress! + samples.lowerBound * cOut * ho * wo
                    zeros.withUnsafeBufferPointer { zp in
                        parallelRanges(nb * cOut, costPerItem: ho * wo, threads: inner) { items in
                            var rows = [UnsafePointer<Float>?](repeating: nil, count: s)
                            for item in items {
                                let b = item / cOut, co = item % cOut
                                for o in 0..<ho {
                                    let rh = (o + p) % s, q = (o + p) / s
                                    for rw in 0..<s {
                                        let phase = rh * s + rw
                                        rows[rw] = phaseWeights[phase] == nil || q >= qh
                                            ? zp.baseAddress!
                                            : UnsafePointer(products + phase * productSize + co * columns + b * lPlane + q * wp)
                                    }
                                    ck_phase_merge_row(out + (item * ho + o) * wo, wo, rows, s, p, qw, biasValues[co])
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    return y
}

/// ∂L/∂x and ∂L/∂W of ``phasedTransposedConvolution(_:weight:bias:phases:)``. For phase r, let
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
    // dz_r, the phase r of dy on a dh×dw plane: dz_r[q] = dy[s·q + r − p].
    let dyPhases = PhaseGrid(channels: cOut, height: ho, width: wo, stride: s, padding: p, phaseHeight: dh, phaseWidth: dw)
    func layout(_ nb: Int) -> ShiftedLayout {
        ShiftedLayout(channels: cOut, batch: nb, height: dh, width: dw, padTop: 0, padLeft: 0,
                      kernelHeight: mh, kernelWidth: mw)
    }
    let one = layout(1)
    let chunks = SampleChunks(batch: n, floatsPerSample: (one.depth + 2 * cIn) * one.plane)
    let inner = chunks.threadsPerChunk
    let phaseWeights: [TapWeights?] = needInput
        ? weight.scalars.withUnsafeBufferPointer { wp in
            (0..<(s * s)).map { phase in
                let rh = phase / s, rw = phase % s
                guard ph.hasTaps(rh: rh, rw: rw) else { return nil }
                return one.tapWeights(rows: cIn) { ci, co, th, tw in
                    ph.weight(wp.baseAddress!, ci: ci, co: co, rh: rh, rw: rw, mh: th, mw: tw)
                }
            }
        }
        : []
    // Per worker: dz_r, x placed at the output positions, the ∂L/∂x product; and the
    // weight-gradient sums of every phase.
    let big = layout(chunks.chunk)
    let dzSize = big.bufferCount, placedSize = cIn * big.columns
    let sumsSize = s * s * one.groups * cIn * one.depth, phaseSums = one.groups * cIn * one.depth
    var scratch = WorkerScratch(workers: chunks.workers, count: dzSize + 2 * placedSize)
    var sums = [Float](repeating: 0, count: needWeight ? chunks.workers * sumsSize : 0)
    var dx = uninitializedFloats(needInput ? n * cIn * h * w : 0)
    x.scalars.withUnsafeBufferPointer { xp in
        dy.scalars.withUnsafeBufferPointer { gp in
            dx.withUnsafeMutableBufferPointer { dxp in
                sums.withUnsafeMutableBufferPointer { sp in
                    scratch.withBuffers { bufferOf in
                        chunks.forEach { worker, samples in
                            let n0 = samples.lowerBound, nb = samples.count, l = layout(nb)
                            let columns = l.columns, lPlane = l.plane, unfold = l.unfold
                            let target = bufferOf(worker)
                            let placed = target + dzSize, product = placed + placedSize
                            if needWeight {
                                l.place(xp.baseAddress! + n0 * cIn * h * w, channels: cIn, height: h, width: w,
                                        top: 0, left: 0, rowSpacing: 1, into: placed, threads: inner)
                            }
                            var first = true
                            for phase in 0..<(s * s) {
                                let rh = phase / s, rw = phase % s
                                guard ph.hasTaps(rh: rh, rw: rw) else { continue }
                                // dz_r on rows co·unfold, zero wherever s·q + r − p falls outside dy.
                                let source = gp.baseAddress! + n0 * cOut * ho * wo
                                parallelRanges(cOut, costPerItem: nb * lPlane, threads: inner) { channels in
                                    for co in channels {
                                        for b in 0..<nb {
                                            dyPhases.splitPlane(source + (b * cOut + co) * ho * wo, phase: rh, rw,
                                                                into: target + co * unfold * columns + b * lPlane)
                                        }
                                    }
                                }
                                l.completeUnfolding(target, threads: inner)
                                if needInput, let weights = phaseWeights[phase] {
                                    accumulateTapProducts(l, input: target, weights: weights, into: product,
                                                          accumulate: !first, threads: inner)
                                }
                                first = false
                                if needWeight {
                                    accumulateTapWeightGradients(
                                        l, input: target, gradient: placed, rows: cIn,
                                        into: sp.baseAddress! + worker * sumsSize + phase * phaseSums, threads: inner)
                                }
                            }
                            if needInput {
                                if first {  // no phase has a tap: x does not reach y
                                    (dxp.baseAddress! + n0 * cIn * h * w).update(repeating: 0, count: nb * cIn * h * w)
                                } else {
                                    l.extract(product, rows: cIn, height: h, width: w, bias: nil,
                                              into: dxp.baseAddress! + n0 * cIn * h * w, threads: inner)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    var dW = [Float](repeating: 0, count: needWeight ? cIn * cOut * kh * kw : 0)
    if needWeight {
        for phase in 0..<(s * s) where ph.hasTaps(rh: phase / s, rw: phase % s) {
            let rh = phase / s, rw = phase % s
            let total = sumOfWorkerParts(sums, workers: chunks.workers, stride: sumsSize,
                                         range: phase * phaseSums..<(phase + 1) * phaseSums)
            one.forEachGroupedEntry(total, rows: cIn) { ci, co, th, tw, v in
                let kappaH = rh + s * th, kappaW = rw + s * tw
                if kappaH < kh && kappaW < kw { dW[((ci * cOut + co) * kh + kappaH) * kw + kappaW] += v }
            }
        }
    }
    return (dx, dW)
}
