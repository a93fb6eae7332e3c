// Plain, obviously-correct loops for every op (in the spirit of llm.c's *_naive kernels).
// Slow on purpose: fast backends are tested against these, op by op, on random shapes.
import Foundation

public final class ReferenceBackend: HostBackend {
    public let name = "reference"
    public var kernels: [(role: String, kernel: String)] { [("all ops", "plain Swift loops")] }
    public init() {}

    public func rmsNorm(_ x: Tensor, weight: Tensor, eps: Float) -> Tensor {
        let (n, d) = (x.rows, x.columns)
        let out = zeros(x.shape)
        for r in 0..<n {
            var sumSquares: Float = 0
            for c in 0..<d { sumSquares += x.f32[r * d + c] * x.f32[r * d + c] }
            let inv = 1 / (sumSquares / Float(d) + eps).squareRoot()
            for c in 0..<d { out.f32[r * d + c] = x.f32[r * d + c] * inv * weight.f32[c] }
        }
        return out
    }

    public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        let (n, k, m) = (x.rows, x.columns, weight.rows)
        precondition(weight.columns == k, "linear: \(x) times \(weight)")
        let w = floats(weight)
        let out = zeros([n, m])
        for i in 0..<n {
            for j in 0..<m {
                var acc: Float = bias.map { $0.f32[j] } ?? 0
                for p in 0..<k { acc += x.f32[i * k + p] * w[j * k + p] }
                out.f32[i * m + j] = acc
            }
        }
        return out
    }

    public func add(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.count == b.count)
        let out = zeros(a.shape)
        for i in 0..<a.count { out.f32[i] = a.f32[i] + b.f32[i] }
        return out
    }

    public func swiglu(gate: Tensor, up: Tensor) -> Tensor {
        precondition(gate.count == up.count)
        let out = zeros(gate.shape)
        for i in 0..<gate.count {
            let g = gate.f32[i]
            out.f32[i] = g / (1 + exp(-g)) * up.f32[i]
        }
        return out
    }

    public func rope(_ x: Tensor, positions: [Int32], headDim: Int, invFreq: [Float]) -> Tensor {
        let half = headDim / 2
        let out = zeros(x.shape)
        for r in 0..<x.rows {
            for h in 0..<(x.columns / headDim) {
                let base = r * x.columns + h * headDim
                for i in 0..<half {
                    let angle = Float(positions[r]) * invFreq[i]
                    let (c, s) = (Float(cos(Double(angle))), Float(sin(Double(angle))))
                    let (x1, x2) = (x.f32[base + i], x.f32[base + i + half])
                    out.f32[base + i] = x1 * c - x2 * s
                    out.f32[base + i + half] = x2 * c + x1 * s
                }
            }
        }
        return out
    }

    public func layerNorm(_ x: Tensor, weight: Tensor, bias: Tensor, eps: Float) -> Tensor {
        let (n, d) = (x.rows, x.columns)
        let out = zeros(x.shape)
        for r in 0..<n {
            let row = (0..<d).map { Double(x.f32[r * d + $0]) }
            let mean = row.reduce(0, +) / Double(d)
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(d)
            let inv = 1 / (variance + Double(eps)).squareRoot()
            for c in 0..<d { out.f32[r * d + c] = Float((row[c] - mean) * inv) * weight.f32[c] + bias.f32[c] }
        }
        return out
    }

    public func gelu(_ x: Tensor, approximation: GELUApproximation) -> Tensor {
        let out = zeros(x.shape)
        for i in 0..<x.count { out.f32[i] = Float(GELU.value(Double(x.f32[i]), approximation)) }
        return out
    }

    public func attention(query: Tensor, keys: Tensor, values: Tensor, spans: [AttentionSpan],
                          heads: Int, kvHeads: Int, headDim: Int, scale: Float, bias: AttentionBias?) -> Tensor {
        let out = zeros(query.shape)
        let (qStride, kvStride) = (heads * headDim, kvHeads * headDim)
        for span in spans {
            for i in 0..<span.count {
                let row = span.queryRow + i
                let visible = span.visibleKeys(i)
                for h in 0..<heads {
                    let kvh = h / (heads / kvHeads)
                    var scores = [Float](repeating: 0, count: span.keyCount)
                    for t in visible {
                        var dot: Float = 0
                        for d in 0..<headDim {
                            dot += query.f32[row * qStride + h * headDim + d]
                                * keys.f32[(span.keyRow + t) * kvStride + kvh * headDim + d]
                        }
                        scores[t] = dot * scale + (bias.map { $0.value(head: h, query: span.past + i, key: t) } ?? 0)
                    }
                    let maxScore = visible.map { scores[$0] }.max()!
                    var total: Float = 0
                    for t in visible { scores[t] = exp(scores[t] - maxScore); total += scores[t] }
                    for d in 0..<headDim {
                        var acc: Float = 0
                        for t in visible {
                            acc += scores[t] / total * values.f32[(span.keyRow + t) * kvStride + kvh * headDim + d]
                        }
                        out.f32[row * qStride + h * headDim + d] = acc
                    }
                }
            }
        }
        return out
    }
}
