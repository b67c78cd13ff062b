/// A node of a reverse-mode automatic-differentiation graph: a ``Tensor`` value, and
/// (after ``backward(seed:)``) the gradient of a scalar loss with respect to it.
///
/// Build a graph by applying differentiable operations (``linear(_:weight:bias:)``,
/// ``conv2d(_:weight:bias:stride:padding:)``, ``relu(_:)``, …) to variables. Each
/// result remembers its inputs and a *pullback* closure that maps the gradient of the
/// result to the gradients of the inputs. Calling ``backward(seed:)`` on a scalar
/// result walks the graph once in reverse topological order and accumulates gradients
/// into every leaf whose ``requiresGradient`` is true: model parameters *and* inputs.
/// The sampler obtains ∂L/∂z this way:
///
/// ```swift
/// let z = Variable(latentCodes, requiresGradient: true)
/// let loss = meanSquaredError(target(generator(z)), labels)
/// loss.backward()
/// let dLdz = z.gradient!   // same shape as z
/// ```
///
/// There is no global tape: the graph is owned by its result. `backward` consumes the
/// graph (it releases pullbacks, intermediate values and intermediate gradients as it
/// goes), and a graph that is never differentiated is freed when its result goes out
/// of scope, so memory stays flat across training steps. Inside ``withoutGradients(_:)``
/// no graph is recorded at all (evaluation mode).
public final class Variable {
    /// The value computed in the forward pass.
    public var value: Tensor
    /// The accumulated gradient ∂L/∂(this value) of the last ``backward(seed:)``; `nil`
    /// before any gradient reached it. Only leaves keep it after `backward` returns.
    public var gradient: Tensor?
    /// Whether gradients flow to this variable. Set it on leaves (parameters, inputs);
    /// results of operations get it when any input has it and recording is enabled.
    public var requiresGradient: Bool

    /// Inputs of the operation that produced this variable (empty for leaves).
    @usableFromInline var inputs: [Variable]
    /// Maps ∂L/∂self to ∂L/∂inputs[i] (nil entries for inputs that need no gradient).
    @usableFromInline var pullback: ((Tensor) -> [Tensor?])?

    /// Creates a leaf variable.
    ///
    /// - Parameters:
    ///   - value: the tensor.
    ///   - requiresGradient: whether ``backward(seed:)`` should compute its gradient.
    public init(_ value: Tensor, requiresGradient: Bool = false) {
        self.value = value
        self.requiresGradient = requiresGradient
        self.inputs = []
        self.pullback = nil
    }

    @usableFromInline init(value: Tensor, inputs: [Variable], pullback: @escaping (Tensor) -> [Tensor?]) {
        self.value = value
        self.requiresGradient = true
        self.inputs = inputs
        self.pullback = pullback
    }

    /// The shape of ``value``.
    public var shape: [Int] { value.shape }

    /// Whether this variable is a leaf (not produced by a recorded operation).
    public var isLeaf: Bool { pullback == nil }

    /// Creates the result of an operation, recording it in the graph only when gradient
    /// recording is on and some input requires a gradient.
    ///
    /// `makePullback` is called only in that case; the closure it returns receives
    /// ∂L/∂result and returns one entry per input (nil where not needed).
    @inlinable
    public static func result(
        _ value: Tensor, inputs: [Variable], pullback makePullback: () -> (Tensor) -> [Tensor?]
    ) -> Variable {
        if GradientRecording.isEnabled, inputs.contains(where: { $0.requiresGradient }) {
            return Variable(value: value, inputs: inputs, pullback: makePullback())
        }
        return Variable(value)
    }

    /// Back-propagates from this variable through its graph.
    ///
    /// - Parameter seed: ∂L/∂self. When `nil`, this variable must hold exactly one
    ///   element and the seed is 1 (the usual "loss.backward()").
    ///
    /// Gradients *accumulate* into leaves' ``gradient`` (call an optimizer's
    /// `zeroGradients()` or set them to `nil` between steps). The graph is consumed:
    /// calling `backward` twice on the same result does nothing the second time.
    public func backward(seed: Tensor? = nil) {
        guard requiresGradient, pullback != nil || isLeaf else { return }
        let start: Tensor
        if let seed {
            precondition(seed.count == value.count, "backward: seed shape \(seed.shape) does not match \(value.shape)")
            start = seed.reshaped(value.shape)
        } else {
            precondition(value.count == 1, "backward: result has shape \(value.shape); pass a seed for non-scalar results")
            start = Tensor(shape: value.shape, repeating: 1)
        }
        if isLeaf {
            Variable.accumulate(start, into: self)
            return
        }
        let order = topologicalOrder()
        gradient = start
        for node in order.reversed() {
            guard let pullback = node.pullback else { continue }
            if let g = node.gradient {
                let inputGradients = pullback(g)
                for (input, ig) in zip(node.inputs, inputGradients) {
                    guard let ig, input.requiresGradient else { continue }
                    Variable.accumulate(ig, into: input)
                }
            }
            // Release this node's part of the graph and its intermediate gradient.
            node.pullback = nil
            node.inputs = []
            node.gradient = nil
        }
    }

    @inline(__always)
    static func accumulate(_ g: Tensor, into v: Variable) {
        if v.gradient == nil {
            v.gradient = g.reshaped(v.value.shape)
        } else {
            v.gradient!.add(g)
        }
    }

    /// Nodes reachable from `self` through recorded operations, inputs before users.
    private func topologicalOrder() -> [Variable] {
        var order: [Variable] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Variable, Int)] = [(self, 0)]
        visited.insert(ObjectIdentifier(self))
        while let (node, next) = stack.popLast() {
            if next < node.inputs.count {
                stack.append((node, next + 1))
                let child = node.inputs[next]
                if child.pullback != nil, visited.insert(ObjectIdentifier(child)).inserted {
                    stack.append((child, 0))
                }
            } else {
                order.append(node)
            }
        }
        return order
    }
}

/// Whether differentiable operations record a graph (on by default).
public enum GradientRecording {
    /// True unless inside ``withoutGradients(_:)`` in the current task or thread.
    @TaskLocal public static var isEnabled: Bool = true
}

/// Runs `body` in evaluation mode: operations record no graph and keep no buffers for
/// a backward pass. Use it for inference and validation.
public func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
    try GradientRecording.$isEnabled.withValue(false, operation: body)
}

/// Evaluates `function` at `input` and returns its value and ∂function/∂input.
///
/// `function` must return a one-element variable (a loss). Parameters that require
/// gradients inside `function` also receive (accumulated) gradients; freeze them
/// (`requiresGradient = false`) when only ∂L/∂input is wanted, to save work.
public func valueWithGradient(
    at input: Tensor, of function: (Variable) -> Variable
) -> (value: Float, gradient: Tensor) {
    let x = Variable(input, requiresGradient: true)
    let y = function(x)
    let value = y.value.scalar
    y.backward()
    return (value, x.gradient ?? Tensor(zeros: input.shape))
}
