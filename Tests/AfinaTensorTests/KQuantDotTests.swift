// The fused k-quant row dots (Sources/CAfinaKernels/kquant_dot.c, quant_dot_int16.c), in every
// form this CPU runs (AVX2, and AVX-512 and int16 where present), against the reference:
// Quant.dequantize (bit-identical to gguf-py) then a dot product in Double.
//
// Tolerance: |fast - reference| <= 1e-6 * sum_i |w_i * x_i|. The kernels apply each sub-block's
// scale and min to sums of q * x and of x (d * sum(q x) - m * sum(x)) and add in float32, so
// each term carries a few float32 roundings (2^-24 = 6e-8) that grow slowly with the number
// of terms (measured worst: 4e-8 over 35 super-blocks). A wrong quant, bit or scale shows as
// an error of 1e-3 or more.
import CAfinaKernels
import XCTest
@testable import AfinaTensor

final class KQuantDotTests: XCTestCase {
    /// (weight row, x, ldx, rows, out, ldout, super-blocks)
    typealias Kernel = (UnsafeRawPointer, UnsafePointer<Float>, Int, Int32, UnsafeMutablePointer<Float>, Int, Int32) -> Void
    let kernels: [(DType, Kernel)] = DecodeDotKernel.allCases.filter { $0.isAvailable && $0 != .int16 }.flatMap { form in
        [(DType.q4_K, withSums(form.q4K)), (.q5_K, withSums(form.q5K)), (.q6_K, { form.q6K($0, $1, $2, $3, $4, $5, $6) })]
    }

    /// A Q4_K/Q5_K kernel given the 32-value sums of its activation rows, as `linear` computes them.
    static func withSums(_ kernel: @escaping DecodeDotKernel.SummedDot) -> Kernel {
        { w, x, ldx, rows, out, ldout, blocks in
            let k = 256 * Int(blocks), stride = ldx == 0 ? k : ldx
            var sums = [Float](repeating: 0, count: Int(rows) * stride / 32)
            for r in 0..<Int(rows) { afina_sub_block_sums(x + r * stride, k, &sums[r * stride / 32]) }
            kernel(w, x, stride, sums, rows, out, ldout, blocks)
        }
    }

    /// An int16 form (Q4_K, Q5_K or Q6_K) on float rows: each row rounded by afina_quantize_i16, as
    /// `linear` does.
    static func int16(_ type: DType) -> Kernel {
        { w, x, ldx, rows, out, ldout, blocks in
            let k = 256 * Int(blocks), stride = ldx == 0 ? k : ldx, n = Int(rows)
            var q = [Int16](repeating: 0, count: n * stride), scales = [Float](repeating: 0, count: n * stride / 256)
            var sums = [Float](repeating: 0, count: n * stride / 32)
            for r in 0..<n {
                afina_quantize_i16(x + r * stride, k, 256, &q[r * stride], &scales[r * stride / 256])
                afina_sub_block_sums(x + r * stride, k, &sums[r * stride / 32])
            }
            switch type {
            case .q4_K: afina_dot_q4_k_i16(w, q, scales, stride, sums, rows, out, ldout, blocks)
            case .q5_K: afina_dot_q5_k_i16(w, q, scales, stride, sums, rows, out, ldout, blocks)
            default: afina_dot_q6_k_i16(w, q, scales, stride, rows, out, ldout, blocks)
            }
        }
    }
    let int16Kernels: [(DType, Kernel)] = DecodeDotKernel.int16.isAvailable ? [DType.q4_K, .q5_K, .q6_K].map { ($0, int16($0)) } : []

    /// A reproducible stream of random bytes and floats (64-bit LCG, high bits).
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 32
        }
        mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next()) }
        mutating func float(_ range: ClosedRange<Float>) -> Float {
            range.lowerBound + Float(next() & 0xFFFFFF) / Float(0xFFFFFF) * (range.upperBound - range.lowerBound)
        }
    }

    /// Super-block scales (d, and dmin for Q4_K/Q5_K) worth testing: f16 subnormal, tiny,
    /// typical, the largest finite f16, negative.
    static let edgeScales: [Float] = [6e-8, 1e-3, 0.02, 65504, -0.75]

    /// `blocks` random super-blocks of `type`. Block 0 has every quant and 6-bit scale/min at
    /// its maximum (Q6_K: scales of -128), block 1 every quant 0; the rest are random bytes,
    /// so every nibble value and negative Q6_K scale occurs. Super-block scales cycle through
    /// `edgeScales` before turning random.
    static func randomBlocks(_ type: DType, _ blocks: Int, _ random: inout Random) -> [UInt8] {
        var bytes: [UInt8] = []
        for i in 0..<blocks {
            var block = (0..<type.bytesPerBlock).map { _ in random.byte() }
            let fill: UInt8? = i == 0 ? (type == .q6_K ? 0x80 : 0xFF) : i == 1 ? 0 : nil
            if let fill { for j in 0..<block.count { block[j] = fill } }
            func setHalf(_ offset: Int, _ value: Float) {
                let bits = Float16(value).bitPattern
                (block[offset], block[offset + 1]) = (UInt8(bits & 0xFF), UInt8(bits >> 8))
            }
            func scale(_ k: Int) -> Float { k < edgeScales.count ? edgeScales[k] : random.float(-0.05...0.05) }
            if type == .q6_K {
                setHalf(208, scale(i))
            } else {
                setHalf(0, scale(i))
                setHalf(2, scale(blocks - 1 - i))
            }
            bytes += block
        }
        return bytes
    }

    /// The dequantized weights and, for Q4_K and Q5_K, each weight's dmin * min (0 for Q6_K), so
    /// that w + min is d * scale * q: the block with its quants zeroed dequantizes to -dmin * min.
    static func weightsAndMins(_ type: DType, _ bytes: [UInt8]) -> (w: [Double], mins: [Double]) {
        let w: [Double] = bytes.withUnsafeBytes { Quant.dequantize(type, $0) }.map { Double($0) }
        guard type == .q4_K || type == .q5_K else { return (w, [Double](repeating: 0, count: w.count)) }
        var zeroed = bytes
        let size = type.bytesPerBlock
        for b in 0..<(bytes.count / size) { for i in 16..<size { zeroed[size * b + i] = 0 } }
        return (w, zeroed.withUnsafeBytes { Quant.dequantize(type, $0) }.map { -Double($0) })
    }

    /// How far rounding x to 16 bits per `block` values can move an int16 dot: each value
    /// moves by at most half its block's step amax / 32767, times |d * scale * q|.
    static func int16RoundingBound(_ type: DType, _ bytes: [UInt8], _ x: [Float], block: Int = 256) -> Double {
        let (w, mins) = weightsAndMins(type, bytes)
        let steps = stride(from: 0, to: x.count, by: block).map { Double(x[$0..<($0 + block)].map(abs).max()! / 32767) }
        var bound = 0.0
        for l in 0..<x.count { bound += abs(w[l] + mins[l]) * steps[l / block] / 2 }
        return bound
    }

    /// x rounded to int16 per `block` values as the quantizer is specified: q = round(x *
    /// 32767 / amax), ties to even, times amax / 32767.
    static func roundedToInt16(_ x: [Float], block: Int) -> [Float] {
        stride(from: 0, to: x.count, by: block).flatMap { start -> [Float] in
            let amax = x[start..<(start + block)].map(abs).max()!, inverse = amax > 0 ? 32767 / amax : 0
            return x[start..<(start + block)].map { ($0 * inverse).rounded(.toNearestOrEven) * (amax / 32767) }
        }
    }

    /// The reference dot and the scale of its error, sum |w x|, in Double.
    static func referenceDot(_ type: DType, _ bytes: [UInt8], _ x: [Float]) -> (dot: Double, magnitude: Double) {
        let w = bytes.withUnsafeBytes { Quant.dequantize(type, $0) }
        let terms = zip(w, x).map { Double($0) * Double($1) }
        return (terms.reduce(0, +), terms.map(abs).reduce(0, +))
    }

    func testFusedDotsMatchDequantizeThenDot() {
        var random = Random(state: 7)
        for (type, kernel) in kernels {
            for blocks in [1, 2, 6, 35] {  // 35 * 256 = 8960, Qwen2.5-1.5B's ffn_down input
                for trial in 0..<4 {
                    let bytes = Self.randomBlocks(type, blocks, &random)
                    let x = (0..<(256 * blocks)).map { _ in random.float(-3...3) }
                    let (expected, magnitude) = Self.referenceDot(type, bytes, x)
                    var actual: Float = 0
                    bytes.withUnsafeBytes { w in kernel(w.baseAddress!, x, 0, 1, &actual, 1, Int32(blocks)) }
                    XCTAssertLessThanOrEqual(abs(Double(actual) - expected), 1e-6 * magnitude,
                                             "\(type), \(blocks) blocks, trial \(trial): \(actual) vs \(expected)")
                }
            }
        }
    }

    /// The int16 forms (Q4_K, Q5_K, Q6_K): x rounded to 16 bits per 256 values by the quantizer,
    /// then dotted in integers. Checked in two steps: the quantizer gives round(x * 32767 /
    /// amax) (ties to even) and amax / 32767; the dot then equals the reference dot with those
    /// rounded activations within the float forms' 1e-6 * sum |w x|, and the exact float dot
    /// within the rounding's own bound, sum |w| * scale / 2 per block.
    func testInt16DotsMatchTheReferenceWithRoundedActivations() throws {
        try XCTSkipUnless(DecodeDotKernel.int16.isAvailable, "int16 k-quant dots need AVX-512 (f, bw)")
        var random = Random(state: 3)
        for type in [DType.q4_K, .q5_K, .q6_K] {
            for blocks in [1, 2, 6, 35] {
                for trial in 0..<3 {
                    let k = 256 * blocks
                    let bytes = Self.randomBlocks(type, blocks, &random)
                    var x = (0..<k).map { _ in random.float(-3...3) }
                    if blocks > 1 { for l in 256..<512 { x[l] = 0 } }  // a block of zeros: scale 0
                    var q = [Int16](repeating: 0, count: k), scales = [Float](repeating: 0, count: blocks)
                    afina_quantize_i16(x, k, 256, &q, &scales)
                    XCTAssertEqual((0..<k).map { Float(q[$0]) * scales[$0 / 256] }, Self.roundedToInt16(x, block: 256))
                    // Q4_K's mins meet the exact x; the rest of each weight meets the rounded x.
                    let rounded: [Double] = (0..<k).map { Double(q[$0]) * Double(scales[$0 / 256]) }
                    let (w, mins) = Self.weightsAndMins(type, bytes)
                    var terms: [Double] = []
                    for l in 0..<k { terms += [(w[l] + mins[l]) * rounded[l], -mins[l] * Double(x[l])] }
                    let expected = terms.reduce(0, +), magnitude = terms.map(abs).reduce(0, +)
                    var actual: Float = 0
                    bytes.withUnsafeBytes { w in Self.int16(type)(w.baseAddress!, x, 0, 1, &actual, 1, Int32(blocks)) }
                    XCTAssertLessThanOrEqual(abs(Double(actual) - expected), 1e-6 * magnitude,
                                             "\(type), \(blocks) blocks, trial \(trial): \(actual) vs \(expected)")
                    let step = Self.int16RoundingBound(type, bytes, x)
                    let (exact, exactMagnitude) = Self.referenceDot(type, bytes, x)
                    XCTAssertLessThanOrEqual(abs(Double(actual) - exact), step + 1e-6 * exactMagnitude,
                                             "\(type), \(blocks) blocks, trial \(trial): \(actual) vs exact \(exact)")
                }
            }
        }
    }

    /// Decoding several sequences together must give each the logits it gets alone.
    func testEachActivationRowGetsTheSameBitsWhateverTheNumberOfRows() {
        var random = Random(state: 5)
        let blocks = 6, k = 256 * 6
        for (type, kernel) in kernels + int16Kernels {
            let bytes = Self.randomBlocks(type, blocks, &random)
            let x = (0..<(4 * k)).map { _ in random.float(-2...2) }
            bytes.withUnsafeBytes { w in
                let alone = x.withUnsafeBufferPointer { xs in
                    (0..<4).map { r in
                        var out: Float = 0
                        kernel(w.baseAddress!, xs.baseAddress! + r * k, k, 1, &out, 1, Int32(blocks))
                        return out
                    }
                }
                for rows in 2...4 {
                    var together = [Float](repeating: 0, count: 2 * rows)
                    kernel(w.baseAddress!, x, k, Int32(rows), &together, 2, Int32(blocks))
                    XCTAssertEqual(stride(from: 0, to: 2 * rows, by: 2).map { together[$0].bitPattern },
                                   alone[..<rows].map(\.bitPattern), "\(type), \(rows) rows")
                }
            }
        }
    }

    /// The decode path of `linear` (1-4 rows) uses the fused kernels, prefill (more rows) the
    /// int16 product or the dequantized tiles; both must agree with the reference backend.
    func testQuantizedLinearMatchesReferenceForDecodeAndPrefill() {
        let cpu = CPUBackend(), reference = ReferenceBackend()
        var random = Random(state: 11)
        let (m, k) = (37, 512)
        for type in [DType.q4_K, .q5_K, .q6_K] {
            let bytes = Self.randomBlocks(type, m * k / 256, &random)
            let (w, wr) = bytes.withUnsafeBytes {
                (cpu.tensor(bytes: $0, dtype: type, shape: [m, k], owner: nil),
                 reference.tensor(bytes: $0, dtype: type, shape: [m, k], owner: nil))
            }
            for n in [1, 4, 9] {
                let values = (0..<(n * k)).map { _ in random.float(-1...1) }
                let fast = cpu.floats(cpu.linear(cpu.tensor(values, shape: [n, k]), weight: w, bias: nil))
                let slow = reference.floats(reference.linear(reference.tensor(values, shape: [n, k]), weight: wr, bias: nil))
                for (i, (a, b)) in zip(fast, slow).enumerated() {
                    let row = Array(bytes[(i % m) * k / 256 * type.bytesPerBlock..<(i % m + 1) * k / 256 * type.bytesPerBlock])
                    let xRow = Array(values[(i / m) * k..<(i / m + 1) * k])
                    let magnitude = Self.referenceDot(type, row, xRow).magnitude
                    // Decoding rounds x to 16 bits per 256 values where the int16 forms run,
                    // prefill per 64 where the int16 product runs.
                    let rounding = n <= 4 && DecodeDotKernel.best.roundsActivations(for: type) ? Self.int16RoundingBound(type, row, xRow)
                        : n > 4 && CPUBackend.multipliesInInt16(type) ? Self.int16RoundingBound(type, row, xRow, block: 64) : 0
                    XCTAssertLessThanOrEqual(abs(Double(a) - Double(b)), 1e-6 * magnitude + rounding, "\(type), \(n) rows, output \(i)")
                }
            }
        }
    }
}
