/// Max pooling over `kernelSize`×`kernelSize` windows moved by `stride` (no padding).
///
/// - Parameter x: images [N, C, H, W].
/// - Returns: [N, C, ⌊(H − k)/s⌋ + 1, ⌊(W − k)/s⌋ + 1]. The gradient flows to the first
///   maximal element of each window (as in PyTorch).
public func maxPool2d(_ x: Variable, kernelSize: Int, stride: Int? = nil) -> Variable {
    let s = stride ?? kernelSize
    precondition(x.value.rank == 4, "maxPool2d: input must be [N, C, H, W], got \(x.shape)")
    precondition(kernelSize >= 1 && s >= 1, "maxPool2d: kernel size and stride must be ≥ 1")
    let n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3]
    precondition(h >= kernelSize && w >= kernelSize, "maxPool2d: kernel \(kernelSize) larger than input \(x.shape)")
    let ho = (h - kernelSize) / s + 1, wo = (w - kernelSize) / s + 1
    let planes = n * c, hw = h * w, howo = ho * wo
    var y = uninitializedFloats(planes * howo)
    var argmax = [Int32](repeating: 0, count: planes * howo)
    x.value.scalars.withUnsafeBufferPointer { xp in
        y.withUnsafeMutableBufferPointer { yp in
            argmax.withUnsafeMutableBufferPointer { ap in
                parallelRanges(planes, costPerItem: hw) { planeRange in
                for pl in planeRange {
                    let src = xp.baseAddress! + pl * hw
                    let dst = yp.baseAddress! + pl * howo
                    let idx = ap.baseAddress! + pl * howo
                    if kernelSize == 2 && s == 2 {  // the common case, without inner loops
                        for oh in 0..<ho {
                            for ow in 0..<wo {
                                let i0 = 2 * oh * w + 2 * ow, i1 = i0 + w
                                var best = src[i0], bestIndex = i0
                                if src[i0 + 1] > best { best = src[i0 + 1]; bestIndex = i0 + 1 }
                                if src[i1] > best { best = src[i1]; bestIndex = i1 }
                                if src[i1 + 1] > best { best = src[i1 + 1]; bestIndex = i1 + 1 }
                                dst[oh * wo + ow] = best
                                idx[oh * wo + ow] = Int32(bestIndex)
                            }
                        }
                        continue
                    }
                    for oh in 0..<ho {
                        for ow in 0..<wo {
                            let h0 = oh * s, w0 = ow * s
                            var best = src[h0 * w + w0]
                            var bestIndex = h0 * w + w0
                            for i in 0..<kernelSize {
                                let r = (h0 + i) * w + w0
                                for j in 0..<kernelSize where src[r + j] > best {
                                    best = src[r + j]
                                    bestIndex = r + j
                                }
                            }
                            dst[oh * wo + ow] = best
                            idx[oh * wo + ow] = Int32(bestIndex)
                        }
                    }
                }
                }
            }
        }
    }
    let value = Tensor(shape: [n, c, ho, wo], scalars: y)
    let inputShape = x.shape
    return Variable.result(value, inputs: [x]) {
        { g in
            var dx = uninitializedFloats(planes * hw)
            g.scalars.withUnsafeBufferPointer { gp in
                argmax.withUnsafeBufferPointer { ap in
                    dx.withUnsafeMutableBufferPointer { dxp in
                        parallelRanges(planes, costPerItem: hw) { planeRange in
                            for pl in planeRange {
                                let d = dxp.baseAddress! + pl * hw, gi = gp.baseAddress! + pl * howo
                                let ai = ap.baseAddress! + pl * howo
                                if kernelSize == 2 && s == 2 {
                                    // Windows tile the plane: write each one whole (its maximum's
                                    // gradient, zeros elsewhere), then zero an odd last row or column.
                                    for oh in 0..<ho {
                                        for ow in 0..<wo {
                                            let i0 = 2 * oh * w + 2 * ow, i1 = i0 + w, o = oh * wo + ow
                                            d[i0] = 0; d[i0 + 1] = 0; d[i1] = 0; d[i1 + 1] = 0
                                            d[Int(ai[o])] = gi[o]
                                        }
                                        if w > 2 * wo { d[(2 * oh) * w + w - 1] = 0; d[(2 * oh + 1) * w + w - 1] = 0 }
                                    }
                                    if h > 2 * ho { (d + (h - 1) * w).update(repeating: 0, count: w) }
                                    continue
                                }
                                d.update(repeating: 0, count: hw)
                                for i in 0..<howo { d[Int(ai[i])] += gi[i] }
                            }
                        }
                    }
                }
            }
            return [Tensor(shape: inputShape, scalars: dx)]
        }
    }
}

/// Average pooling over `kernelSize`×`kernelSize` windows moved by `stride` (no padding).
///
/// - Parameter x: images [N, C, H, W].
/// - Returns: [N, C, ⌊(H − k)/s⌋ + 1, ⌊(W − k)/s⌋ + 1].
public func avgPool2d(_ x: Variable, kernelSize: Int, stride: Int? = nil) -> Variable {
    let s = stride ?? kernelSize
    precondition(x.value.rank == 4, "avgPool2d: input must be [N, C, H, W], got \(x.shape)")
    precondition(kernelSize >= 1 && s >= 1, "avgPool2d: kernel size and stride must be ≥ 1")
    let n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3]
    precondition(h >= kernelSize && w >= kernelSize, "avgPool2d: kernel \(kernelSize) larger than input \(x.shape)")
    let ho = (h - kernelSize) / s + 1, wo = (w - kernelSize) / s + 1
    let planes = n * c, hw = h * w, howo = ho * wo
    let scale = 1 / Float(kernelSize * kernelSize)
    var y = uninitializedFloats(planes * howo)
    x.value.scalars.withUnsafeBufferPointer { xp in
        y.withUnsafeMutableBufferPointer { yp in
            for pl in 0..<planes {
                let src = xp.baseAddress! + pl * hw
                for oh in 0..<ho {
                    for ow in 0..<wo {
                        var acc: Float = 0
                        for i in 0..<kernelSize {
                            let r = (oh * s + i) * w + ow * s
                            for j in 0..<kernelSize { acc += src[r + j] }
                        }
                        yp[pl * howo + oh * wo + ow] = acc * scale
                    }
                }
            }
        }
    }
    let value = Tensor(shape: [n, c, ho, wo], scalars: y)
    let inputShape = x.shape
    return Variable.result(value, inputs: [x]) {
        { g in
            var dx = [Float](repeating: 0, count: planes * hw)
            g.scalars.withUnsafeBufferPointer { gp in
                dx.withUnsafeMutableBufferPointer { dxp in
                    for pl in 0..<planes {
                        let d = dxp.baseAddress! + pl * hw
                        for oh in 0..<ho {
                            for ow in 0..<wo {
                                let v = gp[pl * howo + oh * wo + ow] * scale
                                for i in 0..<kernelSize {
                                    let r = (oh * s + i) * w + ow * s
                                    for j in 0..<kernelSize { d[r + j] += v }
                                }
                            }
                        }
                    }
                }
            }
            return [Tensor(shape: inputShape, scalars: dx)]
        }
    }
}

/// Nearest-neighbour upsampling by an integer `factor` in both directions.
///
/// - Parameter x: images [N, C, H, W].
/// - Returns: [N, C, factor·H, factor·W] with y[.., i, j] = x[.., i / factor, j / factor].
public func upsampleNearest(_ x: Variable, factor: Int = 2) -> Variable {
    precondition(x.value.rank == 4, "upsampleNearest: input must be [N, C, H, W], got \(x.shape)")
    precondition(factor >= 1, "upsampleNearest: factor must be ≥ 1")
    let n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3]
    let ho = h * factor, wo = w * factor
    let planes = n * c, hw = h * w, howo = ho * wo
    var y = uninitializedFloats(planes * howo)
    x.value.scalars.withUnsafeBufferPointer { xp in
        y.withUnsafeMutableBufferPointer { yp in
            for pl in 0..<planes {
                let src = xp.baseAddress! + pl * hw
                let dst = yp.baseAddress! + pl * howo
                for oh in 0..<ho {
                    let r = src + (oh / factor) * w
                    let d = dst + oh * wo
                    for ow in 0..<wo { d[ow] = r[ow / factor] }
                }
            }
        }
    }
    let value = Tensor(shape: [n, c, ho, wo], scalars: y)
    let inputShape = x.shape
    return Variable.result(value, inputs: [x]) {
        { g in
            var dx = [Float](repeating: 0, count: planes * hw)
            g.scalars.withUnsafeBufferPointer { gp in
                dx.withUnsafeMutableBufferPointer { dxp in
                    for pl in 0..<planes {
                        let src = gp.baseAddress! + pl * howo
                        let d = dxp.baseAddress! + pl * hw
                        for oh in 0..<ho {
                            let r = d + (oh / factor) * w
                            let s = src + oh * wo
                            for ow in 0..<wo { r[ow / factor] += s[ow] }
                        }
                    }
                }
            }
            return [Tensor(shape: inputShape, scalars: dx)]
        }
    }
}
