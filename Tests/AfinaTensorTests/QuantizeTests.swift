// Quantization to F16, Q8_0 and Q4_0 against gguf-py's `gguf.quants.quantize` (which mirrors
// ggml's reference quantizers); fixture: scripts/make_export_fixtures.py. Bytes must match.
import Foundation
import XCTest
import AfinaTensor

final class QuantizeTests: XCTestCase {
    static let types: [DType] = [.f16, .q8_0, .q4_0]

    /// The float32 input and gguf-py's bytes for each of `types`.
    func fixture() throws -> (input: [Float], encoded: [DType: [UInt8]]) {
        let data = try Data(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/export/quantize.bin").standardized)
        let bytesPerValue = 4 + Self.types.map { Double($0.bytesPerBlock) / Double($0.blockSize) }.reduce(0, +)
        let count = Int(Double(data.count) / bytesPerValue)
        var offset = 4 * count
        let input = data[..<offset].withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        var encoded: [DType: [UInt8]] = [:]
        for type in Self.types {
            let size = type.byteCount(elements: count)!
            encoded[type] = Array(data[offset..<offset + size])
            offset += size
        }
        XCTAssertEqual(offset, data.count, "fixture size")
        return (input, encoded)
    }

    func testQuantizersMatchGGUFPyByteForByte() throws {
        let (input, expected) = try fixture()
        for type in Self.types {
            let actual = Quant.quantize(input, as: type)
            let firstBlock = zip(actual, expected[type]!).enumerated().first { $1.0 != $1.1 }.map { $0.offset / type.bytesPerBlock }
            XCTAssertEqual(actual, expected[type], "\(type): first differing block \(firstBlock ?? -1)")
        }
    }

    func testRequantizingDequantizedBlocksGivesTheSameBytes() throws {
        let (input, _) = try fixture()
        for type in [DType.q8_0, .q4_0] {
            let blocks = Quant.quantize(input, as: type)
            let values = blocks.withUnsafeBytes { Quant.dequantize(type, $0) }
            let again = Quant.quantize(values, as: type)
            for b in 0..<input.count / 32 {
                let range = b * type.bytesPerBlock..<(b + 1) * type.bytesPerBlock
                // A scale that rounds to zero in f16 dequantizes to zeros, which requantize to zeros.
                let scale = blocks.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: range.lowerBound, as: Float16.self) }
                if scale == 0 { continue }
                XCTAssertEqual(again[range], blocks[range], "\(type) block \(b)")
            }
        }
    }

    func testDequantizedValuesAreWithinTheFormatsError() throws {
        let (input, _) = try fixture()
        // Rounding to a step d costs half a step; storing d as f16 (relative error 2^-11, or
        // 2^-25 absolute when subnormal) costs |q| times that. Q4_0 maps the block's extreme
        // to -8 and clips +8 to +7, so a value opposite the extreme can be a whole step off.
        for (type, steps, rounding) in [(DType.q8_0, Float(127), Float(0.5)), (.q4_0, 8, 1)] {
            let values = Quant.quantize(input, as: type).withUnsafeBytes { Quant.dequantize(type, $0) }
            for block in 0..<input.count / 32 {
                let range = block * 32..<block * 32 + 32
                let d = input[range].map(abs).max()! / steps
                let bound = d * (rounding + steps / 2048) + steps * 0x1p-25
                let worst = range.map { abs(values[$0] - input[$0]) }.max()!
                XCTAssertLessThanOrEqual(worst, bound, "\(type) block \(block)")
            }
        }
    }

    func testF32IsStoredAsIs() {
        let values: [Float] = [1, -0.0, .pi, Float(bitPattern: 0x0001_16C2)]   // the last one subnormal
        let bytes = Quant.quantize(values, as: .f32)
        XCTAssertEqual(bytes.withUnsafeBytes { Quant.dequantize(.f32, $0) }.map(\.bitPattern), values.map(\.bitPattern))
    }
}
