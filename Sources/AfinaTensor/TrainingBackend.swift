// The ops training adds to a backend: the backward of every forward op of the Llama family,
// the loss, and the optimizer updates (so a GPU backend keeps weights and optimizer state in
// its own memory). Gradients accumulate: ops that take an `into:` tensor add to it.
//
// Two forward ops need no backward of their own: RoPE is a rotation, so its backward is RoPE
// with negated frequencies (R(-θ) = R(θ)ᵀ); `add` passes its gradient to both inputs.

/// Hyperparameters of one AdamW update. Double, because PyTorch derives its scalars (bias
/// corrections, step size) in Python floats before rounding them to float32.
public struct AdamWStep: Sendable {
    public var learningRate: Double
    public var beta1: Double, beta2: Double
    public var epsilon: Double
    public var weightDecay: Double
    /// 1-based step count, for the bias corrections.
    public var step: Int

    public init(learningRate: Double, beta1: Double, beta2: Double, epsilon: Double, weightDecay: Double, step: Int) {
        (self.learningRate, self.beta1, self.beta2, self.epsilon) = (learningRate, beta1, beta2, epsilon)
        (self.weightDecay, self.step) = (weightDecay, step)
    }
}

/// A backend that can also train.
public protocol TrainingBackend: Backend {
    /// Input precision its large products use: what was asked for, or fp32 where the hardware
    /// lacks bf16 (a run's memory plan counts the bf16 packings by it).
    var precision: ProductPrecision { get }

    // MARK: Matrix products for linear layers
    /// a [N, K] times b [K, M]: [N, M]. `b` may be quantized (a frozen base weight [out, in]
    /// read as [K=out, M=in]), which gives a linear layer's input gradient dy · W.
    func matmul(_ a: Tensor, _ b: Tensor) -> Tensor
    /// y += a b, in place (a LoRA adapter's dh A into the base weight's input gradient).
    func accumulateMatmul(_ a: Tensor, _ b: Tensor, into y: Tensor)
    /// into [M, K] += alpha * dy [N, M]ᵀ times x [N, K]: a linear layer's weight gradient.
    func accumulateWeightGradient(_ dy: Tensor, _ x: Tensor, alpha: Float, into gradient: Tensor)
    /// into [M] += the column sums of dy [N, M]: a bias gradient.
    func accumulateBiasGradient(_ dy: Tensor, into gradient: Tensor)

    // MARK: Backward of the other forward ops
    /// dx of `embedding`: rows of dy [N, D] added into rows `ids` of gradient [V, D].
    func embeddingBackward(_ dy: Tensor, ids: [Int32], into gradient: Tensor)
    /// dx of `rmsNorm` [N, D]; adds the weight's gradient into `weightGradient` when given.
    func rmsNormBackward(_ dy: Tensor, x: Tensor, weight: Tensor, eps: Float, weightGradient: Tensor?) -> Tensor
    /// dx of `layerNorm` [N, D]; adds the weight's and bias's gradients when given.
    func layerNormBackward(_ dy: Tensor, x: Tensor, weight: Tensor, eps: Float, weightGradient: Tensor?,
                           biasGradient: Tensor?) -> Tensor
    /// dx of `gelu`.
    func geluBackward(_ dy: Tensor, x: Tensor, approximation: GELUApproximation) -> Tensor
    /// dx of `tanh` from its output y: dy (1 - y²).
    func tanhBackward(_ dy: Tensor, y: Tensor) -> Tensor
    /// dx of `relu` from its output y: dy where y > 0, else 0 (PyTorch's gradient at 0).
    func reluBackward(_ dy: Tensor, y: Tensor) -> Tensor
    /// Gradients of `swiglu` with respect to gate and up.
    func swigluBackward(_ dy: Tensor, gate: Tensor, up: Tensor) -> (gate: Tensor, up: Tensor)
    /// Gradients of `attention` (recomputing its softmax) with respect to query, keys, values;
    /// with `biasGradient` [heads, queries, keys], also adds the bias table's gradient. `output`
    /// (zeros, shaped like query), when given, receives attention's own output from the
    /// recomputed probabilities, for a caller that needs it again (the output projection's
    /// weight gradient) and would otherwise run the forward a second time.
    /// Spans must not share key rows (training: keyRow == queryRow, past == 0).
    func attentionBackward(_ dy: Tensor, query: Tensor, keys: Tensor, values: Tensor, spans: [AttentionSpan],
                           heads: Int, kvHeads: Int, headDim: Int, scale: Float, bias: AttentionBias?,
                           biasGradient: Tensor?, output: Tensor?) -> (query: Tensor, keys: Tensor, values: Tensor)

    // MARK: Loss
    /// Cross-entropy of logits [N, V] against `targets` [N], overwriting logits with
    /// scale * d(loss)/d(logits) (softmax minus one-hot); returns the summed loss (not scaled).
    func crossEntropy(_ logits: Tensor, targets: [Int32], scale: Float) -> Double
    /// Distillation on each row of `logits` [rows, V] against the teacher's row (see
    /// Distillation.swift): the logits become scale * d(loss)/d(logits); returns the summed terms.
    func distillationLoss(_ logits: Tensor, targets: [Int32], teacher: TeacherDistribution,
                          _ loss: DistillationLoss, scale: Float) -> DistillationTerms

    // MARK: Elementwise
    /// x *= factor, in place.
    func scale(_ x: Tensor, by factor: Float)
    /// Sets every element to zero.
    func zero(_ x: Tensor)
    /// Σ x², accumulated in double precision.
    func sumOfSquares(_ x: Tensor) -> Double

    // MARK: Optimizers (parameters and state are float32 tensors of one shape)
    /// One AdamW step with decoupled weight decay, `torch.optim.AdamW`'s update rule.
    func adamW(_ parameter: Tensor, gradient: Tensor, m: Tensor, v: Tensor, _ step: AdamWStep)
    /// One SGD step as `torch.optim.SGD`: L2 decay added to the gradient, then momentum
    /// (the buffer starts as the first gradient), then parameter -= learningRate * buffer.
    func sgd(_ parameter: Tensor, gradient: Tensor, momentumBuffer: Tensor?, learningRate: Float,
             momentum: Float, weightDecay: Float, firstStep: Bool)
}

extension TrainingBackend {
    public func accumulateMatmul(_ a: Tensor, _ b: Tensor, into y: Tensor) { axpy(1, matmul(a, b), into: y) }

    /// The backward of `attention` with scale 1/sqrt(headDim) and no bias.
    public func attentionBackward(_ dy: Tensor, query: Tensor, keys: Tensor, values: Tensor, spans: [AttentionSpan],
                                  heads: Int, kvHeads: Int, headDim: Int) -> (query: Tensor, keys: Tensor, values: Tensor) {
        attentionBackward(dy, query: query, keys: keys, values: values, spans: spans, heads: heads, kvHeads: kvHeads,
                          headDim: headDim, scale: 1 / Float(headDim).squareRoot(), bias: nil, biasGradient: nil,
                          output: nil)
    }
}
