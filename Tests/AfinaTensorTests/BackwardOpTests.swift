// The training ops checked three ways:
// 1. Every backward op of ReferenceBackend against central finite differences of its forward
//    op: the analytic gradient of L = Σ r ⊙ f(inputs), r random, must match
//    (L(x + h e_i) - L(x - h e_i)) / 2h for every input element i.
// 2. Every training op of CPUBackend against ReferenceBackend on random shapes (as BackendTests).
// 3. Accumulation and optimizer semantics against values computed independently in Double.
//
// Finite differences: the ops are float32, so f is evaluated in float32 and L is summed in
// Double. With h = 1e-2 the float32 rounding of f (a few ulps, ~1e-7 relative, random-walking
// over ≤ 256 outputs to ≲ 2e-6 in L) contributes ≲ 2e-6 / 2h = 1e-4 absolute to the numeric
// derivative, and truncation (h² f''' / 6) ≲ 1e-4 relative for the O(1) inputs used here. So a
// gradient passes when |analytic - numeric| ≤ 5e-4 + 5e-3 |numeric| (the worst case measured
// is ~2e-5, 25x inside): a 1% error in any O(0.1) gradient, or a wrong sign, factor or missing
// term (errors of O(|g|)), fails. The step used is (x + h) - (x - h) as rounded in float32.
import XCTest
@testable import AfinaTensor

/// A small deterministic generator (SplitMix64), so every run sees the same numbers.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

final class BackwardOpTests: XCTestCase {
    let cpu = CPUBackend()
    let ref = ReferenceBackend()
    var rng = SplitMix64(seed: 0xAF1A_2024)

    // MARK: Helpers

    func values(_ count: Int, scale: Float = 1) -> [Float] {
        (0..<count).map { _ in Float.random(in: -scale...scale, using: &rng) }
    }

    /// Σ r ⊙ y in Double.
    func weightedSum(_ r: [Float], _ y: [Float]) -> Double {
        precondition(r.count == y.count)
        return zip(r, y).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }

    /// Central differences of `objective` with respect to every element of `x`.
    func numericGradient(_ x: [Float], h: Float = 1e-2, _ objective: ([Float]) -> Double) -> [Double] {
        var probe = x
        return x.indices.map { i in
            probe[i] = x[i] + h
            let up = objective(probe)
            let stepUp = probe[i]
            probe[i] = x[i] - h
            let down = objective(probe)
            let step = Double(stepUp) - Double(probe[i])
            probe[i] = x[i]
            return (up - down) / step
        }
    }

    /// |analytic - numeric| ≤ atol + rtol |numeric| everywhere (see the header for the bounds),
    /// and the numeric gradient is not trivially zero.
    func assertGradient(_ analytic: [Float], _ numeric: [Double], _ what: String,
                        rtol: Double = 5e-3, atol: Double = 5e-4,
                        file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(analytic.count, numeric.count, "\(what): element count", file: file, line: line)
        XCTAssertGreaterThan(numeric.map(abs).max() ?? 0, 0.05, "\(what): objective is flat", file: file, line: line)
        var worst = (ratio: 0.0, index: 0)
        for (i, (a, n)) in zip(analytic, numeric).enumerated() {
            let ratio = abs(Double(a) - n) / (atol + rtol * abs(n))
            if ratio > worst.ratio { worst = (ratio, i) }
        }
        let i = worst.index
        XCTAssertLessThanOrEqual(worst.ratio, 1, "\(what): analytic \(analytic[i]) vs numeric \(numeric[i]) at \(i)",
                                 file: file, line: line)
    }

    /// max |fast - reference| / max(1, |reference|) ≤ tolerance, as in BackendTests.
    func assertClose(_ fast: [Float], _ slow: [Float], tolerance: Float = 1e-5, _ what: String,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(fast.count, slow.count, "\(what): element count", file: file, line: line)
        let worst = zip(fast, slow).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, tolerance, "\(what): max normalized error", file: file, line: line)
        XCTAssertGreaterThan(slow.map(abs).max() ?? 0, 0, "\(what): reference is all zeros", file: file, line: line)
    }

    func assertClose(_ fast: Tensor, _ slow: Tensor, tolerance: Float = 1e-5, _ what: String,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(fast.shape, slow.shape, "\(what): shape", file: file, line: line)
        assertClose(cpu.floats(fast), ref.floats(slow), tolerance: tolerance, what, file: file, line: line)
    }

    func t(_ values: [Float], _ shape: [Int], on backend: some Backend) -> Tensor {
        backend.tensor(values, shape: shape)
    }

    /// Q8_0 blocks for `values` (a whole number of 32-element blocks): per block an f16 scale
    /// d = max|x| / 127 then 32 int8 quants round(x / d); also returns the values they decode to.
    func quantizeQ8_0(_ values: [Float]) -> (bytes: [UInt8], decoded: [Float]) {
        precondition(values.count % 32 == 0)
        var bytes: [UInt8] = [], decoded: [Float] = []
        for start in stride(from: 0, to: values.count, by: 32) {
            let block = values[start..<start + 32]
            let d = Float16((block.map(abs).max() ?? 0) / 127)
            let inverse = Float(d) == 0 ? 0 : 1 / Float(d)
            withUnsafeBytes(of: d.bitPattern.littleEndian) { bytes += $0 }
            for x in block {
                let q = Int8(max(-127, min(127, (x * inverse).rounded())))
                bytes.append(UInt8(bitPattern: q))
                decoded.append(Float(q) * Float(d))
            }
        }
        return (bytes, decoded)
    }

    func q8Tensor(_ bytes: [UInt8], shape: [Int], on backend: some Backend) -> Tensor {
        bytes.withUnsafeBytes { backend.tensor(bytes: $0, dtype: .q8_0, shape: shape, owner: nil) }
    }

    // MARK: 1. Finite differences of the reference backward ops

    func testRMSNormBackwardMatchesFiniteDifferencesForInputAndWeight() {
        let (n, d, eps): (Int, Int, Float) = (3, 16, 1e-5)
        let x = values(n * d, scale: 2), w = values(d, scale: 1.5), r = values(n * d)
        func objective(_ x: [Float], _ w: [Float]) -> Double {
            weightedSum(r, ref.floats(ref.rmsNorm(t(x, [n, d], on: ref), weight: t(w, [d], on: ref), eps: eps)))
        }
        let start = values(d)  // the weight gradient is added to what is already there
        let dw = t(start, [d], on: ref)
        let dx = ref.rmsNormBackward(t(r, [n, d], on: ref), x: t(x, [n, d], on: ref), weight: t(w, [d], on: ref),
                                     eps: eps, weightGradient: dw)
        assertGradient(ref.floats(dx), numericGradient(x) { objective($0, w) }, "rmsNorm dx")
        assertGradient(zip(ref.floats(dw), start).map { $0 - $1 }, numericGradient(w) { objective(x, $0) }, "rmsNorm dw")
    }

    func testSwiGLUBackwardMatchesFiniteDifferencesForGateAndUp() {
        let count = 64
        let gate = values(count, scale: 5), up = values(count, scale: 2), r = values(count)
        func objective(_ g: [Float], _ u: [Float]) -> Double {
            weightedSum(r, ref.floats(ref.swiglu(gate: t(g, [count], on: ref), up: t(u, [count], on: ref))))
        }
        let (dGate, dUp) = ref.swigluBackward(t(r, [count], on: ref), gate: t(gate, [count], on: ref),
                                              up: t(up, [count], on: ref))
        assertGradient(ref.floats(dGate), numericGradient(gate) { objective($0, up) }, "swiglu dgate")
        assertGradient(ref.floats(dUp), numericGradient(up) { objective(gate, $0) }, "swiglu dup")
    }

    func testAttentionBackwardMatchesFiniteDifferencesForPackedGQASequences() {
        // Two packed training sequences (lengths 5 and 3): keys at the query rows, nothing cached.
        let (heads, kvHeads, headDim) = (4, 2, 8)
        let spans = [AttentionSpan(queryRow: 0, count: 5, keyRow: 0, past: 0),
                     AttentionSpan(queryRow: 5, count: 3, keyRow: 5, past: 0)]
        let rows = 8
        let (qShape, kvShape) = ([rows, heads * headDim], [rows, kvHeads * headDim])
        let q = values(rows * heads * headDim, scale: 1.5), k = values(rows * kvHeads * headDim, scale: 1.5)
        let v = values(rows * kvHeads * headDim), r = values(rows * heads * headDim)
        func objective(_ q: [Float], _ k: [Float], _ v: [Float]) -> Double {
            weightedSum(r, ref.floats(ref.attention(query: t(q, qShape, on: ref), keys: t(k, kvShape, on: ref),
                                                    values: t(v, kvShape, on: ref), spans: spans,
                                                    heads: heads, kvHeads: kvHeads, headDim: headDim)))
        }
        let (dq, dk, dv) = ref.attentionBackward(t(r, qShape, on: ref), query: t(q, qShape, on: ref),
                                                 keys: t(k, kvShape, on: ref), values: t(v, kvShape, on: ref),
                                                 spans: spans, heads: heads, kvHeads: kvHeads, headDim: headDim)
        assertGradient(ref.floats(dq), numericGradient(q) { objective($0, k, v) }, "attention dq")
        assertGradient(ref.floats(dk), numericGradient(k) { objective(q, $0, v) }, "attention dk")
        assertGradient(ref.floats(dv), numericGradient(v) { objective(q, k, $0) }, "attention dv")
    }

    func testEmbeddingBackwardMatchesFiniteDifferencesWithRepeatedIds() {
        let (vocab, d) = (7, 5)
        let ids: [Int32] = [3, 1, 3, 6, 3, 0]
        let table = values(vocab * d), r = values(ids.count * d)
        let gradient = ref.zeros([vocab, d])
        ref.embeddingBackward(t(r, [ids.count, d], on: ref), ids: ids, into: gradient)
        let numeric = numericGradient(table) {
            weightedSum(r, ref.floats(ref.embedding(t($0, [vocab, d], on: ref), ids: ids)))
        }
        assertGradient(ref.floats(gradient), numeric, "embedding dtable")
        // Row 3 was picked three times: its gradient is the sum of three rows of dy.
        for c in 0..<d {
            XCTAssertEqual(ref.floats(gradient)[3 * d + c], r[c] + r[2 * d + c] + r[4 * d + c], accuracy: 1e-6)
        }
    }

    func testMatmulAndGradientAccumulationAreTheBackwardOfLinear() {
        let (n, k, m) = (4, 6, 5)
        let x = values(n * k), w = values(m * k), b = values(m), r = values(n * m)
        func objective(_ x: [Float], _ w: [Float], _ b: [Float]) -> Double {
            weightedSum(r, ref.floats(ref.linear(t(x, [n, k], on: ref), weight: t(w, [m, k], on: ref),
                                                 bias: t(b, [m], on: ref))))
        }
        let dy = t(r, [n, m], on: ref)
        let dx = ref.matmul(dy, t(w, [m, k], on: ref))
        let (dw, db) = (ref.zeros([m, k]), ref.zeros([m]))
        ref.accumulateWeightGradient(dy, t(x, [n, k], on: ref), alpha: 1, into: dw)
        ref.accumulateBiasGradient(dy, into: db)
        assertGradient(ref.floats(dx), numericGradient(x) { objective($0, w, b) }, "linear dx")
        assertGradient(ref.floats(dw), numericGradient(w) { objective(x, $0, b) }, "linear dw")
        assertGradient(ref.floats(db), numericGradient(b) { objective(x, w, $0) }, "linear db")
    }

    func testMatmulByAQuantizedWeightIsTheInputGradientOfQuantizedLinear() {
        let (n, k, m) = (3, 64, 4)   // weight [out m, in k], k a whole number of Q8_0 blocks
        let (bytes, _) = quantizeQ8_0(values(m * k))
        let weight = q8Tensor(bytes, shape: [m, k], on: ref)
        let x = values(n * k), r = values(n * m)
        let dx = ref.matmul(t(r, [n, m], on: ref), weight)
        let numeric = numericGradient(x) {
            weightedSum(r, ref.floats(ref.linear(t($0, [n, k], on: ref), weight: weight, bias: nil)))
        }
        assertGradient(ref.floats(dx), numeric, "quantized linear dx")
    }

    func testRoPEWithNegatedFrequenciesIsRoPEBackward() {
        let headDim = 8
        let invFreq = (0..<headDim / 2).map { Float(1 / pow(10000, Double(2 * $0) / Double(headDim))) }
        let positions: [Int32] = [0, 1, 2, 7, 300]
        let shape = [positions.count, 2 * headDim]
        let x = values(shape[0] * shape[1]), r = values(shape[0] * shape[1])
        let dx = ref.rope(t(r, shape, on: ref), positions: positions, headDim: headDim, invFreq: invFreq.map { -$0 })
        let numeric = numericGradient(x) {
            weightedSum(r, ref.floats(ref.rope(t($0, shape, on: ref), positions: positions, headDim: headDim,
                                               invFreq: invFreq)))
        }
        assertGradient(ref.floats(dx), numeric, "rope dx")
        // And the same holds on the CPU backend.
        let cpuDx = cpu.rope(t(r, shape, on: cpu), positions: positions, headDim: headDim, invFreq: invFreq.map { -$0 })
        assertGradient(cpu.floats(cpuDx), numeric, "cpu rope dx")
    }

    func testCrossEntropyLossAndScaledLogitGradientMatchFiniteDifferences() {
        let (n, vocab) = (4, 11)
        let targets: [Int32] = [2, 10, 2, 0]
        let logits = values(n * vocab, scale: 3)
        // The loss, independently in Double: Σ_rows logsumexp(row) - row[target].
        let expected = targets.enumerated().reduce(0.0) { total, item in
            let row = logits[item.offset * vocab..<(item.offset + 1) * vocab].map(Double.init)
            let top = row.max()!
            return total + top + log(row.map { exp($0 - top) }.reduce(0, +)) - row[Int(item.element)]
        }
        let numeric = numericGradient(logits) { ref.crossEntropy(t($0, [n, vocab], on: ref), targets: targets, scale: 1) }
        for scale: Float in [1, 0.125] {
            let written = t(logits, [n, vocab], on: ref)
            let loss = ref.crossEntropy(written, targets: targets, scale: scale)
            XCTAssertEqual(loss, expected, accuracy: 1e-5 * abs(expected), "loss is not scaled (scale \(scale))")
            assertGradient(ref.floats(written), numeric.map { $0 * Double(scale) }, "cross-entropy dlogits * \(scale)",
                           atol: 5e-4 * Double(scale))
        }
    }

    // MARK: 2. CPU backend against the reference

    func testCPUMatmulMatchesReferenceForFloatAndQuantizedWeights() {
        // n ≥ 64 takes the row-split path, smaller n the column split.
        for (n, k, m) in [(1, 64, 96), (70, 48, 40), (5, 33, 17)] {
            let a = values(n * k), b = values(k * m)
            assertClose(cpu.matmul(t(a, [n, k], on: cpu), t(b, [k, m], on: cpu)),
                        ref.matmul(t(a, [n, k], on: ref), t(b, [k, m], on: ref)), tolerance: 1e-5, "matmul \(n)x\(k)x\(m)")
        }
        // A frozen Q8_0 weight [out = 300, in = 1024] read as b [K = 300, M = 1024]: the CPU
        // expands it in tiles of 256 rows, so 300 rows take two tiles, the second partial.
        let (k, m) = (300, 1024)
        let (bytes, decoded) = quantizeQ8_0(values(k * m, scale: 0.5))
        let (bq, bqRef) = (q8Tensor(bytes, shape: [k, m], on: cpu), q8Tensor(bytes, shape: [k, m], on: ref))
        XCTAssertEqual(ref.floats(bqRef), decoded, "Q8_0 encoder and decoder disagree")
        for n in [1, 3, 66] {
            let a = values(n * k)
            assertClose(cpu.matmul(t(a, [n, k], on: cpu), bq), ref.matmul(t(a, [n, k], on: ref), bqRef),
                        tolerance: 1e-5, "quantized matmul n=\(n)")
        }
    }

    func testCPUWeightAndBiasGradientsMatchReference() {
        for (n, m, k) in [(1, 8, 16), (70, 40, 24), (9, 33, 7)] {
            let dy = values(n * m), x = values(n * k), start = values(m * k), biasStart = values(m)
            let (g, gRef) = (t(start, [m, k], on: cpu), t(start, [m, k], on: ref))
            cpu.accumulateWeightGradient(t(dy, [n, m], on: cpu), t(x, [n, k], on: cpu), alpha: 0.75, into: g)
            ref.accumulateWeightGradient(t(dy, [n, m], on: ref), t(x, [n, k], on: ref), alpha: 0.75, into: gRef)
            assertClose(g, gRef, "weight gradient \(n)x\(m)x\(k)")
            let (bg, bgRef) = (t(biasStart, [m], on: cpu), t(biasStart, [m], on: ref))
            cpu.accumulateBiasGradient(t(dy, [n, m], on: cpu), into: bg)
            ref.accumulateBiasGradient(t(dy, [n, m], on: ref), into: bgRef)
            assertClose(bg, bgRef, "bias gradient \(n)x\(m)")
        }
    }

    func testCPUWeightGradientInBoundedSlicesMatchesReference() {
        // 16,385 tokens: the CPU backend hands BLAS 64 gradient rows at a time, so every
        // thread's slice is cut. Small integers keep every sum exact in any order.
        let (n, m, k) = (16_385, 600, 3)
        let dy = (0..<n * m).map { Float($0 * 7 % 5 - 2) }, x = (0..<n * k).map { Float($0 * 3 % 7 - 3) }
        let start = (0..<m * k).map { Float($0 % 11) }
        let (g, gRef) = (t(start, [m, k], on: cpu), t(start, [m, k], on: ref))
        cpu.accumulateWeightGradient(t(dy, [n, m], on: cpu), t(x, [n, k], on: cpu), alpha: 0.5, into: g)
        ref.accumulateWeightGradient(t(dy, [n, m], on: ref), t(x, [n, k], on: ref), alpha: 0.5, into: gRef)
        XCTAssertEqual(cpu.floats(g), ref.floats(gRef))
    }

    func testCPURMSNormSwiGLUAndEmbeddingBackwardMatchReference() {
        for (n, d) in [(1, 64), (7, 96), (3, 33), (40, 48)] {
            let x = values(n * d, scale: 2), w = values(d), dy = values(n * d), start = values(d)
            let (wg, wgRef) = (t(start, [d], on: cpu), t(start, [d], on: ref))
            let dx = cpu.rmsNormBackward(t(dy, [n, d], on: cpu), x: t(x, [n, d], on: cpu), weight: t(w, [d], on: cpu),
                                         eps: 1e-5, weightGradient: wg)
            let dxRef = ref.rmsNormBackward(t(dy, [n, d], on: ref), x: t(x, [n, d], on: ref), weight: t(w, [d], on: ref),
                                            eps: 1e-5, weightGradient: wgRef)
            assertClose(dx, dxRef, "rmsNorm dx \(n)x\(d)")
            assertClose(wg, wgRef, "rmsNorm dw \(n)x\(d)")
            let noWeight = cpu.rmsNormBackward(t(dy, [n, d], on: cpu), x: t(x, [n, d], on: cpu),
                                               weight: t(w, [d], on: cpu), eps: 1e-5, weightGradient: nil)
            assertClose(noWeight, dxRef, "rmsNorm dx without weight gradient \(n)x\(d)")
        }
        // 10_000 elements: several 4096-element chunks, 8-lane and scalar tails.
        for count in [13, 10_000] {
            let gate = values(count, scale: 8), up = values(count, scale: 2), dy = values(count)
            let fast = cpu.swigluBackward(t(dy, [count], on: cpu), gate: t(gate, [count], on: cpu), up: t(up, [count], on: cpu))
            let slow = ref.swigluBackward(t(dy, [count], on: ref), gate: t(gate, [count], on: ref), up: t(up, [count], on: ref))
            assertClose(fast.gate, slow.gate, "swiglu dgate \(count)")
            assertClose(fast.up, slow.up, "swiglu dup \(count)")
        }
        let ids: [Int32] = [4, 0, 4, 9, 4, 2, 9]
        let dy = values(ids.count * 6), start = values(10 * 6)
        let (g, gRef) = (t(start, [10, 6], on: cpu), t(start, [10, 6], on: ref))
        cpu.embeddingBackward(t(dy, [ids.count, 6], on: cpu), ids: ids, into: g)
        ref.embeddingBackward(t(dy, [ids.count, 6], on: ref), ids: ids, into: gRef)
        assertClose(g, gRef, "embedding backward")
    }

    func testCPUAttentionBackwardMatchesReferenceForPackedSequences() {
        // Tolerance 1e-5 as elsewhere: the CPU recomputes softmax with a polynomial exp (≈1e-7
        // relative) and sums in BLAS order, which moves these O(1) gradients by ≲ 5e-7 (measured).
        // Spans past 64 rows are split into query blocks that skip keys no row of theirs sees.
        let cases: [(heads: Int, kvHeads: Int, headDim: Int, lengths: [Int], mask: AttentionMask)] = [
            (4, 2, 8, [5, 3], .causal), (6, 2, 16, [7, 1, 12], .causal), (3, 3, 32, [9], .causal),
            (2, 1, 8, [150, 70], .causal), (2, 2, 8, [130, 3], .slidingWindow(40)),
        ]
        for c in cases {
            var spans: [AttentionSpan] = [], row = 0
            for length in c.lengths {
                spans.append(AttentionSpan(queryRow: row, count: length, keyRow: row, past: 0, mask: c.mask))
                row += length
            }
            let (qShape, kvShape) = ([row, c.heads * c.headDim], [row, c.kvHeads * c.headDim])
            let q = values(row * c.heads * c.headDim, scale: 2), k = values(row * c.kvHeads * c.headDim, scale: 2)
            let v = values(row * c.kvHeads * c.headDim), dy = values(row * c.heads * c.headDim)
            let what = "attention \(c.heads)/\(c.kvHeads)x\(c.headDim) \(c.lengths) \(c.mask)"
            // Each backend also gives back attention's output, which must be its own forward's.
            func run(_ b: any TrainingBackend) -> (query: Tensor, keys: Tensor, values: Tensor, output: Tensor) {
                let (query, keys, vs) = (t(q, qShape, on: b), t(k, kvShape, on: b), t(v, kvShape, on: b))
                let output = b.zeros(qShape)
                let d = b.attentionBackward(t(dy, qShape, on: b), query: query, keys: keys, values: vs, spans: spans,
                                            heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim,
                                            scale: 1 / Float(c.headDim).squareRoot(), bias: nil, biasGradient: nil,
                                            output: output)
                let forward = b.attention(query: query, keys: keys, values: vs, spans: spans, heads: c.heads,
                                          kvHeads: c.kvHeads, headDim: c.headDim)
                assertClose(output, forward, tolerance: 1e-6, "\(what) output on \(type(of: b))")
                return (d.query, d.keys, d.values, output)
            }
            let (fast, slow) = (run(cpu), run(ref))
            assertClose(fast.query, slow.query, tolerance: 1e-5, "\(what) dq")
            assertClose(fast.keys, slow.keys, tolerance: 1e-5, "\(what) dk")
            assertClose(fast.values, slow.values, tolerance: 1e-5, "\(what) dv")
            assertClose(fast.output, slow.output, tolerance: 1e-5, "\(what) output")
        }
    }

    func testCPUCrossEntropyMatchesReferenceLossAndGradient() {
        // Tolerance 1e-5 on gradients (softmax values ≤ 1, polynomial exp ≈ 1e-7 relative); the
        // loss is a float32 logf per row on the CPU and a Double log in the reference: 1e-5 relative.
        for (n, vocab, scale) in [(3, 37, Float(1)), (5, 1000, 0.25), (20, 129, 1.0 / 20)] {
            let logits = values(n * vocab, scale: 6)
            let targets = (0..<n).map { _ in Int32.random(in: 0..<Int32(vocab), using: &rng) }
            let (x, xRef) = (t(logits, [n, vocab], on: cpu), t(logits, [n, vocab], on: ref))
            let loss = cpu.crossEntropy(x, targets: targets, scale: scale)
            let lossRef = ref.crossEntropy(xRef, targets: targets, scale: scale)
            XCTAssertEqual(loss, lossRef, accuracy: 1e-5 * abs(lossRef), "cross-entropy loss \(n)x\(vocab)")
            assertClose(x, xRef, "cross-entropy gradient \(n)x\(vocab)")
        }
    }

    func testCPUElementwiseTrainingOpsMatchReference() {
        for count in [7, 5000] {
            let a = values(count, scale: 3), b = values(count, scale: 3)
            assertClose(cpu.multiply(t(a, [count], on: cpu), t(b, [count], on: cpu)),
                        ref.multiply(t(a, [count], on: ref), t(b, [count], on: ref)), "multiply \(count)")
            let (y, yRef) = (t(b, [count], on: cpu), t(b, [count], on: ref))
            cpu.axpy(-0.3, t(a, [count], on: cpu), into: y)
            ref.axpy(-0.3, t(a, [count], on: ref), into: yRef)
            assertClose(y, yRef, "axpy \(count)")
            cpu.scale(y, by: 1.7)
            ref.scale(yRef, by: 1.7)
            assertClose(y, yRef, "scale \(count)")
            let expected = a.reduce(0.0) { $0 + Double($1) * Double($1) }
            XCTAssertEqual(cpu.sumOfSquares(t(a, [count], on: cpu)), expected, accuracy: 1e-9 * expected)
            XCTAssertEqual(ref.sumOfSquares(t(a, [count], on: ref)), expected, accuracy: 1e-9 * expected)
            cpu.zero(y)
            XCTAssertEqual(cpu.floats(y), [Float](repeating: 0, count: count))
        }
    }

    func testCPUOptimizersMatchReference() {
        let count = 300
        let p = values(count), g = values(count), m = values(count, scale: 0.1), v = values(count, scale: 0.01).map(abs)
        let step = AdamWStep(learningRate: 3e-3, beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightDecay: 0.1, step: 7)
        let fast = (t(p, [count], on: cpu), t(m, [count], on: cpu), t(v, [count], on: cpu))
        let slow = (t(p, [count], on: ref), t(m, [count], on: ref), t(v, [count], on: ref))
        cpu.adamW(fast.0, gradient: t(g, [count], on: cpu), m: fast.1, v: fast.2, step)
        ref.adamW(slow.0, gradient: t(g, [count], on: ref), m: slow.1, v: slow.2, step)
        // The CPU's vector AdamW does the reference loop's operations unfused: the same bits, in
        // its 8-float lanes and its scalar tail alike (300 = 37 lanes of 8 and 4).
        for (a, b) in [(fast.0, slow.0), (fast.1, slow.1), (fast.2, slow.2)] {
            XCTAssertEqual(cpu.floats(a).map(\.bitPattern), ref.floats(b).map(\.bitPattern), "adamW")
        }
        let (pc, bc) = (t(p, [count], on: cpu), t(m, [count], on: cpu))
        let (pr, br) = (t(p, [count], on: ref), t(m, [count], on: ref))
        cpu.sgd(pc, gradient: t(g, [count], on: cpu), momentumBuffer: bc, learningRate: 0.05, momentum: 0.9,
                weightDecay: 0.01, firstStep: false)
        ref.sgd(pr, gradient: t(g, [count], on: ref), momentumBuffer: br, learningRate: 0.05, momentum: 0.9,
                weightDecay: 0.01, firstStep: false)
        assertClose(pc, pr, "sgd parameter")
        assertClose(bc, br, "sgd momentum buffer")
    }

    // MARK: 3. Accumulation and optimizer semantics

    func testAccumulateWeightGradientTwiceAddsBothProducts() {
        let (n, m, k) = (5, 4, 3)
        let dy = values(n * m), x = values(n * k), start = values(m * k)
        // start + (1 + 0.5) * dyᵀx, in Double.
        let expected = (0..<m * k).map { e -> Double in
            let (j, p) = (e / k, e % k)
            let product = (0..<n).reduce(0.0) { $0 + Double(dy[$1 * m + j]) * Double(x[$1 * k + p]) }
            return Double(start[e]) + 1.5 * product
        }
        for backend in [cpu as any TrainingBackend, ref] {
            let gradient = backend.tensor(start, shape: [m, k])
            let (dyT, xT) = (backend.tensor(dy, shape: [n, m]), backend.tensor(x, shape: [n, k]))
            backend.accumulateWeightGradient(dyT, xT, alpha: 1, into: gradient)
            backend.accumulateWeightGradient(dyT, xT, alpha: 0.5, into: gradient)
            for (actual, wanted) in zip(backend.floats(gradient), expected) {
                XCTAssertEqual(Double(actual), wanted, accuracy: 1e-5, "\(backend.name)")
            }
            // The bias gradient adds too: twice the column sums on top of the start.
            let bias = backend.tensor(Array(start[0..<m]), shape: [m])
            backend.accumulateBiasGradient(dyT, into: bias)
            backend.accumulateBiasGradient(dyT, into: bias)
            for j in 0..<m {
                let sums = (0..<n).reduce(0.0) { $0 + Double(dy[$1 * m + j]) }
                XCTAssertEqual(Double(backend.floats(bias)[j]), Double(start[j]) + 2 * sums, accuracy: 1e-5, "\(backend.name)")
            }
        }
    }

    func testAdamWFirstStepMovesEachParameterByLearningRateTimesGOverAbsGPlusEps() {
        // Step 1 from m = v = 0: m̂ = g and v̂ = g², so Δp = -lr g / (|g| + eps): ≈ -lr sign(g),
        // and half that for |g| = eps (which checks eps is added after the bias correction).
        let (lr, eps) = (1e-3, 1e-8)
        let p: [Float] = [0.5, -0.25, 1, 0, 2, -1]
        let g: [Float] = [0.3, -2, 1e-8, -1e-8, 5e-9, 1e-3]
        let step = AdamWStep(learningRate: lr, beta1: 0.9, beta2: 0.999, epsilon: eps, weightDecay: 0, step: 1)
        for backend in [cpu as any TrainingBackend, ref] {
            let parameter = backend.tensor(p, shape: [p.count])
            let (m, v) = (backend.zeros([p.count]), backend.zeros([p.count]))
            backend.adamW(parameter, gradient: backend.tensor(g, shape: [g.count]), m: m, v: v, step)
            for i in p.indices {
                let gi = Double(g[i])
                let expected = Double(p[i]) - lr * gi / (abs(gi) + eps)
                // float32 rounding of p (|p| ≤ 2: ulp 2.4e-7) and of the O(1e-3) update.
                XCTAssertEqual(Double(backend.floats(parameter)[i]), expected, accuracy: 3e-7,
                               "\(backend.name) p[\(i)] with g = \(gi)")
                XCTAssertEqual(Double(backend.floats(m)[i]), 0.1 * gi, accuracy: 1e-6 * abs(gi), "\(backend.name) m[\(i)]")
                XCTAssertEqual(Double(backend.floats(v)[i]), 0.001 * gi * gi, accuracy: 1e-6 * gi * gi,
                               "\(backend.name) v[\(i)]")
            }
        }
    }

    func testAdamWWithWeightDecayFollowsTorchOverThreeSteps() {
        // torch.optim.AdamW in Double: p *= 1 - lr wd; m = β1 m + (1-β1) g; v = β2 v + (1-β2) g²;
        // p -= lr / (1-β1^t) * m / (sqrt(v) / sqrt(1-β2^t) + eps).
        let count = 8
        let p0 = values(count), grads = (0..<3).map { _ in values(count) }
        let (lr, b1, b2, eps, wd) = (1e-2, 0.9, 0.95, 1e-8, 0.1)
        var (p, m, v) = (p0.map(Double.init), [Double](repeating: 0, count: count), [Double](repeating: 0, count: count))
        for (t, g) in grads.enumerated() {
            let step = Double(t + 1)
            for i in 0..<count {
                let gi = Double(g[i])
                p[i] *= 1 - lr * wd
                m[i] = b1 * m[i] + (1 - b1) * gi
                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                p[i] -= lr / (1 - pow(b1, step)) * m[i] / (v[i].squareRoot() / (1 - pow(b2, step)).squareRoot() + eps)
            }
        }
        for backend in [cpu as any TrainingBackend, ref] {
            let parameter = backend.tensor(p0, shape: [count])
            let (mt, vt) = (backend.zeros([count]), backend.zeros([count]))
            for (t, g) in grads.enumerated() {
                backend.adamW(parameter, gradient: backend.tensor(g, shape: [count]), m: mt, v: vt,
                              AdamWStep(learningRate: lr, beta1: b1, beta2: b2, epsilon: eps, weightDecay: wd, step: t + 1))
            }
            for (actual, wanted) in zip(backend.floats(parameter), p) {
                XCTAssertEqual(Double(actual), wanted, accuracy: 1e-6, "\(backend.name)")
            }
        }
    }

    func testSGDWithMomentumFollowsTorchOverTwoSteps() {
        // torch.optim.SGD: d = g + wd p; buffer = d on the first step, then μ buffer + d; p -= lr buffer.
        let count = 6
        let p0 = values(count), grads = [values(count), values(count)]
        let (lr, mu, wd): (Double, Double, Double) = (0.1, 0.9, 0.01)
        var p = p0.map(Double.init), buffer = [Double](repeating: 0, count: count)
        for (t, g) in grads.enumerated() {
            for i in 0..<count {
                let d = Double(g[i]) + wd * p[i]
                buffer[i] = t == 0 ? d : mu * buffer[i] + d
                p[i] -= lr * buffer[i]
            }
        }
        for backend in [cpu as any TrainingBackend, ref] {
            let parameter = backend.tensor(p0, shape: [count])
            let momentum = backend.tensor(values(count), shape: [count])  // garbage: the first step overwrites it
            for (t, g) in grads.enumerated() {
                backend.sgd(parameter, gradient: backend.tensor(g, shape: [count]), momentumBuffer: momentum,
                            learningRate: Float(lr), momentum: Float(mu), weightDecay: Float(wd), firstStep: t == 0)
            }
            for (actual, wanted) in zip(backend.floats(parameter), p) {
                XCTAssertEqual(Double(actual), wanted, accuracy: 1e-6, "\(backend.name)")
            }
        }
    }
}
