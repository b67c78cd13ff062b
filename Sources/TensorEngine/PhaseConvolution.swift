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
// (PhasedTransposedConvolution.swift); they share the row copies (`ck_phase_split_row`,
// `ck_phase_merge_row`).

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
        let s = stride, h = height, w = width, hq = phaseHeight, wq = phaseWidth
        parallelRanges(batch * channels, costPerItem: s * s * hq * wq) { planes in
            for plane in planes {
                let src = x + plane * h * w
                for phase in 0..<(s * s) {
                    let rh = phase / s, rw = phase % s
                    let dst = z + (plane * s * s + phase) * hq * wq
                    for q in 0..<hq {
                        let i = s * q + rh - padding
                        if i < 0 || i >= h {
                            (dst + q * wq).update(repeating: 0, count: wq)
                        } else {
                            ck_phase_split_row(dst + q * wq, wq, src + i * w, w, rw - padding, s)
                        }
                    }
                }
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

/// A tensor of `shape` whose entry e is `v[indices[e]]`, or 0 where `indices[e]` < 0; its
/// gradient adds each entry's gradient back to its source. Rearranges kernels for the phase
/// forms (a kernel is small: this costs nothing next to the convolution).
func gatherEntries(_ v: Variable, indices: [Int], shape: [Int]) -> Variable {
    let source = v.value.scalars
    let value = Tensor(shape: shape, scalars: indices.map { $0 < 0 ? 0 : source[$0] })
    let sourceShape = v.shape, count = source.count
    return Variable.result(value, inputs: [v]) {
        { g in
            var dv = [Float](repeating: 0, count: count)
            for (e, i) in indices.enumerated() where i >= 0 { dv[i] += g.scalars[e] }
            return [Tensor(shape: sourceShape, scalars: dv)]
        }
    }
}

/// Taps per axis of every phase: ⌈k/s⌉ for the larger kernel side (a shorter side gets zero taps).
private func phaseTaps(_ kh: Int, _ kw: Int, stride s: Int) -> Int { (Swift.max(kh, kw) + s - 1) / s }

/// conv2d with stride s > 1 (see ``conv2d(_:weight:bias:stride:padding:)``) as a valid stride-1
/// convolution of the input's s² phases with an M×M kernel W′[co, ci·s² + rh·s + rw, mh, mw] =
/// W[co, ci, s·mh + rh, s·mw + rw] (zero past the kernel).
func phasedStridedConvolution(
    _ x: Variable, weight: Variable, bias: Variable?, stride s: Int, padding p: Int, outputHeight ho: Int,
    outputWidth wo: Int
) -> Variable {
    let cIn = x.shape[1], cOut = weight.shape[0], kh = weight.shape[2], kw = weight.shape[3]
    let m = phaseTaps(kh, kw, stride: s)
    let grid = PhaseGrid(channels: cIn, height: x.shape[2], width: x.shape[3], stride: s, padding: p,
                         phaseHeight: ho + m - 1, phaseWidth: wo + m - 1)
    var indices = [Int](repeating: -1, count: cOut * grid.phaseChannels * m * m)
    for co in 0..<cOut {
        for ci in 0..<cIn {
            for rh in 0..<s {
                for rw in 0..<s {
                    for mh in 0..<m {
                        for mw in 0..<m {
                            let i = s * mh + rh, j = s * mw + rw
                            guard i < kh && j < kw else { continue }
                            let e = ((co * grid.phaseChannels + ci * s * s + rh * s + rw) * m + mh) * m + mw
                            indices[e] = ((co * cIn + ci) * kh + i) * kw + j
                        }
                    }
                }
            }
        }
    }
    let phaseWeight = gatherEntries(weight, indices: indices, shape: [cOut, grid.phaseChannels, m, m])
    return conv2d(splitIntoPhases(x, grid), weight: phaseWeight, bias: bias, stride: 1, padding: 0)
}
