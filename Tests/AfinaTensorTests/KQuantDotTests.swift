// The fused k-quant row dots (Sources/CAfinaKernels/kquant_dot.c), in every form this CPU runs
// (AVX2, and AVX-512 where present), against the reference: Quant.dequantize (bit-identical to
// gguf-py) then a dot product in Double.
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
    let kernels: [(DType, Kernel)] = KQuantKernel.allCases.filter(\.isAvailable).flatMap { form in
        [(DType.q4_K, withSums(form.q4K)), (.q5_K, withSums(form.q5K)), (.q6_K, { form.q6K($0, $1, $2, $3, $4, $5, $6) })]
    }

    /// A Q4_K/Q5_K kernel given the 32-value sums of its activation rows, as `linear` computes them.
    static func withSums(_ kernel: @escaping KQuantKernel.SummedDot) -> Kernel {
        { w, x, ldx, rows, out, ldout, blocks in
            let k = 256 * Int(blocks), stride = ldx == 0 ? k : ldx
            var sums = [Float](repeating: 0, count: Int(rows) * stride / 32)
            for r in 0..<Int(rows) { afina_sub_block_sums(x + r * stride, k, &sums[r * stride / 32]) }
            kernel(w, x, stride, sums, rows, out, ldout, blocks)
        }
    }

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

    /// Decoding several sequences together must give each the logits it gets alone.
    func testEachActivationRowGetsTheSameBitsWhateverTheNumberOfRows() {
        var random = Random(state: 5)
        let blocks = 6, k = 256 * 6
        for (type, kernel) in kernels {
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
    /// dequantized tiles; both must agree with the reference backend.
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
                    let magnitude = Self.referenceDot(type, row, Array(values[(i / m) * k..<(i / m + 1) * k])).magnitude
                    XCTAssertLessThanOrEqual(abs(Double(a) - Double(b)), 1e-6 * magnitude, "\(type), \(n) rows, output \(i)")
                }
            }
        }
    }
}
