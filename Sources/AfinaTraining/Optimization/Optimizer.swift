// AdamW (Loshchilov and Hutter, decoupled weight decay) and SGD with momentum over a model's
// parameters, with PyTorch's update rules; the state lives on the backend beside the weights.
import AfinaModels
import AfinaTensor
import Foundation

/// Which update rule, with its hyperparameters.
public enum OptimizerSettings: Sendable, Equatable {
    case adamW(beta1: Double, beta2: Double, epsilon: Double, weightDecay: Double)
    case sgd(momentum: Double, weightDecay: Double)
}

public final class Optimizer: @unchecked Sendable {
    public let parameters: [Parameter]
    public let settings: OptimizerSettings
    let backend: any TrainingBackend
    /// Updates applied so far.
    public private(set) var step = 0
    /// Per parameter: AdamW's first and second moments, or SGD's momentum buffer.
    private(set) var state: [[Tensor]]

    public init(_ parameters: [Parameter], settings: OptimizerSettings, backend: any TrainingBackend) {
        (self.parameters, self.settings, self.backend) = (parameters, settings, backend)
        // The parameters change only in `update`, so products may keep packed forms between steps.
        for p in parameters { backend.declareWeight(p.value) }
        state = parameters.map { p in
            switch settings {
            case .adamW: [backend.zeros(p.value.shape), backend.zeros(p.value.shape)]
            case .sgd(let momentum, _): momentum == 0 ? [] : [backend.zeros(p.value.shape)]
            }
        }
    }

    /// Applies one update from `gradients` at `learningRate`.
    public func update(_ gradients: Gradients, learningRate: Double) {
        step += 1
        for (i, p) in parameters.enumerated() {
            guard let g = gradients[p.value] else { continue }
            switch settings {
            case let .adamW(beta1, beta2, epsilon, weightDecay):
                backend.adamW(p.value, gradient: g, m: state[i][0], v: state[i][1], AdamWStep(
                    learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                    weightDecay: p.decays ? weightDecay : 0, step: step))
            case let .sgd(momentum, weightDecay):
                backend.sgd(p.value, gradient: g, momentumBuffer: state[i].first, learningRate: Float(learningRate),
                            momentum: Float(momentum), weightDecay: Float(p.decays ? weightDecay : 0),
                            firstStep: step == 1)
            }
        }
    }

    /// State tensors by name (`<parameter>.exp_avg`, `.exp_avg_sq`, `.momentum_buffer`), for checkpoints.
    public var stateTensors: [(String, Tensor)] {
        let suffixes: [String]
        switch settings {
        case .adamW: suffixes = ["exp_avg", "exp_avg_sq"]
        case .sgd: suffixes = ["momentum_buffer"]
        }
        return zip(parameters, state).flatMap { p, tensors in zip(suffixes, tensors).map { (p.name + "." + $0, $1) } }
    }

    /// Restores a checkpoint's state (values copied into the existing tensors).
    public func restore(step: Int, tensors: [String: [Float]]) throws {
        for (name, t) in stateTensors {
            guard let values = tensors[name], values.count == t.count else {
                throw TrainingError.badCheckpoint("optimizer state '\(name)' is missing or has the wrong size")
            }
            backend.assign(values, to: t)
        }
        self.step = step
    }
}

/// Scales all gradients so their global L2 norm is at most `maxNorm` (torch's
/// clip_grad_norm_); returns the norm before clipping.
@discardableResult
public func clipGradientNorm(_ gradients: Gradients, maxNorm: Double, backend: any TrainingBackend) -> Double {
    let norm = gradients.tensors.map { backend.sumOfSquares($0) }.reduce(0, +).squareRoot()
    let factor = maxNorm / (norm + 1e-6)
    if maxNorm > 0, factor < 1 { for g in gradients.tensors { backend.scale(g, by: Float(factor)) } }
    return norm
}

extension TrainingBackend {
    /// Overwrites the elements of float32 tensor `t` (restoring a checkpoint).
    func assign(_ values: [Float], to t: Tensor) {
        let flat = Tensor(shape: [1, t.count], dtype: .f32, storage: t.storage)
        copyRows(tensor(values, shape: [1, t.count]), into: flat, at: [0])
    }
}
