import CTensorKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Element-wise kernels: plain loops over unsafe buffers, which the optimizer vectorizes.

extension Tensor {
    /// Applies `f` to every element (a new tensor of the same shape).
    @inlinable
    public func map(_ f: (Float) -> Float) -> Tensor {
        var out = uninitializedFloats(count)
        scalars.withUnsafeBufferPointer { a in
            out.withUnsafeMutableBufferPointer { o in
                for i in 0..<a.count { o[i] = f(a[i]) }
            }
        }
        return Tensor(shape: shape, scalars: out)
    }

    /// Combines two tensors of equal shape element by element.
    @inlinable
    public func zipMap(_ other: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
        precondition(shape == other.shape, "element-wise operation: shapes \(shape) and \(other.shape) differ")
        var out = uninitializedFloats(count)
        scalars.withUnsafeBufferPointer { a in
            other.scalars.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { o in
                    for i in 0..<a.count { o[i] = f(a[i], b[i]) }
                }
            }
        }
        return Tensor(shape: shape, scalars: out)
    }
}

// MARK: Arithmetic

/// Element-wise sum of two variables of equal shape.
public func + (a: Variable, b: Variable) -> Variable {
    let value = binaryKernel(a.value, b.value, ck_add)
    return Variable.result(value, inputs: [a, b]) {
        { g in [g, g] }
    }
}

/// Element-wise difference of two variables of equal shape.
public func - (a: Variable, b: Variable) -> Variable {
    let value = a.value.zipMap(b.value, -)
    return Variable.result(value, inputs: [a, b]) {
        { g in [g, b.requiresGradient ? g.map { -$0 } : nil] }
    }
}

/// Element-wise product of two variables of equal shape.
public func * (a: Variable, b: Variable) -> Variable {
    let av = a.value, bv = b.value
    let value = binaryKernel(av, bv, ck_multiply)
    return Variable.result(value, inputs: [a, b]) {
        { g in
            [a.requiresGradient ? binaryKernel(g, bv, ck_multiply) : nil,
             b.requiresGradient ? binaryKernel(g, av, ck_multiply) : nil]
        }
    }
}

/// A variable multiplied by a constant.
public func * (a: Variable, factor: Float) -> Variable {
    let value = unaryKernel(a.value) { ck_scale($0, factor, $1, $2) }
    return Variable.result(value, inputs: [a]) {
        { g in [unaryKernel(g) { ck_scale($0, factor, $1, $2) }] }
    }
}

/// A variable multiplied by a constant.
public func * (factor: Float, a: Variable) -> Variable { a * factor }

/// Element-wise exponential.
public func exp(_ a: Variable) -> Variable {
    let value = a.value.map { expf($0) }
    return Variable.result(value, inputs: [a]) {
        { g in [g.zipMap(value, *)] }
    }
}

/// Sum of all elements, as a one-element variable of shape [].
public func sum(_ a: Variable) -> Variable {
    let value = Tensor(scalar: Float(a.value.sum()))
    let shape = a.shape
    return Variable.result(value, inputs: [a]) {
        { g in [Tensor(shape: shape, repeating: g.scalars[0])] }
    }
}

/// Mean of all elements, as a one-element variable of shape [].
public func mean(_ a: Variable) -> Variable {
    let n = Float(a.value.count)
    let value = Tensor(scalar: Float(a.value.sum() / Double(a.value.count)))
    let shape = a.shape
    return Variable.result(value, inputs: [a]) {
        { g in [Tensor(shape: shape, repeating: g.scalars[0] / n)] }
    }
}

/// The same values with another shape of equal element count (Flatten/Reshape).
public func reshape(_ a: Variable, to shape: [Int]) -> Variable {
    let original = a.shape
    let value = a.value.reshaped(shape)
    return Variable.result(value, inputs: [a]) {
        { g in [g.reshaped(original)] }
    }
}

// MARK: Activations

/// Rectified linear unit, max(x, 0). The derivative at 0 is taken as 0 (as in PyTorch).
public func relu(_ x: Variable) -> Variable {
    let value = unaryKernel(x.value, ck_relu)
    return Variable.result(value, inputs: [x]) {
        { g in [binaryKernel(g, value, ck_relu_backward)] }
    }
}

/// Leaky ReLU: x for x > 0, `negativeSlope`·x otherwise.
public func leakyReLU(_ x: Variable, negativeSlope: Float = 0.01) -> Variable {
    let xv = x.value
    let value = xv.map { $0 > 0 ? $0 : negativeSlope * $0 }
    return Variable.result(value, inputs: [x]) {
        { g in [g.zipMap(xv) { gi, xi in xi > 0 ? gi : negativeSlope * gi }] }
    }
}

/// Logistic sigmoid, 1 / (1 + e^(−x)), computed without overflow for large |x|.
public func sigmoid(_ x: Variable) -> Variable {
    let value = x.value.map(stableSigmoid)
    return Variable.result(value, inputs: [x]) {
        { g in [g.zipMap(value) { gi, s in gi * s * (1 - s) }] }
    }
}

/// Hyperbolic tangent.
public func tanh(_ x: Variable) -> Variable {
    let value = x.value.map { tanhf($0) }
    return Variable.result(value, inputs: [x]) {
        { g in [g.zipMap(value) { gi, t in gi * (1 - t * t) }] }
    }
}

/// 1 / (1 + e^(−x)) without overflow.
@inlinable
public func stableSigmoid(_ x: Float) -> Float {
    if x >= 0 {
        return 1 / (1 + expf(-x))
    } else {
        let e = expf(x)
        return e / (1 + e)
    }
}
