// The CPU backend against the reference loops, op by op, on random shapes (the habit of
// llama.cpp's test-backend-ops): max |fast - reference| / max(1, |reference|) must stay small.
import XCTest
@testable import AfinaTensor

final class BackendTests: XCTestCase {
    let cpu = CPUBackend()
    let reference = ReferenceBackend()
    var random = SystemRandomNumberGenerator()

    func randomValues(_ count: Int, scale: Float = 1) -> [Float] {
        (0..<count).map { _ in Float.random(in: -scale...scale, using: &random) }
    }

    /// The same random float32 tensor on both backends.
    func pair(_ shape: [Int], scale: Float = 1) -> (Tensor, Tensor) {
        let values = randomValues(shape.reduce(1, *), scale: scale)
        return (cpu.tensor(values, shape: shape), reference.tensor(values, shape: shape))
    }

    func assertClose(_ fast: Tensor, _ slow: Tensor, tolerance: Float = 1e-5,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(fast.shape, slow.shape, file: file, line: line)
        let (a, b) = (cpu.floats(fast), reference.floats(slow))
        let worst = zip(a, b).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, tolerance, "max normalized error", file: file, line: line)
    }

    func testRMSNormMatchesReference() {
        for (n, d) in [(1, 64), (7, 576), (3, 33)] {
            let (x, xr) = pair([n, d]), (w, wr) = pair([d])
            assertClose(cpu.rmsNorm(x, weight: w, eps: 1e-5), reference.rmsNorm(xr, weight: wr, eps: 1e-5))
        }
    }

    func testLinearMatchesReferenceWithAndWithoutBias() {
        for (n, k, m) in [(1, 64, 96), (5, 576, 192), (9, 40, 3)] {
            let (x, xr) = pair([n, k]), (w, wr) = pair([m, k]), (b, br) = pair([m])
            assertClose(cpu.linear(x, weight: w, bias: nil), reference.linear(xr, weight: wr, bias: nil), tolerance: 1e-4)
            assertClose(cpu.linear(x, weight: w, bias: b), reference.linear(xr, weight: wr, bias: br), tolerance: 1e-4)
        }
    }

    /// Decoding batches up to 4 sequences per product (the server relies on it): each row of
    /// a float32 linear of 1-4 rows must equal, to the bit, that row multiplied alone.
    func testLinearOfUpToFourRowsGivesEachRowItsValueAlone() {
        let (k, m) = (576, 300)
        let (w, _) = pair([m, k]), (x, _) = pair([4, k])
        let rows = cpu.floats(x)
        let alone = (0..<4).map { i in cpu.floats(cpu.linear(cpu.tensor(Array(rows[i * k..<(i + 1) * k]), shape: [1, k]),
                                                             weight: w, bias: nil)) }
        for n in 2...4 {
            let together = cpu.floats(cpu.linear(cpu.tensor(Array(rows[..<(n * k)]), shape: [n, k]), weight: w, bias: nil))
            XCTAssertEqual(together, Array(alone[..<n].joined()), "\(n) rows")
        }
    }

    func testQuantizedLinearMatchesReferenceForDecodeAndPrefillShapes() {
        // Valid blocks built by hand: f16 scale (and f16 minimum for Q4_1), then random quants.
        let (m, k) = (70, 64)
        for dtype in [DType.q8_0, .q4_1, .q4_0] {
            var bytes: [UInt8] = []
            for _ in 0..<(m * k / 32) {
                let scales = dtype == .q4_1 ? 2 : 1
                for _ in 0..<scales {
                    let scale = Float16(Float.random(in: -0.02...0.02, using: &random))
                    withUnsafeBytes(of: scale.bitPattern.littleEndian) { bytes += $0 }
                }
                bytes += (0..<(dtype.bytesPerBlock - 2 * scales)).map { _ in UInt8.random(in: 0...255, using: &random) }
            }
            let (w, wr) = bytes.withUnsafeBytes {
                (cpu.tensor(bytes: $0, dtype: dtype, shape: [m, k], owner: nil),
                 reference.tensor(bytes: $0, dtype: dtype, shape: [m, k], owner: nil))
            }
            for n in [1, 3, 17] {
                // Decoding (1-4 rows) rounds Q8_0's activations to int16 per 32 values where those
                // forms run (QuantDotTests): the reference gets them rounded as specified.
                let values = randomValues(n * k, scale: 1)
                let rounds = n <= 4 && DecodeDotKernel.best.roundsActivations(for: dtype)
                let (x, xr) = (cpu.tensor(values, shape: [n, k]),
                               reference.tensor(rounds ? KQuantDotTests.roundedToInt16(values, block: 32) : values, shape: [n, k]))
                assertClose(cpu.linear(x, weight: w, bias: nil), reference.linear(xr, weight: wr, bias: nil),
                            tolerance: 1e-4)
            }
        }
    }

    func testElementwiseOpsMatchReference() {
        let (a, ar) = pair([4, 100], scale: 4), (b, br) = pair([4, 100], scale: 4)
        assertClose(cpu.add(a, b), reference.add(ar, br))
        assertClose(cpu.swiglu(gate: a, up: b), reference.swiglu(gate: ar, up: br))
    }

    func testRoPEMatchesReference() {
        let headDim = 16
        let invFreq = (0..<headDim / 2).map { Float(1 / pow(10000, Double(2 * $0) / Double(headDim))) }
        let (x, xr) = pair([5, 3 * headDim])
        let positions: [Int32] = [0, 1, 2, 100, 4095]
        assertClose(cpu.rope(x, positions: positions, headDim: headDim, invFreq: invFreq),
                    reference.rope(xr, positions: positions, headDim: headDim, invFreq: invFreq))
    }

    /// Rotations come from a table kept per frequency list (grown as positions grow), or are
    /// computed in place past the table's limit: the same bits either way, and the reference's.
    func testRoPETablesGiveTheBitsComputedInPlace() {
        let headDim = 16
        let invFreq = (0..<headDim / 2).map { Float(1 / pow(10000, Double(2 * $0) / Double(headDim))) }
        let (x, xr) = pair([6, 2 * headDim])
        func rows(_ t: Tensor, _ n: Int) -> [Float] { Array(cpu.floats(t).prefix(n * t.columns)) }
        let expected = reference.rope(xr, positions: [0, 1, 255, 256, 4095, 70_000], headDim: headDim, invFreq: invFreq)
        let small = cpu.rope(x, positions: [0, 1, 255, 3, 3, 3], headDim: headDim, invFreq: invFreq)   // a 256-row table
        let want = reference.floats(expected)
        func expectedRows(_ n: Int) -> [Float] { Array(want.prefix(n * expected.columns)) }
        XCTAssertEqual(rows(small, 3), expectedRows(3))
        let grown = cpu.rope(x, positions: [0, 1, 255, 256, 4095, 5], headDim: headDim, invFreq: invFreq)
        XCTAssertEqual(rows(grown, 5), expectedRows(5))
        let inPlace = cpu.rope(x, positions: [0, 1, 255, 256, 4095, 70_000], headDim: headDim, invFreq: invFreq)
        XCTAssertEqual(cpu.floats(inPlace), reference.floats(expected))
        let backward = cpu.rope(x, positions: [0, 1, 255, 256, 4095, 5], headDim: headDim, invFreq: invFreq.map { -$0 })
        let backwardExpected = reference.rope(xr, positions: [0, 1, 255, 256, 4095, 5], headDim: headDim,
                                              invFreq: invFreq.map { -$0 })
        XCTAssertEqual(rows(backward, 5), Array(reference.floats(backwardExpected).prefix(5 * x.columns)))
    }

    func testAttentionMatchesReferenceForPrefillDecodeAndMixedBatches() {
        let (heads, kvHeads, headDim) = (6, 2, 16)
        let capacity = 12
        let (keys, keysR) = pair([2 * capacity, kvHeads * headDim])
        let (values, valuesR) = pair([2 * capacity, kvHeads * headDim])
        let spanSets: [[AttentionSpan]] = [
            [AttentionSpan(queryRow: 0, count: 7, keyRow: 0, past: 0)],                      // prefill
            [AttentionSpan(queryRow: 0, count: 1, keyRow: capacity, past: 9)],               // decode
            [AttentionSpan(queryRow: 0, count: 3, keyRow: 0, past: 4),                       // mixed
             AttentionSpan(queryRow: 3, count: 1, keyRow: capacity, past: 11)],
        ]
        assertAttentionMatchesReference(spanSets, keys: (keys, keysR), values: (values, valuesR),
                                        heads: heads, kvHeads: kvHeads, headDim: headDim)
    }

    /// Long prompts run in query blocks of 64 rows that skip the keys none of their rows sees.
    func testAttentionOfLongSpansInQueryBlocksMatchesReference() {
        let (heads, kvHeads, headDim) = (4, 2, 8)
        let (keys, keysR) = pair([400, kvHeads * headDim])
        let (values, valuesR) = pair([400, kvHeads * headDim])
        let spanSets: [[AttentionSpan]] = [
            [AttentionSpan(queryRow: 0, count: 150, keyRow: 0, past: 0)],
            [AttentionSpan(queryRow: 0, count: 100, keyRow: 0, past: 30),
             AttentionSpan(queryRow: 100, count: 70, keyRow: 200, past: 0, mask: .slidingWindow(50))],
        ]
        assertAttentionMatchesReference(spanSets, keys: (keys, keysR), values: (values, valuesR),
                                        heads: heads, kvHeads: kvHeads, headDim: headDim)
    }

    /// The CPU backend's attention against the reference for each set of spans, on fresh queries.
    func assertAttentionMatchesReference(_ spanSets: [[AttentionSpan]], keys: (Tensor, Tensor), values: (Tensor, Tensor),
                                         heads: Int, kvHeads: Int, headDim: Int, file: StaticString = #filePath,
                                         line: UInt = #line) {
        for spans in spanSets {
            let rows = spans.map(\.count).reduce(0, +)
            let (q, qr) = pair([rows, heads * headDim], scale: 2)
            assertClose(
                cpu.attention(query: q, keys: keys.0, values: values.0, spans: spans,
                              heads: heads, kvHeads: kvHeads, headDim: headDim),
                reference.attention(query: qr, keys: keys.1, values: values.1, spans: spans,
                                    heads: heads, kvHeads: kvHeads, headDim: headDim), file: file, line: line)
        }
    }

    func testEmbeddingGathersAndDequantizesRows() {
        let (table, _) = pair([10, 8])
        let out = cpu.embedding(table, ids: [3, 0, 9])
        let all = cpu.floats(table)
        XCTAssertEqual(cpu.floats(out), Array(all[24..<32] + all[0..<8] + all[72..<80]))
    }

    func testCopyAndGatherRowsRoundTrip() {
        let (x, _) = pair([3, 5])
        let cache = cpu.zeros([8, 5])
        cpu.copyRows(x, into: cache, at: [6, 1, 4])
        XCTAssertEqual(cpu.floats(cpu.gatherRows(cache, [6, 1, 4])), cpu.floats(x))
        XCTAssertEqual(cpu.floats(cpu.gatherRows(cache, [0])), [0, 0, 0, 0, 0])
    }
}
