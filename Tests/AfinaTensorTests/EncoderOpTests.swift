// The encoder ops on every backend against PyTorch (scripts/make_encoder_op_fixtures.py):
// LayerNorm, GELU (erf and tanh forms), tanh, and attention with a bidirectional padding mask, an
// additive bias, a chosen scale or a sliding window; each forward and the gradients of Σ dy ⊙ output.
// Tolerance: max |afina - torch| / max(1, |torch|) ≤ 1e-5 on every tensor (float32 rounding
// of sums over ≤ 384 terms; a wrong term, sign or mask is off by far more).
import Foundation
import XCTest
import AfinaTensor

final class EncoderOpTests: XCTestCase {
    nonisolated(unsafe) static let fixture: [String: Any] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/ops/encoder_ops.json").standardized
        return try! JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }()

    func cases(_ op: String) -> [[String: Any]] { Self.fixture[op] as! [[String: Any]] }

    func floats(_ c: [String: Any], _ key: String) -> [Float] { (c[key] as! [Double]).map(Float.init) }

    func assertClose(_ actual: [Float], _ expected: [Float], _ what: String, tolerance: Float = 1e-5,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, "\(what): element count", file: file, line: line)
        let worst = zip(actual, expected).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? .infinity
        XCTAssertLessThanOrEqual(worst, tolerance, "\(what): max normalized error", file: file, line: line)
    }

    func testLayerNormAndItsBackwardMatchPyTorchOnEveryBackend() {
        for b in TestBackends.all {
            for c in cases("layer_norm") {
                let shape = c["shape"] as! [Int], eps = Float(c["eps"] as! Double)
                let x = b.tensor(floats(c, "x"), shape: shape)
                let w = b.tensor(floats(c, "weight"), shape: [shape[1]]), bias = b.tensor(floats(c, "bias"), shape: [shape[1]])
                let what = "\(b.name) layerNorm \(shape) eps \(eps)"
                assertClose(b.floats(b.layerNorm(x, weight: w, bias: bias, eps: eps)), floats(c, "y"), what)
                let (dw, db) = (b.zeros([shape[1]]), b.zeros([shape[1]]))
                let dx = b.layerNormBackward(b.tensor(floats(c, "dy"), shape: shape), x: x, weight: w, eps: eps,
                                             weightGradient: dw, biasGradient: db)
                assertClose(b.floats(dx), floats(c, "dx"), what + " dx")
                assertClose(b.floats(dw), floats(c, "dweight"), what + " dweight")
                assertClose(b.floats(db), floats(c, "dbias"), what + " dbias")
            }
        }
    }

    func testGELUInBothFormsAndItsBackwardMatchPyTorchOnEveryBackend() {
        for b in TestBackends.all {
            for c in cases("gelu") {
                let shape = c["shape"] as! [Int]
                let form = GELUApproximation(rawValue: c["approximate"] as! String)!
                let x = b.tensor(floats(c, "x"), shape: shape)
                assertClose(b.floats(b.gelu(x, approximation: form)), floats(c, "y"), "\(b.name) gelu \(form)")
                let dx = b.geluBackward(b.tensor(floats(c, "dy"), shape: shape), x: x, approximation: form)
                assertClose(b.floats(dx), floats(c, "dx"), "\(b.name) gelu \(form) dx")
            }
        }
    }

    func testTanhAndItsBackwardMatchPyTorchOnEveryBackend() {
        for b in TestBackends.all {
            for c in cases("tanh") {
                let shape = c["shape"] as! [Int]
                let y = b.tanh(b.tensor(floats(c, "x"), shape: shape))
                assertClose(b.floats(y), floats(c, "y"), "\(b.name) tanh")
                let dx = b.tanhBackward(b.tensor(floats(c, "dy"), shape: shape), y: y)
                assertClose(b.floats(dx), floats(c, "dx"), "\(b.name) tanh dx")
            }
        }
    }

    func testMaskedBiasedAttentionAndItsBackwardMatchPyTorchOnEveryBackend() {
        for b in TestBackends.all {
            for c in cases("attention") {
                let what = "\(b.name) \(c["name"] as! String)"
                let (heads, kvHeads, hd) = (c["heads"] as! Int, c["kv_heads"] as! Int, c["head_dim"] as! Int)
                let scale = Float(c["scale"] as! Double)
                let spans = (c["spans"] as! [[String: Any]]).map { s in
                    let mask: AttentionMask = if let window = s["window"] as? Int { .slidingWindow(window) }
                        else if s["causal"] as! Bool { .causal } else { .bidirectional(keys: s["keys"] as! Int) }
                    return AttentionSpan(queryRow: s["query_row"] as! Int, count: s["count"] as! Int,
                                         keyRow: s["key_row"] as! Int, past: 0, mask: mask)
                }
                let (qShape, kShape) = (c["query_shape"] as! [Int], c["key_shape"] as! [Int])
                let q = b.tensor(floats(c, "query"), shape: qShape)
                let (k, v) = (b.tensor(floats(c, "keys"), shape: kShape), b.tensor(floats(c, "values"), shape: kShape))
                let bias = (c["bias_shape"] as? [Int]).map { AttentionBias(b.tensor(floats(c, "bias"), shape: $0)) }
                let y = b.attention(query: q, keys: k, values: v, spans: spans, heads: heads, kvHeads: kvHeads,
                                    headDim: hd, scale: scale, bias: bias)
                assertClose(b.floats(y), floats(c, "y"), what)
                let (dBias, output) = (bias.map { b.zeros($0.table.shape) }, b.zeros(qShape))
                let (dq, dk, dv) = b.attentionBackward(b.tensor(floats(c, "dy"), shape: qShape), query: q, keys: k, values: v,
                                                       spans: spans, heads: heads, kvHeads: kvHeads, headDim: hd,
                                                       scale: scale, bias: bias, biasGradient: dBias, output: output)
                assertClose(b.floats(output), floats(c, "y"), what + " output given back by the backward")
                assertClose(b.floats(dq), floats(c, "dquery"), what + " dquery")
                assertClose(b.floats(dk), floats(c, "dkeys"), what + " dkeys")
                assertClose(b.floats(dv), floats(c, "dvalues"), what + " dvalues")
                if let dBias { assertClose(b.floats(dBias), floats(c, "dbias"), what + " dbias") }
            }
        }
    }
}
