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
public func batchNorm(
    _ x: Variable, gamma: Variable, beta: Variable,
    runningMean: Variable, runningVariance: Variable,
    training: Bool, momentum: Float = 0.1, epsilon: Float = 1e-5
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
        var varC = [Float](repeating: 0, count: c)
        xv.scalars.withUnsafeBufferPointer { xp in
            for ch in 0..<c {
                var s = 0.0
                for b in 0..<n {
                    let p = xp.baseAddress! + (b * c + ch) * plane
                    for i in 0..<plane { s += Double(p[i]) }
                }
                let mu = s / Double(m)
                var sq = 0.0
                let muF = Float(mu)
                for b in 0..<n {
                    let p = xp.baseAddress! + (b * c + ch) * plane
                    for i in 0..<plane { let d = Double(p[i]) - mu; sq += d * d }
                }
                let variance = sq / Double(m)
                meanC[ch] = muF
                varC[ch] = Float(variance)
                invStd[ch] = Float(1 / (variance + Double(epsilon)).squareRoot())
            }
        }
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
    var xhat = [Float](repeating: 0, count: xv.count)
    var y = [Float](repeating: 0, count: xv.count)
    xv.scalars.withUnsafeBufferPointer { xp in
        gamma.value.scalars.withUnsafeBufferPointer { gp in
            beta.value.scalars.withUnsafeBufferPointer { bp in
                xhat.withUnsafeMutableBufferPointer { hp in
                    y.withUnsafeMutableBufferPointer { yp in
                        for b in 0..<n {
                            for ch in 0..<c {
                                let o = (b * c + ch) * plane
                                let mu = meanC[ch], s = invStd[ch], ga = gp[ch], be = bp[ch]
                                for i in 0..<plane {
                                    let h = (xp[o + i] - mu) * s
                                    hp[o + i] = h
                                    yp[o + i] = ga * h + be
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    let value = Tensor(shape: xv.shape, scalars: y)
    let gammaValue = gamma.value
    return Variable.result(value, inputs: [x, gamma, beta]) {
        { dy in
            var sumDy = [Double](repeating: 0, count: c)
            var sumDyXhat = [Double](repeating: 0, count: c)
            dy.scalars.withUnsafeBufferPointer { gp in
                xhat.withUnsafeBufferPointer { hp in
                    for b in 0..<n {
                        for ch in 0..<c {
                            let o = (b * c + ch) * plane
                            var s1 = 0.0, s2 = 0.0
                            for i in 0..<plane { s1 += Double(gp[o + i]); s2 += Double(gp[o + i]) * Double(hp[o + i]) }
                            sumDy[ch] += s1
                            sumDyXhat[ch] += s2
                        }
                    }
                }
            }
            var grads: [Tensor?] = [nil, nil, nil]
            if x.requiresGradient {
                var dx = [Float](repeating: 0, count: xhat.count)
                dy.scalars.withUnsafeBufferPointer { gp in
                    xhat.withUnsafeBufferPointer { hp in
                        dx.withUnsafeMutableBufferPointer { dxp in
                            for b in 0..<n {
                                for ch in 0..<c {
                                    let o = (b * c + ch) * plane
                                    let k = gammaValue.scalars[ch] * invStd[ch]
                                    if training {
                                        let mean1 = Float(sumDy[ch] / Double(m)), mean2 = Float(sumDyXhat[ch] / Double(m))
                                        for i in 0..<plane { dxp[o + i] = k * (gp[o + i] - mean1 - hp[o + i] * mean2) }
                                    } else {
                                        for i in 0..<plane { dxp[o + i] = k * gp[o + i] }
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
