// The fused row dots of ggml's 32-value blocks (Sources/CAfinaKernels/quant_dot.c: Q4_0, Q4_1,
// Q5_0, Q8_0; kquant_dot.c: Q4_1 on AVX-512) against the reference: Quant.dequantize (bit-identical to gguf-py) then a dot in
// Double, through the decode path of `linear` (1-4 rows).
//
// Tolerance: |fast - reference| <= 1e-6 * sum_i |w_i * x_i|, as for the k-quants
// (KQuantDotTests): a few float32 roundings per term; a wrong nibble, fifth bit or offset is
// off by 1e-3 or more. Where decoding rounds activations to int16 (Q5_0, Q8_0 with
// DecodeDotKernel.int16), the reference takes x rounded as specified, and the exact dot must
// also be within the rounding's bound.
import CAfinaKernels
import XCTest
@testable import AfinaTensor

final class QuantDotTests: XCTestCase {
    /// `blocks` blocks of random bytes (every nibble and fifth-bit pattern) with finite f16 scales
    /// (and Q4_1 mins) drawn from KQuantDotTests.edgeScales, then random.
    static func randomBlocks(_ type: DType, _ blocks: Int, _ random: inout KQuantDotTests.Random) -> [UInt8] {
        var bytes: [UInt8] = []
        for i in 0..<blocks {
            var block = (0..<type.bytesPerBlock).map { _ in random.byte() }
            let scales = KQuantDotTests.edgeScales
            for offset in type == .q4_1 ? [0, 2] : [0] {
                let value = i + offset < scales.count ? scales[i + offset] : random.float(-0.05...0.05)
                let bits = Float16(value).bitPattern
                (block[offset], block[offset + 1]) = (UInt8(bits & 0xFF), UInt8(bits >> 8))
            }
            bytes += block
        }
        return bytes
    }

    /// A random [m, k] weight of `type` on the CPU backend, with its bytes.
    static func weight(_ type: DType, _ m: Int, _ k: Int, _ random: inout KQuantDotTests.Random,
                       on cpu: CPUBackend) -> (bytes: [UInt8], tensor: Tensor) {
        let bytes = randomBlocks(type, m * k / 32, &random)
        return (bytes, bytes.withUnsafeBytes { cpu.tensor(bytes: $0, dtype: type, shape: [m, k], owner: nil) })
    }

    func testFusedDotsOf32ValueBlocksMatchDequantizeThenDot() {
        let cpu = CPUBackend()
        var random = KQuantDotTests.Random(state: 5)
        let (m, k) = (13, 32 * 37)
        for type in [DType.q4_0, .q4_1, .q5_0, .q8_0] {
            let (bytes, w) = Self.weight(type, m, k, &random, on: cpu)
            let int16 = DecodeDotKernel.best.roundsActivations(for: type)
            for n in 1...4 {
                let x = (0..<(n * k)).map { _ in random.float(-1...1) }
                let out = cpu.floats(cpu.linear(cpu.tensor(x, shape: [n, k]), weight: w, bias: nil))
                for r in 0..<n {
                    for j in 0..<m {
                        let row = Array(bytes[j * k / 32 * type.bytesPerBlock..<(j + 1) * k / 32 * type.bytesPerBlock])
                        let xRow = Array(x[r * k..<(r + 1) * k])
                        let actual = Double(out[r * m + j])
                        let expected = KQuantDotTests.referenceDot(type, row, int16 ? KQuantDotTests.roundedToInt16(xRow, block: 32) : xRow)
                        XCTAssertLessThanOrEqual(abs(actual - expected.dot), 1e-6 * expected.magnitude,
                                                 "\(type), \(n) rows, output (\(r), \(j))")
                        guard int16 else { continue }
                        let exact = KQuantDotTests.referenceDot(type, row, xRow)
                        let bound = KQuantDotTests.int16RoundingBound(type, row, xRow, block: 32)
                        XCTAssertLessThanOrEqual(abs(actual - exact.dot), bound + 1e-6 * exact.magnitude, "\(type) (\(r), \(j))")
                    }
                }
            }
        }
    }

    /// Decoding several sequences together gives each the logits it gets alone (the forms that
    /// widen a block once for every activation row keep each row's own order of operations).
    func testEachActivationRowGetsTheSameBitsWhateverTheNumberOfRows() {
        let cpu = CPUBackend()
        var random = KQuantDotTests.Random(state: 13)
        let (m, k) = (5, 32 * 19)
        for type in [DType.q4_0, .q4_1, .q5_0, .q8_0] {
            let w = Self.weight(type, m, k, &random, on: cpu).tensor
            let x = (0..<(4 * k)).map { _ in random.float(-2...2) }
            func product(_ rows: Range<Int>) -> [UInt32] {
                let input = cpu.tensor(Array(x[(rows.lowerBound * k)..<(rows.upperBound * k)]), shape: [rows.count, k])
                return cpu.floats(cpu.linear(input, weight: w, bias: nil)).map(\.bitPattern)
            }
            let alone = (0..<4).map { product($0..<$0 + 1) }
            for n in 2...4 { XCTAssertEqual(product(0..<n), Array(alone[..<n].joined()), "\(type), \(n) rows") }
        }
    }

    func testInt16ActivationsAreRoundedPer32Values() throws {
        try XCTSkipUnless(DecodeDotKernel.int16.isAvailable, "the int16 quantizer needs AVX-512 (f, bw)")
        var random = KQuantDotTests.Random(state: 9)
        var x = (0..<(32 * 9)).map { _ in random.float(-2...2) }
        for l in 64..<96 { x[l] = 0 }  // a block of zeros: scale 0
        x[100] = -2.5  // a block's largest magnitude becomes exactly -32767
        var q = [Int16](repeating: 0, count: x.count), scales = [Float](repeating: 0, count: 9)
        afina_quantize_i16(x, x.count, 32, &q, &scales)
        XCTAssertEqual((0..<x.count).map { Float(q[$0]) * scales[$0 / 32] }, KQuantDotTests.roundedToInt16(x, block: 32))
        XCTAssertEqual(q[100], -32767)
        XCTAssertEqual(scales[2], 0)
        XCTAssertEqual(scales[3], 2.5 / 32767)
    }

    /// A NaN or infinity in the activations comes out of the int16 dots as NaN, as it does
    /// from the float ones, not as a finite number.
    func testInt16DotsPassNaNAndInfinityOn() throws {
        try XCTSkipUnless(DecodeDotKernel.int16.isAvailable, "the int16 dots need AVX-512 (f, bw)")
        var random = KQuantDotTests.Random(state: 2)
        let cpu = CPUBackend(), k = 256
        for type in [DType.q8_0, .q5_0, .q4_K, .q5_K, .q6_K] {
            let bytes = [.q4_K, .q5_K, .q6_K].contains(type) ? KQuantDotTests.randomBlocks(type, 4, &random)
                : Self.randomBlocks(type, 4 * k / 32, &random)
            let w = bytes.withUnsafeBytes { cpu.tensor(bytes: $0, dtype: type, shape: [4, k], owner: nil) }
            for bad in [Float.nan, .infinity] {
                var x = (0..<k).map { _ in random.float(-1...1) }
                x[37] = bad
                let out = cpu.floats(cpu.linear(cpu.tensor(x, shape: [1, k]), weight: w, bias: nil))
                XCTAssertTrue(out.allSatisfy(\.isNaN), "\(type), \(bad): \(out)")
            }
        }
    }
}
