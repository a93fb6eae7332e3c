// The int16 prefill product (Sources/CAfinaKernels/quant_gemm_int16.c) through `linear`: each
// output against the reference dot in Double with x rounded to int16 per 64 values (the mins
// meeting the exact x), within the float forms' 1e-6 * sum |w x| (KQuantDotTests), and the
// exact float dot within the rounding's own bound.
import XCTest
@testable import AfinaTensor

final class Int16ProductTests: XCTestCase {
    typealias K = KQuantDotTests

    /// Tokens past a whole tile of 32 and weight rows past a whole group of 6, on every core.
    func testQ4KProductMatchesTheReferenceWithRoundedActivations() throws {
        try XCTSkipUnless(CPUBackend.multipliesInInt16(.q4_K), "the int16 product needs AVX-512 VNNI")
        let cpu = CPUBackend()
        var random = K.Random(state: 17)
        for (n, m, k) in [(5, 7, 256), (37, 13, 768), (70, 41, 512)] {
            let bytes = K.randomBlocks(.q4_K, m * k / 256, &random)
            var x = (0..<(n * k)).map { _ in random.float(-3...3) }
            for l in 64..<128 { x[l] = 0 }  // a 64-value block of zeros: scale 0
            let w = bytes.withUnsafeBytes { cpu.tensor(bytes: $0, dtype: .q4_K, shape: [m, k], owner: nil) }
            let out = cpu.floats(cpu.linear(cpu.tensor(x, shape: [n, k]), weight: w, bias: nil))
            let rowBytes = k / 256 * DType.q4_K.bytesPerBlock
            for t in 0..<n {
                let xRow = Array(x[(t * k)..<((t + 1) * k)]), rounded = K.roundedToInt16(xRow, block: 64)
                for j in 0..<m {
                    let row = Array(bytes[(j * rowBytes)..<((j + 1) * rowBytes)])
                    let (wq, mins) = K.weightsAndMins(.q4_K, row)
                    var terms: [Double] = []
                    for l in 0..<k { terms += [(wq[l] + mins[l]) * Double(rounded[l]), -mins[l] * Double(xRow[l])] }
                    let expected = terms.reduce(0, +), magnitude = terms.map(abs).reduce(0, +)
                    let actual = Double(out[t * m + j])
                    XCTAssertLessThanOrEqual(abs(actual - expected), 1e-6 * magnitude, "\(n)x\(m)x\(k), token \(t), row \(j)")
                    let (exact, exactMagnitude) = K.referenceDot(.q4_K, row, xRow)
                    XCTAssertLessThanOrEqual(abs(actual - exact), K.int16RoundingBound(.q4_K, row, xRow, block: 64) + 1e-6 * exactMagnitude)
                }
            }
        }
    }

    /// Every quant and scale at its largest and every activation at full scale: each int32 lane
    /// then holds 64 * 945 * 32767, just under 2^31, before it is folded into float.
    func testLargestProductsDoNotOverflow() throws {
        try XCTSkipUnless(CPUBackend.multipliesInInt16(.q4_K), "the int16 product needs AVX-512 VNNI")
        let cpu = CPUBackend()
        let (n, m, k) = (9, 2, 512)
        var block = [UInt8](repeating: 0xFF, count: DType.q4_K.bytesPerBlock)
        (block[0], block[1], block[2], block[3]) = (0x00, 0x3C, 0x00, 0x00)  // d = 1, dmin = 0
        let bytes = Array([[UInt8]](repeating: block, count: m * k / 256).joined())
        let w = bytes.withUnsafeBytes { cpu.tensor(bytes: $0, dtype: .q4_K, shape: [m, k], owner: nil) }
        let out = cpu.floats(cpu.linear(cpu.tensor([Float](repeating: -2, count: n * k), shape: [n, k]), weight: w, bias: nil))
        XCTAssertEqual(out, [Float](repeating: -2 * 945 * Float(k), count: n * m))
    }
}
