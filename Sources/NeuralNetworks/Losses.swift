import TensorEngine
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a loss combines its per-element (or per-sample) terms into one number.
public enum LossReduction: Sendable {
    /// Average (over samples or elements; each loss says which).
    case mean
    /// Plain sum.
    case sum
}

/// Softmax cross-entropy from unnormalized scores, −log softmax(logits)[label].
///
/// - Parameters:
///   - logits: [N, classes].
///   - labels: N integer class labels in `0..<classes`.
///   - reduction: `.mean` averages over the N samples.
/// - Returns: a one-element variable. Computed with the log-sum-exp shift, so large logits
///   do not overflow.
public func softmaxCrossEntropy(logits: Variable, labels: [Int], reduction: LossReduction = .mean) -> Variable {
    precondition(logits.value.rank == 2, "softmaxCrossEntropy: logits must be [N, classes], got \(logits.shape)")
    let n = logits.shape[0], k = logits.shape[1]
    precondition(labels.count == n, "softmaxCrossEntropy: \(labels.count) labels for \(n) samples")
    precondition(labels.allSatisfy { (0..<k).contains($0) }, "softmaxCrossEntropy: a label is outside 0..<\(k)")
    var probabilities = [Float](repeating: 0, count: n * k)
    var total = 0.0
    logits.value.scalars.withUnsafeBufferPointer { lp in
        probabilities.withUnsafeMutableBufferPointer { pp in
            for i in 0..<n {
                let row = lp.baseAddress! + i * k
                var mx = row[0]
                for j in 1..<k { mx = Swift.max(mx, row[j]) }
                var s: Float = 0
                for j in 0..<k { let e = expf(row[j] - mx); pp[i * k + j] = e; s += e }
                let inv = 1 / s
                for j in 0..<k { pp[i * k + j] *= inv }
                total += Double(logf(s) + mx - row[labels[i]])
            }
        }
    }
    let scale: Float = reduction == .mean ? 1 / Float(n) : 1
    let value = Tensor(scalar: Float(total) * scale)
    return Variable.result(value, inputs: [logits]) {
        { g in
            let f = g.scalars[0] * scale
            var d = probabilities
            for i in 0..<n { d[i * k + labels[i]] -= 1 }
            for i in 0..<d.count { d[i] *= f }
            return [Tensor(shape: [n, k], scalars: d)]
        }
    }
}

/// Mean squared error ‖prediction − target‖², averaged over all elements (`.mean`) or summed.
public func meanSquaredError(_ prediction: Variable, _ target: Tensor, reduction: LossReduction = .mean) -> Variable {
    precondition(prediction.value.count == target.count,
                 "meanSquaredError: prediction \(prediction.shape) and target \(target.shape) differ in size")
    let count = target.count
    var diff = [Float](repeating: 0, count: count)
    var total = 0.0
    prediction.value.scalars.withUnsafeBufferPointer { p in
        target.scalars.withUnsafeBufferPointer { t in
            diff.withUnsafeMutableBufferPointer { d in
                var partial: Float = 0
                for i in 0..<count {
                    let e = p[i] - t[i]
                    d[i] = e
                    partial += e * e
                    if i & 4095 == 4095 { total += Double(partial); partial = 0 }
                }
                total += Double(partial)
            }
        }
    }
    let scale: Float = reduction == .mean ? 1 / Float(count) : 1
    let shape = prediction.shape
    return Variable.result(Tensor(scalar: Float(total) * scale), inputs: [prediction]) {
        { g in
            let f = 2 * scale * g.scalars[0]
            return [Tensor(shape: shape, scalars: diff).map { $0 * f }]
        }
    }
}

/// Binary cross-entropy with the sigmoid folded in, −[t·log σ(x) + (1 − t)·log(1 − σ(x))],
/// computed stably as max(x, 0) − x·t + log(1 + e^(−|x|)).
///
/// - Parameters:
///   - logits: any shape.
///   - targets: same element count, values in [0, 1].
///   - reduction: `.mean` averages over all elements.
public func binaryCrossEntropy(logits: Variable, targets: Tensor, reduction: LossReduction = .mean) -> Variable {
    precondition(logits.value.count == targets.count,
                 "binaryCrossEntropy: logits \(logits.shape) and targets \(targets.shape) differ in size")
    let count = targets.count
    var total = 0.0
    // σ(x) is kept from the forward pass for the gradient σ(x) − t (one exp per term).
    var probabilities = [Float](repeating: 0, count: count)
    logits.value.scalars.withUnsafeBufferPointer { x in
        targets.scalars.withUnsafeBufferPointer { t in
            probabilities.withUnsafeMutableBufferPointer { sp in
                let (xp, tp, sigma) = (x.baseAddress!, t.baseAddress!, sp.baseAddress!)
                // log1p/exp dominate: blocks of 4,096 terms are summed on the engine's threads
                // (fixed blocks, so the result does not depend on the thread count).
                let blocks = (count + 4095) / 4096
                var partials = [Double](repeating: 0, count: blocks)
                partials.withUnsafeMutableBufferPointer { pp in
                    let out = pp.baseAddress!
                    concurrentBlocks(blocks, costPerBlock: 4096 * 16) { block in  // log1p+exp ≈ 16 operations
                        let lo = block * 4096, n = Swift.min(count, lo + 4096) - lo
                        // max(x, 0) − x·t + log(1 + e^(−|x|)), and σ(x) (vectorized exp and log1p).
                        out[block] = Double(VectorKernels.binaryCrossEntropyTerms(
                            logits: xp + lo, targets: tp + lo, sigmoid: sigma + lo, count: n))
                    }
                }
                for p in partials { total += p }
            }
        }
    }
    let scale: Float = reduction == .mean ? 1 / Float(count) : 1
    let shape = logits.value.shape
    return Variable.result(Tensor(scalar: Float(total) * scale), inputs: [logits]) {
        { g in
            let f = scale * g.scalars[0]
            var dx = [Float](repeating: 0, count: count)
            probabilities.withUnsafeBufferPointer { sp in
                targets.scalars.withUnsafeBufferPointer { tp in
                    dx.withUnsafeMutableBufferPointer { dp in
                        let (sigma, t, d) = (sp.baseAddress!, tp.baseAddress!, dp.baseAddress!)
                        parallelElementRanges(count) { r in
                            VectorKernels.scaledDifference(sigma + r.lowerBound, t + r.lowerBound, factor: f,
                                                           into: d + r.lowerBound, count: r.count)
                        }
                    }
                }
            }
            return [Tensor(shape: shape, scalars: dx)]
        }
    }
}

/// Kullback–Leibler divergence KL(N(μ, σ²) ‖ N(0, I)) of a diagonal Gaussian posterior,
/// −½ Σⱼ (1 + log σ²ⱼ − μⱼ² − σ²ⱼ), the VAE's regularizer.
///
/// - Parameters:
///   - mean: μ, [N, latent].
///   - logVariance: log σ², same shape.
///   - reduction: `.mean` sums over latent dimensions and averages over the N samples
///     (the usual per-sample ELBO term); `.sum` sums over everything.
public func gaussianKLDivergence(mean: Variable, logVariance: Variable, reduction: LossReduction = .mean) -> Variable {
    precondition(mean.shape == logVariance.shape,
                 "gaussianKLDivergence: mean \(mean.shape) and log-variance \(logVariance.shape) differ")
    let n = mean.shape.first ?? 1
    let mv = mean.value, lv = logVariance.value
    var total = 0.0
    for i in 0..<mv.count {
        let m = mv.scalars[i], l = lv.scalars[i]
        total += -0.5 * Double(1 + l - m * m - expf(l))
    }
    let scale: Float = reduction == .mean ? 1 / Float(n) : 1
    return Variable.result(Tensor(scalar: Float(total) * scale), inputs: [mean, logVariance]) {
        { g in
            let f = scale * g.scalars[0]
            return [mean.requiresGradient ? mv.map { f * $0 } : nil,
                    logVariance.requiresGradient ? lv.map { f * 0.5 * (expf($0) - 1) } : nil]
        }
    }
}
