// The int16 prefill product (Sources/CAfinaKernels/quant_gemm_int16.c) through `linear`: each
// output against the reference dot in Double with x rounded to int16 per 64 values (the mins
// meeting the exact x), within the float forms' 1e-6 * sum |w x| (KQuantDotTests), and the
// exact float dot within the rounding's own bound.
import XCTest
@testable import AfinaTensor

final class Int16ProductTests: XCTestCase {
    typealias K = KQuantDotTests

    /// Tokens past a whole tile of 32 and weight rows past a whole group of 6, on every core;
    /// 2,304 values: two spans of k (2,048 and 256).
    func testProductsMatchTheReferenceWithRoundedActivations() throws {
        try XCTSkipUnless(CPUBackend.multipliesInInt16(.q4_K), "the int16 product needs AVX-512 VNNI")
        let cpu = CPUBackend()
        var random = K.Random(state: 17)
        for type in [DType.q4_K, .q6_K] {
          for (n, m, k) in [(5, 7, 256), (37, 13, 768), (70, 41, 512), (33, 6, 2304)] {
            let bytes = K.randomBlocks(type, m * k / 256, &random)
            var x = (0..<(n * k)).map { _ in random.float(-3...3) }
            for l in 64..<128 { x[l] = 0 }  // a 64-value block of zeros: scale 0
            let w = bytes.withUnsafeBytes { cpu.tensor(bytes: $0, dtype: type, shape: [m, k], owner: nil) }
            let out = cpu.floats(cpu.linear(cpu.tensor(x, shape: [n, k]), weight: w, bias: nil))
            let rowBytes = k / 256 * type.bytesPerBlock
            for t in 0..<n {
                let xRow = Array(x[(t * k)..<((t + 1) * k)]), rounded = K.roundedToInt16(xRow, block: 64)
                for j in 0..<m {
                    let row = Array(bytes[(j * rowBytes)..<((j + 1) * rowBytes)])
                    let (wq, mins) = K.weightsAndMins(type, row)
                    var terms: [Double] = []
                    for l in 0..<k { terms += [(wq[l] + mins[l]) * Double(rounded[l]), -mins[l] * Double(xRow[l])] }
                    let expected = terms.reduce(0, +), magnitude = terms.map(abs).reduce(0, +)
                    let actual = Double(out[t * m + j])
                    XCTAssertLessThanOrEqual(abs(actual - expected), 1e-6 * magnitude, "\(type) \(n)x\(m)x\(k), token \(t), row \(j)")
                    let (exact, exactMagnitude) = K.referenceDot(type, row, xRow)
                    XCTAssertLessThanOrEqual(abs(actual - exact), K.int16RoundingBound(type, row, xRow, block: 64) + 1e-6 * exactMagnitude)
                }
            }
          }
        }
    }

    /// A NaN or an infinity in a token's activations makes that token's outputs non-finite, as
    /// in float (a NaN block's scale is NaN), and leaves the other tokens' outputs alone.
    func testNaNAndInfinityStayInTheirToken() throws {
        try XCTSkipUnless(CPUBackend.multipliesInInt16(.q4_K), "the int16 product needs AVX-512 VNNI")
        let cpu = CPUBackend()
        var random = K.Random(state: 23)
        let (n, m, k) = (40, 7, 512)
        for type in [DType.q4_K, .q6_K] {
            let bytes = K.randomBlocks(type, m * k / 256, &random)
            let w = bytes.withUnsafeBytes { cpu.tensor(bytes: $0, dtype: type, shape: [m, k], owner: nil) }
            var x = (0..<(n * k)).map { _ in random.float(-1...1) }
            x[3 * k + 37] = .nan
            x[33 * k + 300] = .infinity
            let out = cpu.floats(cpu.linear(cpu.tensor(x, shape: [n, k]), weight: w, bias: nil))
            for t in 0..<n {
                let row = out[(t * m)..<((t + 1) * m)]
                if t == 3 || t == 33 {
                    XCTAssertFalse(row.contains { $0.isFinite }, "\(type), token \(t): \(row)")
                } else {
                    XCTAssertTrue(row.allSatisfy(\.isFinite), "\(type), token \(t)")
                }
            }
        }
    }

    /// Every weight and activation at its largest: each int32 lane then holds 64 * 945 * 32767
    /// (Q4_K) or 16 * 4096 * 32767 (Q6_K), just under 2^31, before it is folded into float.
    func testLargestProductsDoNotOverflow() throws {
        try XCTSkipUnless(CPUBackend.multipliesInInt16(.q4_K), "the int16 product needs AVX-512 VNNI")
        let cpu = CPUBackend()
        let (n, m, k) = (9, 2, 512)
        var q4 = [UInt8](repeating: 0xFF, count: DType.q4_K.bytesPerBlock)  // quants 15, scales 63
        (q4[0], q4[1], q4[2], q4[3]) = (0x00, 0x3C, 0x00, 0x00)             // d = 1, dmin = 0
        var q6 = [UInt8](repeating: 0, count: DType.q6_K.bytesPerBlock)     // quants 0 - 32
        for i in 192..<208 { q6[i] = 0x80 }                                  // scales -128
        (q6[208], q6[209]) = (0x00, 0x3C)                                    // d = 1
        for (type, block, weight) in [(DType.q4_K, q4, Float(945)), (.q6_K, q6, 4096)] {
            let bytes = Array([[UInt8]](repeating: block, count: m * k / 256).joined())
            let w = bytes.withUnsafeBytes { cpu.tensor(bytes: $0, dtype: type, shape: [m, k], owner: nil) }
            let x = cpu.tensor([Float](repeating: -2, count: n * k), shape: [n, k])
            XCTAssertEqual(cpu.floats(cpu.linear(x, weight: w, bias: nil)), [Float](repeating: -2 * weight * Float(k), count: n * m), "\(type)")
        }
    }
}
