// Plain loops for the training ops whose fast versions differ (products, attention, loss).
import Foundation

extension ReferenceBackend: TrainingBackend {
    /// The reference loops multiply in float32 only.
    public var precision: ProductPrecision { .fp32 }

    public func matmul(_ a: Tensor, _ b: Tensor) -> Tensor {
        let (n, k, m) = (a.rows, a.columns, b.columns)
        precondition(b.rows == k, "matmul: \(a) times \(b)")
        let w = floats(b)
        let out = zeros([n, m])
        for i in 0..<n { for p in 0..<k { for j in 0..<m { out.f32[i * m + j] += a.f32[i * k + p] * w[p * m + j] } } }
        return out
    }

    public func accumulateWeightGradient(_ dy: Tensor, _ x: Tensor, alpha: Float, into gradient: Tensor) {
        let (n, m, k) = (dy.rows, dy.columns, x.columns)
        precondition(x.rows == n && gradient.rows == m && gradient.columns == k)
        for j in 0..<m {
            for p in 0..<k {
                var acc: Float = 0
                for i in 0..<n { acc += dy.f32[i * m + j] * x.f32[i * k + p] }
                gradient.f32[j * k + p] += alpha * acc
            }
        }
    }

    public func attentionBackward(_ dy: Tensor, query: Tensor, keys: Tensor, values: Tensor, spans: [AttentionSpan],
                                  heads: Int, kvHeads: Int, headDim: Int, scale: Float, bias: AttentionBias?,
                                  biasGradient: Tensor?, output: Tensor?) -> (query: Tensor, keys: Tensor, values: Tensor) {
        let (dq, dk, dv) = (zeros(query.shape), zeros(keys.shape), zeros(values.shape))
        let (qStride, kvStride) = (heads * headDim, kvHeads * headDim)
        for span in spans {
            for i in 0..<span.count {
                let row = span.queryRow + i
                let visible = span.visibleKeys(i)
                for h in 0..<heads {
                    let kvh = h / (heads / kvHeads)
                    let q = row * qStride + h * headDim
                    func kv(_ t: Int) -> Int { (span.keyRow + t) * kvStride + kvh * headDim }
                    // p = softmax(scores); dS = p * (dP - Σ p dP) with dP_t = dy · v_t.
                    var p = [Float](repeating: 0, count: span.keyCount)
                    for t in visible {
                        for d in 0..<headDim { p[t] += query.f32[q + d] * keys.f32[kv(t) + d] }
                        p[t] = p[t] * scale + (bias.map { $0.value(head: h, query: span.past + i, key: t) } ?? 0)
                    }
                    let maxScore = visible.map { p[$0] }.max()!
                    for t in visible { p[t] = exp(p[t] - maxScore) }
                    let total = p.reduce(0, +)
                    for t in visible { p[t] /= total }
                    if let output {
                        for t in visible { for d in 0..<headDim { output.f32[q + d] += p[t] * values.f32[kv(t) + d] } }
                    }
                    var dp = [Float](repeating: 0, count: span.keyCount)
                    for t in visible { for d in 0..<headDim { dp[t] += dy.f32[q + d] * values.f32[kv(t) + d] } }
                    let weighted = zip(p, dp).map(*).reduce(0, +)
                    for t in visible {
                        let dScore = p[t] * (dp[t] - weighted)
                        if let biasGradient, let bias {
                            biasGradient.f32[bias.index(head: h, query: span.past + i, key: t)] += dScore
                        }
                        let ds = dScore * scale
                        for d in 0..<headDim {
                            dv.f32[kv(t) + d] += p[t] * dy.f32[q + d]
                            dq.f32[q + d] += ds * keys.f32[kv(t) + d]
                            dk.f32[kv(t) + d] += ds * query.f32[q + d]
                        }
                    }
                }
            }
        }
        return (dq, dk, dv)
    }

    public func crossEntropy(_ logits: Tensor, targets: [Int32], scale: Float) -> Double {
        let v = logits.columns
        precondition(logits.rows == targets.count)
        var loss: Double = 0
        for (r, target) in targets.enumerated() {
            let row = logits.f32 + r * v
            let maxLogit = (0..<v).map { row[$0] }.max()!
            var sum: Double = 0
            for j in 0..<v { sum += exp(Double(row[j] - maxLogit)) }
            loss += log(sum) - Double(row[Int(target)] - maxLogit)
            for j in 0..<v { row[j] = Float(exp(Double(row[j] - maxLogit)) / sum) * scale }
            row[Int(target)] -= scale
        }
        return loss
    }
}
