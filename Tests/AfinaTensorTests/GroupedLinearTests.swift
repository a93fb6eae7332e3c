// Decoding's grouped products (CPUBackend.linear(_:weights:): q, k and v, or gate and up, in
// one hand-off to the cores) against one `linear` per weight: the same bits, since each output
// is the same dot product either way.
import XCTest
@testable import AfinaTensor

final class GroupedLinearTests: XCTestCase {
    func testGroupedProductsGiveEachProductsBits() {
        let cpu = CPUBackend()
        var random = KQuantDotTests.Random(state: 29)
        let k = 512
        func quantized(_ type: DType, _ rows: Int) -> Tensor {
            let bytes = KQuantDotTests.randomBlocks(type, rows * k / 256, &random)
            return bytes.withUnsafeBytes { cpu.tensor(bytes: $0, dtype: type, shape: [rows, k], owner: nil) }
        }
        // Row counts that cut the cores' slices inside each weight; a float weight between two
        // quantized ones; biases on two of three.
        let weights: [(weight: Tensor, bias: Tensor?)] = [
            (quantized(.q4_K, 301), cpu.tensor((0..<301).map { _ in random.float(-1...1) }, shape: [301])),
            (cpu.tensor((0..<(70 * k)).map { _ in random.float(-1...1) }, shape: [70, k]), nil),
            (quantized(.q6_K, 41), cpu.tensor((0..<41).map { _ in random.float(-1...1) }, shape: [41])),
        ]
        for n in 1...4 {
            let x = cpu.tensor((0..<(n * k)).map { _ in random.float(-2...2) }, shape: [n, k])
            let grouped = cpu.linear(x, weights: weights)
            for (i, (w, out)) in zip(weights, grouped).enumerated() {
                XCTAssertEqual(out.shape, [n, w.weight.rows])
                XCTAssertEqual(cpu.floats(out).map(\.bitPattern), cpu.floats(cpu.linear(x, weight: w.weight, bias: w.bias)).map(\.bitPattern),
                               "\(n) rows, weight \(i)")
            }
        }
    }
}
