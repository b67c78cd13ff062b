import CTensorKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Batch normalization over the channel axis of [N, C] or [N, C, H, W] inputs
/// (PyTorch's `BatchNorm1d`/`BatchNorm2d`).
///
/// y = γ·(x − μ)/√(σ² + ε) + β per channel.
/// - In training (`training == true`) μ and σ² are the batch's mean and biased variance
///   over N (and H, W); the running statistics are then updated in place with
///   `running ← (1 − momentum)·running + momentum·batch`, using the unbiased variance
///   for `runningVariance` (as PyTorch does).
/// - In evaluation, μ and σ² are `runningMean` and `runningVariance`, which are not changed.
///
/// - Parameters:
///   - gamma, beta: scale and shift, each [C].
///   - runningMean, runningVariance: buffers of shape [C] (leaves without gradient).
///   - fusingReLU: return max(0, y) instead of y, computed in the same passes (forward and
///     backward) as the normalization: the same values and gradients as `relu(batchNorm(…))`
///     without the ReLU's own passes over the data.
public func batchNorm(
    _ x: Variable, gamma: Variable, beta: Variable,
    runningMean: Variable, runningVariance: Variable,
    training: Bool, momentum: Float = 0.1, epsilon: Float = 1e-5, fusingReLU: Bool = false
) -> Variable {
    precondition(x.value.rank == 2 || x.value.rank == 4, "batchNorm: input must be [N, C] or [N, C, H, W], got \(x.shape)")
    let n = x.shape[0], c = x.shape[1]
    let plane = x.value.rank == 4 ? x.shape[2] * x.shape[3] : 1
    for (name, v) in [("gamma", gamma), ("beta", beta), ("runningMean", runningMean), ("runningVariance", runningVariance)] {
        precondition(v.shape == [c], "batchNorm: \(name) has shape \(v.shape), need [\(c)] for input \(x.shape)")
    }
    let m = n * plane
    precondition(!training || m > 1, "batchNorm: training needs more than one value per channel, input \(x.shape)")
    var meanC = [Float](repeating: 0, count: c)
    var invStd = [Float](repeating: 0, count: c)
    let xv = x.value
    if training {
        let (batchMean, batchVariance) = channelStatistics(xv, batch: n, channels: c, plane: plane)
        for ch in 0..<c {
            meanC[ch] = batchMean[ch]
            invStd[ch] = Float(1 / (Double(batchVariance[ch]) + Double(epsilon)).squareRoot())
        }
        let varC = batchVariance
        let unbias = Float(m) / Float(m - 1)
        for ch in 0..<c {
            runningMean.value.scalars[ch] = (1 - momentum) * runningMean.value.scalars[ch] + momentum * meanC[ch]
            runningVariance.value.scalars[ch] =
                (1 - momentum) * runningVariance.value.scalars[ch] + momentum * varC[ch] * unbias
        }
    } else {
        for ch in 0..<c {
            meanC[ch] = runningMean.value.scalars[ch]
            invStd[ch] = 1 / (runningVariance.value.scalars[ch] + epsilon).squareRoot()
        }
    }
    // y = a·(x − μ) + β per channel, a = γ/σ (x − μ first: in evaluation x is often close
    // to the running μ, and a·x + (β − a·μ) would cancel). x̂ = (x − μ)/σ is not stored: the
    // backward pass recomputes it from x (kept alive by the graph anyway).
    var y = uninitializedFloats(xv.count)
    xv.scalars.withUnsafeBufferPointer { xp in
        y.withUnsafeMutableBufferPointer { yp in
            let scale = (0..<c).map { gamma.value.scalars[$0] * invStd[$0] }, shift = beta.value.scalars
            forEachPlane(batch: n, channels: c, plane: plane) { b, ch in
                let o = (b * c + ch) * plane
                if fusingReLU {
                    ck_affine_relu(xp.baseAddress! + o, meanC[ch], scale[ch], shift[ch], yp.baseAddress! + o, plane)
                } else {
                    affineMap(xp.baseAddress! + o, count: plane, center: meanC[ch], scale: scale[ch], shift: shift[ch],
                              into: yp.baseAddress! + o)
                }
            }
        }
    }
    let value = Tensor(shape: xv.shape, scalars: y)
    let gammaValue = gamma.value
    return Variable.result(value, inputs: [x, gamma, beta]) {
        { dy in
            // Σ dy and Σ dy·x̂ per channel: needed for ∂L/∂γ, ∂L/∂β and, in training, ∂L/∂x;
            // skipped for a frozen layer in evaluation.
            let needSums = (training && x.requiresGradient) || gamma.requiresGradient || beta.requiresGradient
            let (sumDy, sumDyXhat) = needSums
                ? channelGradientSums(dy, input: xv, batch: n, channels: c, plane: plane, mean: meanC, inverseStd: invStd,
                                      mask: fusingReLU ? value : nil)
                : ([Double](repeating: 0, count: c), [Double](repeating: 0, count: c))
            var grads: [Tensor?] = [nil, nil, nil]
            if x.requiresGradient {
                // Training: dx = k·(dy − mean(dy) − x̂·mean(dy·x̂)), k = γ/σ, written as
                // dx = k·dy + B·(x − μ) + C per channel. Evaluation: dx = k·dy.
                var dx = uninitializedFloats(xv.count)
                dy.scalars.withUnsafeBufferPointer { gp in
                    xv.scalars.withUnsafeBufferPointer { xp in
                      (fusingReLU ? value.scalars : []).withUnsafeBufferPointer { mp in
                        dx.withUnsafeMutableBufferPointer { dxp in
                            // Per channel: dx = k·dy + slope·(x − μ) + offset.
                            let k = (0..<c).map { gammaValue.scalars[$0] * invStd[$0] }
                            let slope = training ? (0..<c).map { -k[$0] * Float(sumDyXhat[$0] / Double(m)) * invStd[$0] }
                                : [Float](repeating: 0, count: c)
                            let offset = training ? (0..<c).map { -k[$0] * Float(sumDy[$0] / Double(m)) }
                                : [Float](repeating: 0, count: c)
                            forEachPlane(batch: n, channels: c, plane: plane) { b, ch in
                                let o = (b * c + ch) * plane
                                if fusingReLU {  // dy masked by the ReLU (y > 0) on the fly
                                    ck_masked_affine_combination(gp.baseAddress! + o, mp.baseAddress! + o,
                                                                 xp.baseAddress! + o, k[ch], slope[ch], meanC[ch],
                                                                 offset[ch], dxp.baseAddress! + o, plane)
                                } else if !training {  // dx = k·dy: x is not read
                                    ck_scale(gp.baseAddress! + o, k[ch], dxp.baseAddress! + o, plane)
                                } else {
                                    affineCombination(gp.baseAddress! + o, xp.baseAddress! + o, count: plane,
                                                      dyScale: k[ch], xScale: slope[ch], center: meanC[ch],
                                                      shift: offset[ch], into: dxp.baseAddress! + o)
                                }
                            }
                        }
                      }
                    }
                }
                grads[0] = Tensor(shape: xv.shape, scalars: dx)
            }
            if gamma.requiresGradient { grads[1] = Tensor(shape: [c], scalars: sumDyXhat.map { Float($0) }) }
            if beta.requiresGradient { grads[2] = Tensor(shape: [c], scalars: sumDy.map { Float($0) }) }
            return grads
        }
    }
}

/// y[i] = scale·(x[i] − center) + shift, i < count (CTensorKernels).
@inline(__always)
func affineMap(
    _ x: UnsafePointer<Float>, count: Int, center: Float, scale: Float, shift: Float, into y: UnsafeMutablePointer<Float>
) {
    ck_affine(x, center, scale, shift, y, count)
}

/// d[i] = dyScale·g[i] + xScale·(x[i] − center) + shift, i < count (CTensorKernels).
@inline(__always)
func affineCombination(
    _ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, count: Int,
    dyScale: Float, xScale: Float, center: Float, shift: Float, into d: UnsafeMutablePointer<Float>
) {
    ck_affine_combination(g, x, dyScale, xScale, center, shift, d, count)
}

/// Calls `body(b, ch)` for every plane (sample b, channel ch) of [N, C, P] data, split over
/// the engine's threads by contiguous runs of planes, that is by samples: the same split as
/// the convolutions' (``SampleChunks``), so on two threads each core reads the samples it
/// wrote, from its own cache, instead of half of every channel from the other core's.
@inline(__always)
func forEachPlane(batch n: Int, channels c: Int, plane: Int, _ body: (Int, Int) -> Void) {
    parallelRanges(n * c, costPerItem: plane) { planes in
        for item in planes { body(item / c, item % c) }
    }
}

/// Per-channel totals of per-plane sums: `sums(b, ch)` is computed for every plane in
/// parallel (``forEachPlane(batch:channels:plane:_:)``), then each channel's values are
/// added in sample order, so that the totals do not depend on the thread count.
func channelTotals(
    batch n: Int, channels c: Int, plane: Int, _ sums: (Int, Int) -> (Double, Double)
) -> (first: [Double], second: [Double]) {
    var perPlane = [(Double, Double)](repeating: (0, 0), count: n * c)
    perPlane.withUnsafeMutableBufferPointer { pp in
        forEachPlane(batch: n, channels: c, plane: plane) { b, ch in pp[b * c + ch] = sums(b, ch) }
    }
    var first = [Double](repeating: 0, count: c), second = first
    for b in 0..<n {
        for ch in 0..<c {
            first[ch] += perPlane[b * c + ch].0
            second[ch] += perPlane[b * c + ch].1
        }
    }
    return (first, second)
}

/// Per-channel Σ dy and Σ dy·x̂ of [N, C, P] data, with x̂ = (x − mean)·inverseStd
/// recomputed from the input x (the sums behind BatchNorm's gradients). With a `mask` (the
/// output of a fused ReLU), dy counts only where the mask is positive.
func channelGradientSums(
    _ dy: Tensor, input x: Tensor, batch n: Int, channels c: Int, plane: Int, mean: [Float], inverseStd: [Float],
    mask: Tensor? = nil
) -> (sumDy: [Double], sumDyXhat: [Double]) {
    let maskValues = mask?.scalars ?? []
    let (sumDy, centeredDots) = dy.scalars.withUnsafeBufferPointer { gp in
        x.scalars.withUnsafeBufferPointer { xp in
            maskValues.withUnsafeBufferPointer { mp in
                channelTotals(batch: n, channels: c, plane: plane) { b, ch in
                    let o = (b * c + ch) * plane
                    if mask == nil {
                        return blockedSumAndCenteredDot(gp.baseAddress! + o, xp.baseAddress! + o, count: plane,
                                                        center: mean[ch])
                    }
                    var sum = 0.0, dot = 0.0
                    ck_masked_sum_and_centered_dot(gp.baseAddress! + o, mp.baseAddress! + o, xp.baseAddress! + o,
                                                   mean[ch], plane, &sum, &dot)
                    return (sum, dot)
                }
            }
        }
    }
    return (sumDy, (0..<c).map { centeredDots[$0] * Double(inverseStd[$0]) })
}

/// Per-channel mean and biased variance of [N, C, P] data (P = H·W, or 1 for [N, C]),
/// planes spread over the engine's threads by samples. Sums are vectorized Float blocks
/// added in Double; the variance is taken around the Float mean (its rounding δ adds only δ²).
func channelStatistics(_ x: Tensor, batch n: Int, channels c: Int, plane: Int) -> (mean: [Float], variance: [Float]) {
    let m = n * plane
    return x.scalars.withUnsafeBufferPointer { xp in
        let sums = channelTotals(batch: n, channels: c, plane: plane) { b, ch in
            (blockedSum(xp.baseAddress! + (b * c + ch) * plane, count: plane), 0)
        }.first
        let mean = sums.map { Float($0 / Double(m)) }
        let squares = channelTotals(batch: n, channels: c, plane: plane) { b, ch in
            (blockedSquaredDeviations(xp.baseAddress! + (b * c + ch) * plane, count: plane, center: mean[ch]), 0)
        }.first
        return (mean, squares.map { Float($0 / Double(m)) })
    }
}
