// Training ops whose plain loops are also fast enough: elementwise work, normalisation and
// optimizer updates, shared by the reference and CPU backends.
import CAfinaKernels
import Foundation

extension HostBackend {
    public func embeddingBackward(_ dy: Tensor, ids: [Int32], into gradient: Tensor) {
        let d = dy.columns
        precondition(gradient.columns == d && dy.rows == ids.count)
        for (i, id) in ids.enumerated() {
            let (src, dst) = (dy.f32 + i * d, gradient.f32 + Int(id) * d)
            for c in 0..<d { dst[c] += src[c] }
        }
    }

    public func rmsNormBackward(_ dy: Tensor, x: Tensor, weight: Tensor, eps: Float, weightGradient: Tensor?) -> Tensor {
        // y = x * r * w with r = (mean(x²) + eps)^-1/2:
        // dx = r * (dy*w) - x * r³ / D * Σ(dy*w*x);  dw += Σ_rows dy * x * r.
        let (n, d) = (x.rows, x.columns)
        let dx = zeros(x.shape)
        for row in 0..<n {
            let (xs, dys, dxs) = (x.f32 + row * d, dy.f32 + row * d, dx.f32 + row * d)
            var sumSquares: Float = 0, dot: Float = 0
            for c in 0..<d {
                sumSquares += xs[c] * xs[c]
                dot += dys[c] * weight.f32[c] * xs[c]
            }
            let r = 1 / (sumSquares / Float(d) + eps).squareRoot()
            let k = r * r * r * dot / Float(d)
            for c in 0..<d { dxs[c] = r * dys[c] * weight.f32[c] - xs[c] * k }
            if let g = weightGradient {
                for c in 0..<d { g.f32[c] += dys[c] * xs[c] * r }
            }
        }
        return dx
    }

    public func layerNormBackward(_ dy: Tensor, x: Tensor, weight: Tensor, eps: Float, weightGradient: Tensor?,
                                  biasGradient: Tensor?) -> Tensor {
        // y = x̂ w + b, x̂ = (x - μ) r, r = (var + eps)^-1/2; with g = dy w:
        // dx = r (g - mean(g) - x̂ mean(g x̂));  dw += Σ_rows dy x̂;  db += Σ_rows dy.
        let (n, d) = (x.rows, x.columns)
        let dx = zeros(x.shape)
        var normalized = [Float](repeating: 0, count: d)
        for row in 0..<n {
            let (xs, dys, dxs) = (x.f32 + row * d, dy.f32 + row * d, dx.f32 + row * d)
            var mean: Float = 0
            for c in 0..<d { mean += xs[c] }
            mean /= Float(d)
            var variance: Float = 0
            for c in 0..<d { variance += (xs[c] - mean) * (xs[c] - mean) }
            let r = 1 / (variance / Float(d) + eps).squareRoot()
            var meanG: Float = 0, meanGX: Float = 0
            for c in 0..<d {
                normalized[c] = (xs[c] - mean) * r
                let g = dys[c] * weight.f32[c]
                meanG += g
                meanGX += g * normalized[c]
            }
            (meanG, meanGX) = (meanG / Float(d), meanGX / Float(d))
            for c in 0..<d { dxs[c] = r * (dys[c] * weight.f32[c] - meanG - normalized[c] * meanGX) }
            if let g = weightGradient { for c in 0..<d { g.f32[c] += dys[c] * normalized[c] } }
            if let g = biasGradient { for c in 0..<d { g.f32[c] += dys[c] } }
        }
        return dx
    }

    public func geluBackward(_ dy: Tensor, x: Tensor, approximation: GELUApproximation) -> Tensor {
        precondition(dy.count == x.count)
        let dx = zeros(x.shape)
        for i in 0..<x.count { dx.f32[i] = dy.f32[i] * Float(GELU.derivative(Double(x.f32[i]), approximation)) }
        return dx
    }

    public func tanhBackward(_ dy: Tensor, y: Tensor) -> Tensor {
        precondition(dy.count == y.count)
        let dx = zeros(y.shape)
        for i in 0..<y.count { dx.f32[i] = dy.f32[i] * (1 - y.f32[i] * y.f32[i]) }
        return dx
    }

    public func reluBackward(_ dy: Tensor, y: Tensor) -> Tensor {
        precondition(dy.count == y.count)
        let dx = uninitialized(y.shape)
        for i in 0..<y.count { dx.f32[i] = y.f32[i] > 0 ? dy.f32[i] : 0 }
        return dx
    }

    public func swigluBackward(_ dy: Tensor, gate: Tensor, up: Tensor) -> (gate: Tensor, up: Tensor) {
        // out = silu(g) * u, silu(g) = g * s with s = sigmoid(g); silu'(g) = s * (1 + g * (1 - s)).
        let (dGate, dUp) = (zeros(gate.shape), zeros(up.shape))
        for i in 0..<gate.count {
            let g = gate.f32[i]
            let s = 1 / (1 + expf(-g))
            dUp.f32[i] = dy.f32[i] * g * s
            dGate.f32[i] = dy.f32[i] * up.f32[i] * s * (1 + g * (1 - s))
        }
        return (dGate, dUp)
    }

    public func accumulateBiasGradient(_ dy: Tensor, into gradient: Tensor) {
        let m = dy.columns
        for r in 0..<dy.rows { for j in 0..<m { gradient.f32[j] += dy.f32[r * m + j] } }
    }

    public func axpy(_ alpha: Float, _ x: Tensor, into y: Tensor) {
        precondition(x.count == y.count, "axpy: \(x) into \(y)")
        for i in 0..<x.count { y.f32[i] += alpha * x.f32[i] }
    }

    public func multiply(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.count == b.count)
        let out = zeros(a.shape)
        for i in 0..<a.count { out.f32[i] = a.f32[i] * b.f32[i] }
        return out
    }

    public func scale(_ x: Tensor, by factor: Float) {
        for i in 0..<x.count { x.f32[i] *= factor }
    }

    public func zero(_ x: Tensor) {
        x.host.pointer.initializeMemory(as: UInt8.self, repeating: 0, count: x.host.byteCount)
    }

    public func distillationLoss(_ logits: Tensor, targets: [Int32], teacher: TeacherDistribution,
                                 _ loss: DistillationLoss, scale: Float) -> DistillationTerms {
        precondition(logits.rows == targets.count && teacher.rows == targets.count)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 3 * logits.columns)
        defer { scratch.deallocate() }
        return targets.indices.map { loss.row($0, of: logits, target: targets[$0], teacher: teacher, scale: scale, scratch: scratch) }
            .reduce(DistillationTerms(), +)
    }

    public func sumOfSquares(_ x: Tensor) -> Double { AfinaTensor.sumOfSquares(x.f32, 0..<x.count) }

    public func adamW(_ parameter: Tensor, gradient: Tensor, m: Tensor, v: Tensor, _ s: AdamWStep) {
        s.apply(parameter, gradient: gradient, m: m, v: v, 0..<parameter.count)
    }

    public func sgd(_ parameter: Tensor, gradient: Tensor, momentumBuffer: Tensor?, learningRate: Float,
                    momentum: Float, weightDecay: Float, firstStep: Bool) {
        sgdUpdate(parameter, gradient: gradient, momentumBuffer: momentumBuffer, learningRate: learningRate,
                  momentum: momentum, weightDecay: weightDecay, firstStep: firstStep, 0..<parameter.count)
    }
}

// The element loops of the updates, over a range so the CPU backend can split them.

/// Sums in double, in four independent vectors of them: one running sum waited on its add for
/// every element (1.6% of a full bf16 step's samples; 0.6% so).
func sumOfSquares(_ x: UnsafeMutablePointer<Float>, _ range: Range<Int>) -> Double {
    var sums = (SIMD4<Double>(), SIMD4<Double>(), SIMD4<Double>(), SIMD4<Double>())
    var i = range.lowerBound
    func square(_ offset: Int) -> SIMD4<Double> {
        let v = SIMD4<Double>(UnsafeRawPointer(x + offset).loadUnaligned(as: SIMD4<Float>.self))
        return v * v
    }
    while i + 16 <= range.upperBound {
        sums.0 += square(i)
        sums.1 += square(i + 4)
        sums.2 += square(i + 8)
        sums.3 += square(i + 12)
        i += 16
    }
    var total = ((sums.0 + sums.1) + (sums.2 + sums.3)).sum()
    while i < range.upperBound { total += Double(x[i]) * Double(x[i]); i += 1 }
    return total
}

extension AdamWStep {
    /// The scalars, rounded to float32 where PyTorch's kernels receive them.
    var scalars: afina_adamw_scalars {
        afina_adamw_scalars(decay: Float(1 - learningRate * weightDecay), one_minus_beta1: Float(1 - beta1),
                            beta2: Float(beta2), one_minus_beta2: Float(1 - beta2),
                            correction2_root: Float((1 - pow(beta2, Double(step))).squareRoot()), eps: Float(epsilon),
                            step_size: Float(learningRate / (1 - pow(beta1, Double(step)))))
    }

    /// The update as plain loops (the reference the CPU backend's vector kernel is checked against).
    func apply(_ parameter: Tensor, gradient: Tensor, m: Tensor, v: Tensor, _ range: Range<Int>) {
        let s = scalars
        let (decay, oneMinusBeta1, beta2, oneMinusBeta2) = (s.decay, s.one_minus_beta1, s.beta2, s.one_minus_beta2)
        let (stepSize, correction2Root, eps) = (s.step_size, s.correction2_root, s.eps)
        let (p, g, mp, vp) = (parameter.f32, gradient.f32, m.f32, v.f32)
        for i in range {
            p[i] *= decay
            mp[i] += oneMinusBeta1 * (g[i] - mp[i])          // lerp(m, g, 1 - β1) for weight < 0.5
            vp[i] = vp[i] * beta2 + oneMinusBeta2 * g[i] * g[i]
            let denom = vp[i].squareRoot() / correction2Root + eps
            p[i] += -stepSize * (mp[i] / denom)
        }
    }
}

func sgdUpdate(_ parameter: Tensor, gradient: Tensor, momentumBuffer: Tensor?, learningRate: Float,
               momentum: Float, weightDecay: Float, firstStep: Bool, _ range: Range<Int>) {
    let (p, g) = (parameter.f32, gradient.f32)
    for i in range {
        var d = g[i] + weightDecay * p[i]
        if let buffer = momentumBuffer?.f32 {
            buffer[i] = firstStep ? d : buffer[i] * momentum + d
            d = buffer[i]
        }
        p[i] += -learningRate * d
    }
}
