/// Affine map of a batch of vectors, y = x·Wᵀ + b (PyTorch's `Linear` convention).
///
/// - Parameters:
///   - x: inputs of shape [N, in].
///   - weight: shape [out, in].
///   - bias: shape [out], or `nil` for none.
/// - Returns: shape [N, out].
public func linear(_ x: Variable, weight: Variable, bias: Variable?) -> Variable {
    precondition(x.value.rank == 2, "linear: input must be [N, in], got \(x.shape)")
    precondition(weight.value.rank == 2 && weight.shape[1] == x.shape[1],
                 "linear: weight \(weight.shape) does not match input \(x.shape) (need [out, \(x.shape[1])])")
    let n = x.shape[0], inCount = x.shape[1], outCount = weight.shape[0]
    if let bias { precondition(bias.shape == [outCount], "linear: bias \(bias.shape) must be [\(outCount)]") }
    let xv = x.value, wv = weight.value
    var y = [Float](repeating: 0, count: n * outCount)
    y.withUnsafeMutableBufferPointer { yp in
        if let bv = bias?.value {
            bv.scalars.withUnsafeBufferPointer { b in
                for i in 0..<n { for j in 0..<outCount { yp[i * outCount + j] = b[j] } }
            }
        }
        xv.scalars.withUnsafeBufferPointer { xp in
            wv.scalars.withUnsafeBufferPointer { wp in
                sgemm(transposeA: false, transposeB: true, m: n, n: outCount, k: inCount,
                      a: xp.baseAddress!, lda: inCount, b: wp.baseAddress!, ldb: inCount,
                      beta: bias == nil ? 0 : 1, c: yp.baseAddress!, ldc: outCount)
            }
        }
    }
    let value = Tensor(shape: [n, outCount], scalars: y)
    let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
    return Variable.result(value, inputs: inputs) {
        { g in
            var grads: [Tensor?] = [nil, nil, nil]
            g.scalars.withUnsafeBufferPointer { gp in
                if x.requiresGradient {  // dX = dY · W
                    var dx = [Float](repeating: 0, count: n * inCount)
                    wv.scalars.withUnsafeBufferPointer { wp in
                        dx.withUnsafeMutableBufferPointer { dxp in
                            sgemm(transposeA: false, transposeB: false, m: n, n: inCount, k: outCount,
                                  a: gp.baseAddress!, lda: outCount, b: wp.baseAddress!, ldb: inCount,
                                  c: dxp.baseAddress!, ldc: inCount)
                        }
                    }
                    grads[0] = Tensor(shape: [n, inCount], scalars: dx)
                }
                if weight.requiresGradient {  // dW = dYᵀ · X
                    var dw = [Float](repeating: 0, count: outCount * inCount)
                    xv.scalars.withUnsafeBufferPointer { xp in
                        dw.withUnsafeMutableBufferPointer { dwp in
                            sgemm(transposeA: true, transposeB: false, m: outCount, n: inCount, k: n,
                                  a: gp.baseAddress!, lda: outCount, b: xp.baseAddress!, ldb: inCount,
                                  c: dwp.baseAddress!, ldc: inCount)
                        }
                    }
                    grads[1] = Tensor(shape: [outCount, inCount], scalars: dw)
                }
                if let bias, bias.requiresGradient {  // db = column sums of dY
                    var db = [Float](repeating: 0, count: outCount)
                    db.withUnsafeMutableBufferPointer { dbp in
                        for i in 0..<n { for j in 0..<outCount { dbp[j] += gp[i * outCount + j] } }
                    }
                    grads[2] = Tensor(shape: [outCount], scalars: db)
                }
            }
            return grads
        }
    }
}
