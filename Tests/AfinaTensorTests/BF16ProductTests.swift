// bfloat16 products against the float32 reference loops. Inputs are rounded to bfloat16
// (8 significant bits, relative error <= 2^-9 each), so each product term is off by about
// 2^-8 relative; with random signs the sums stay within 1e-2 of the largest output.
import XCTest
@testable import AfinaTensor

final class BF16ProductTests: XCTestCase {
    let reference = ReferenceBackend()

    /// A bf16 backend on the fastest kernel here.
    func backend() throws -> CPUBackend { try XCTUnwrap(backends().last) }

    /// A bf16 backend for each kernel this machine runs (AVX-512 BF16, and AMX on Intel Xeons).
    func backends() throws -> [CPUBackend] {
        let kernels = BF16Kernel.allCases.filter(\.isAvailable)
        guard !kernels.isEmpty else { throw XCTSkip("this CPU has no AVX-512 BF16") }
        return kernels.map { CPUBackend(precision: .bf16, bf16Kernel: $0) }
    }

    func random(_ shape: [Int], seed: UInt64) -> Tensor {
        var state = seed
        let values = (0..<shape.reduce(1, *)).map { _ -> Float in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int(state >> 40) % 2001 - 1000) / 1000
        }
        return reference.tensor(values, shape: shape)
    }

    func assertClose(_ actual: [Float], _ expected: [Float], _ what: String) {
        let scale = expected.map(abs).max()!
        let worst = zip(actual, expected).map { abs($0 - $1) }.max()!
        XCTAssertGreaterThan(scale, 0)
        XCTAssertLessThanOrEqual(worst / scale, 1e-2, "\(what): max error \(worst) of \(scale)")
        XCTAssertGreaterThan(worst, 0, "\(what): bf16 rounding should show")
    }

    /// Shapes with whole and partial 32-row blocks and panels, depths not a multiple of 32, and
    /// more than one 128-row block (the AMX kernel's units), for every kernel.
    func testBF16ProductsMatchTheFloat32ReferenceWithinBF16Rounding() throws {
        for b in try backends() {
            try checkProducts(b)
        }
    }

    func checkProducts(_ b: CPUBackend) throws {
        for (n, k, m) in [(70, 37, 45), (64, 576, 96), (130, 64, 33), (101, 70, 80), (320, 96, 64)] {
            let x = random([n, k], seed: 1), w = random([m, k], seed: 2), dy = random([n, m], seed: 3)
            let kernel = b.bf16Kernel.rawValue
            assertClose(b.floats(b.linear(x, weight: w, bias: nil)),
                        reference.floats(reference.linear(x, weight: w, bias: nil)), "\(kernel) x·Wᵀ \(n)x\(k)x\(m)")
            assertClose(b.floats(b.matmul(dy, w)), reference.floats(reference.matmul(dy, w)), "\(kernel) dy·W \(n)x\(m)x\(k)")
            let (g1, g2) = (random([m, k], seed: 4), random([m, k], seed: 4))
            b.accumulateWeightGradient(dy, x, alpha: 0.5, into: g1)
            reference.accumulateWeightGradient(dy, x, alpha: 0.5, into: g2)
            assertClose(b.floats(g1), reference.floats(g2), "\(kernel) g += dyᵀx \(m)x\(n)x\(k)")
        }
    }

    /// QLoRA's frozen base: quantized weights expanded tile by tile inside bf16 products, against
    /// the reference on the same blocks (rows not a multiple of 32, k-quants, several tiles).
    func testQuantizedWeightsInBF16ProductsMatchTheReference() throws {
        for b in try backends() {
            try checkQuantizedProducts(b)
        }
    }

    func checkQuantizedProducts(_ b: CPUBackend) throws {
        var blocks = KQuantDotTests.Random(state: 3)
        for (type, n, k, m) in [(DType.q8_0, 70, 96, 45), (.q4_0, 130, 64, 33), (.q4_K, 96, 512, 40), (.q8_0, 64, 1024, 300)] {
            let bytes = type == .q4_K ? KQuantDotTests.randomBlocks(type, m * k / 256, &blocks)
                : Quant.quantize(reference.floats(random([m, k], seed: 11)), as: type)
            let (w, wr) = bytes.withUnsafeBytes {
                (b.tensor(bytes: $0, dtype: type, shape: [m, k], owner: nil),
                 reference.tensor(bytes: $0, dtype: type, shape: [m, k], owner: nil))
            }
            let x = random([n, k], seed: 12), dy = random([n, m], seed: 13)
            assertClose(b.floats(b.linear(x, weight: w, bias: nil)),
                        reference.floats(reference.linear(x, weight: wr, bias: nil)), "\(type) x·Wᵀ \(n)x\(k)x\(m)")
            assertClose(b.floats(b.matmul(dy, w)), reference.floats(reference.matmul(dy, wr)), "\(type) dy·W \(n)x\(m)x\(k)")
        }
    }

    func testConstantWeightsKeepTheirPackingAndGiveTheSameProducts() throws {
        let b = try backend()
        let x = random([96, 64], seed: 5), w = random([40, 64], seed: 6), dy = random([96, 40], seed: 7)
        let (plain, plainBack) = (b.floats(b.linear(x, weight: w, bias: nil)), b.floats(b.matmul(dy, w)))
        b.declareWeight(w)
        for _ in 0..<2 {
            XCTAssertEqual(b.floats(b.linear(x, weight: w, bias: nil)), plain)
            XCTAssertEqual(b.floats(b.matmul(dy, w)), plainBack)
        }
    }

    func testAnOptimizerUpdateDropsTheDeclaredWeightsPackings() throws {
        let b = try backend()
        let x = random([96, 64], seed: 8), w = random([40, 64], seed: 9), dy = random([96, 40], seed: 10)
        b.declareWeight(w)
        _ = (b.linear(x, weight: w, bias: nil), b.matmul(dy, w))
        let gradient = random([40, 64], seed: 11)
        b.sgd(w, gradient: gradient, momentumBuffer: nil, learningRate: 0.5, momentum: 0, weightDecay: 0, firstStep: true)
        let fresh = CPUBackend(precision: .bf16)  // packs the updated values from scratch
        XCTAssertEqual(b.floats(b.linear(x, weight: w, bias: nil)), fresh.floats(fresh.linear(x, weight: w, bias: nil)))
        XCTAssertEqual(b.floats(b.matmul(dy, w)), fresh.floats(fresh.matmul(dy, w)))
    }

    /// Attention's products (scores, P·V, and the five of its backward) in bf16, on packed
    /// causal spans past one 64-row query block, grouped heads, a sliding window, and a
    /// bidirectional span with an additive bias (decoding steps stay float32). Measured worst
    /// errors: 0.18-0.36% of the largest value.
    func testBF16AttentionMatchesTheFloat32ReferenceWithinBF16Rounding() throws {
        for b in try backends() {
            try checkAttention(b)
        }
    }

    func checkAttention(_ b: CPUBackend) throws {
        let cases: [(heads: Int, kvHeads: Int, headDim: Int, spans: [AttentionSpan], bias: Bool)] = [
            (4, 2, 64, [AttentionSpan(queryRow: 0, count: 150, keyRow: 0, past: 0),
                        AttentionSpan(queryRow: 150, count: 70, keyRow: 150, past: 0)], false),
            (2, 2, 40, [AttentionSpan(queryRow: 0, count: 130, keyRow: 0, past: 0, mask: .slidingWindow(40))], false),
            (3, 3, 32, [AttentionSpan(queryRow: 0, count: 45, keyRow: 0, past: 0, mask: .bidirectional(keys: 45))], true),
        ]
        for (index, c) in cases.enumerated() {
            let rows = c.spans.map(\.count).reduce(0, +)
            let seed = UInt64(20 + 5 * index)
            let q = random([rows, c.heads * c.headDim], seed: seed), dy = random([rows, c.heads * c.headDim], seed: seed + 1)
            let k = random([rows, c.kvHeads * c.headDim], seed: seed + 2)
            let v = random([rows, c.kvHeads * c.headDim], seed: seed + 3)
            let keys = c.spans[0].keyCount
            let bias = c.bias ? AttentionBias(random([c.heads, keys, keys], seed: seed + 4)) : nil
            let what = "\(b.bf16Kernel.rawValue) attention \(c.heads)/\(c.kvHeads)x\(c.headDim) \(c.spans.map(\.count))"
            func run(_ backend: any TrainingBackend) -> [[Float]] {
                func copy(_ x: Tensor) -> Tensor { backend.tensor(reference.floats(x), shape: x.shape) }
                let onBackend = bias.map { AttentionBias(copy($0.table)) }
                let scale = 1 / Float(c.headDim).squareRoot()
                let y = backend.attention(query: copy(q), keys: copy(k), values: copy(v), spans: c.spans, heads: c.heads,
                                          kvHeads: c.kvHeads, headDim: c.headDim, scale: scale, bias: onBackend)
                let d = backend.attentionBackward(copy(dy), query: copy(q), keys: copy(k), values: copy(v), spans: c.spans,
                                                  heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim, scale: scale,
                                                  bias: onBackend, biasGradient: nil, output: nil)
                return [backend.floats(y), backend.floats(d.query), backend.floats(d.keys), backend.floats(d.values)]
            }
            for (name, (actual, expected)) in zip(["output", "dq", "dk", "dv"], zip(run(b), run(reference))) {
                assertClose(actual, expected, "\(what) \(name)")
            }
        }
    }

    func testWithoutBF16HardwareTheBackendFallsBackToFloat32() {
        XCTAssertEqual(CPUBackend(precision: .bf16).precision, ProductPrecision.bf16.available)
        XCTAssertEqual(CPUBackend().precision, .fp32)
    }
}
