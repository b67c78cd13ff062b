import CTensorKernels

// Strided convolutions as stride-1 convolutions over phases.
//
// With stride s, a fine grid position i (seen through p zeros on each side) lies in phase
// r = (i + p) mod s at coarse position t = (i + p) / s. Splitting the kernel the same way,
// κ = s·m + r, turns a strided convolution into a stride-1 one with M = ⌈k/s⌉ taps per axis
// over the s² phases of x, read as s²·C input channels:
//
//     y[o] = Σ_κ W[κ] · x[s·o + κ − p] = Σ_r Σ_m W[s·m + r] · x_r[o + m]
//
// It then runs on the stride-1 machinery (ShiftedConvolution.swift: the tap kernels, or
// BLAS), and its gradients are the stride-1 gradients composed with the transposed copy:
// merge, the transpose of split, carries ∂L/∂x_r back to ∂L/∂x. Transposed convolutions,
// the mirror image, keep each phase's product in cache instead
// (PhasedTransposedConvolution.swift); they share ``PhaseGrid/splitPlane(_:phase:_:into:)``
// and the row copies (`ck_phase_split_row`, `ck_phase_merge_row`).

/// The phase form of one fine grid: `channels` planes of `height`×`width`, stride `stride`,
/// `padding` zeros on each side, and the coarse planes (`phaseHeight`×`phaseWidth`) that
/// hold each phase. Coarse positions outside the fine grid (the padding, or past its end)
/// are zero; fine positions whose coarse position falls outside the coarse planes are zero.
struct PhaseGrid {
    let channels, height, width: Int
    let stride, padding: Int
    let phaseHeight, phaseWidth: Int

    /// Channels of the split form, channels · s² (channel c's phase (rh, rw) is c·s² + rh·s + rw).
    var phaseChannels: Int { channels * stride * stride }

    /// [batch, C, H, W] at `x` → [batch, C·s², Hq, Wq] at `z`.
    func split(_ x: UnsafePointer<Float>, batch: Int, into z: UnsafeMutablePointer<Float>) {
        let s = stride, hq = phaseHeight, wq = phaseWidth
        parallelRanges(batch * channels, costPerItem: s * s * hq * wq) { planes in
            for plane in planes {
                for phase in 0..<(s * s) {
                    splitPlane(x + plane * height * width, phase: phase / s, phase % s,
                               into: z + (plane * s * s + phase) * hq * wq)
                }
            }
        }
    }

    /// Phase (rh, rw) of the H×W plane at `src`, as the Hq×Wq plane at `dst`.
    func splitPlane(_ src: UnsafePointer<Float>, phase rh: Int, _ rw: Int, into dst: UnsafeMutablePointer<Float>) {
        for q in 0..<phaseHeight {
            let i = stride * q + rh - padding
            if i < 0 || i >= height {
                (dst + q * phaseWidth).update(repeating: 0, count: phaseWidth)
            } else {
                ck_phase_split_row(dst + q * phaseWidth, phaseWidth, src + i * width, width, rw - padding, stride)
            }
        }
    }

    /// [batch, C·s², Hq, Wq] at `z` → [batch, C, H, W] at `x` (the transpose of ``split(_:batch:into:)``).
    func merge(_ z: UnsafePointer<Float>, batch: Int, into x: UnsafeMutablePointer<Float>) {
        let s = stride, h = height, w = width, hq = phaseHeight, wq = phaseWidth
        parallelRanges(batch * channels, costPerItem: h * w) { planes in
            var rows = [UnsafePointer<Float>?](repeating: nil, count: s)
            for plane in planes {
                let dst = x + plane * h * w
                for i in 0..<h {
                    let rh = (i + padding) % s, q = (i + padding) / s
                    if q >= hq {
                        (dst + i * w).update(repeating: 0, count: w)
                        continue
                    }
                    for rw in 0..<s { rows[rw] = z + ((plane * s + rh) * s + rw) * hq * wq + q * wq }
                    ck_phase_merge_row(dst + i * w, w, rows, s, padding, wq, 0)
                }
            }
        }
    }
}

/// The phases of images [N, C, H, W] as channels: [N, C·s², Hq, Wq] (see ``PhaseGrid``).
func splitIntoPhases(_ x: Variable, _ grid: PhaseGrid) -> Variable {
    let n = x.shape[0]
    var z = uninitializedFloats(n * grid.phaseChannels * grid.phaseHeight * grid.phaseWidth)
    x.value.scalars.withUnsafeBufferPointer { xp in
        z.withUnsafeMutableBufferPointer { grid.split(xp.baseAddress!, batch: n, into: $0.baseAddress!) }
    }
    let value = Tensor(shape: [n, grid.phaseChannels, grid.phaseHeight, grid.phaseWidth], scalars: z)
    return Variable.result(value, inputs: [x]) {
        { dz in [Tensor(shape: [n, grid.channels, grid.height, grid.width], scalars: mergedPhases(dz, grid))] }
    }
}

private func mergedPhases(_ z: Tensor, _ grid: PhaseGrid) -> [Float] {
    let n = z.shape[0]
    var y = uninitializedFloats(n * grid.channels * grid.height * grid.width)
    z.scalars.withUnsafeBufferPointer { zp in
        y.withUnsafeMutableBufferPointer { grid.merge(zp.baseAddress!, batch: n, into: $0.baseAddress!) }
    }
    return y
}

/// The kernel W [C_out, C_in, kh, kw] of a stride-s convolution in its phase form
/// W′[co, ci·s² + rh·s + rw, mh, mw] = W[co, ci, s·mh + rh, s·mw + rw], zero past the kernel
/// (M = `taps` per axis). Every entry of W lands in exactly one entry of W′, so the gradient
/// reads the same map backwards.
func phaseKernel(_ weight: Variable, stride s: Int, taps m: Int) -> Variable {
    let cOut = weight.shape[0], cIn = weight.shape[1], kh = weight.shape[2], kw = weight.shape[3]
    let phaseChannels = cIn * s * s
    /// Calls `body(index in W′, index in W)` for every entry of W.
    func forEachEntry(_ body: (Int, Int) -> Void) {
        for co in 0..<cOut {
            for ci in 0..<cIn {
                for i in 0..<kh {
                    for j in 0..<kw {
                        let (mh, rh) = i.quotientAndRemainder(dividingBy: s)
                        let (mw, rw) = j.quotientAndRemainder(dividingBy: s)
                        body(((co * phaseChannels + ci * s * s + rh * s + rw) * m + mh) * m + mw,
                             ((co * cIn + ci) * kh + i) * kw + j)
                    }
                }
            }
        }
    }
    var phased = [Float](repeating: 0, count: cOut * phaseChannels * m * m)
    weight.value.scalars.withUnsafeBufferPointer { w in
        phased.withUnsafeMutableBufferPointer { p in forEachEntry { p[$0] = w[$1] } }
    }
    let value = Tensor(shape: [cOut, phaseChannels, m, m], scalars: phased)
    let shape = weight.shape
    return Variable.result(value, inputs: [weight]) {
        { g in
            var dw = uninitializedFloats(cOut * cIn * kh * kw)  // every entry is written once
            g.scalars.withUnsafeBufferPointer { gp in
                dw.withUnsafeMutableBufferPointer { d in forEachEntry { d[$1] = gp[$0] } }
            }
            return [Tensor(shape: shape, scalars: dw)]
        }
    }
}

/// Taps per axis of every phase: ⌈k/s⌉ for the larger kernel side (a shorter side gets zero taps).
private func phaseTaps(_ kh: Int, _ kw: Int, stride s: Int) -> Int { (Swift.max(kh, kw) + s - 1) / s }

/// conv2d with stride s > 1 (see ``conv2d(_:weight:bias:stride:padding:)``) as a valid stride-1
/// convolution of the input's s² phases with the M×M kernel ``phaseKernel(_:stride:taps:)``.
func phasedStridedConvolution(
    _ x: Variable, weight: Variable, bias: Variable?, stride s: Int, padding p: Int, outputHeight ho: Int,
    outputWidth wo: Int
) -> Variable {
    let m = phaseTaps(weight.shape[2], weight.shape[3], stride: s)
    let grid = PhaseGrid(channels: x.shape[1], height: x.shape[2], width: x.shape[3], stride: s, padding: p,
                         phaseHeight: ho + m - 1, phaseWidth: wo + m - 1)
    let phaseWeight = phaseKernel(weight, stride: s, taps: m)
    return conv2d(splitIntoPhases(x, grid), weight: phaseWeight, bias: bias, stride: 1, padding: 0)
}
