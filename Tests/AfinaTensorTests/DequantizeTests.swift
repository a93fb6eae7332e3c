// Dequantization of every DType against gguf-py's `gguf.quants.dequantize` on random blocks
// (fixtures: scripts/make_quant_fixtures.py). Tolerance: none, results must be bit-identical.
import Foundation
import XCTest
import AfinaTensor

final class DequantizeTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/quant").standardized

    /// (block bytes, expected float32 values) from `<TYPE>.bin`.
    func fixture(_ type: DType) throws -> (blocks: [UInt8], expected: [Float]) {
        let data = try Data(contentsOf: Self.fixtures.appendingPathComponent("\(type).bin"))
        let perBlock = type.bytesPerBlock + 4 * type.blockSize
        XCTAssertEqual(data.count % perBlock, 0, "\(type).bin size")
        let split = data.count / perBlock * type.bytesPerBlock
        let expected = data[split...].withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        return (Array(data[..<split]), expected)
    }

    func testEveryTypeMatchesGGUFPyBitForBit() throws {
        for type in DType.allCases {
            let (blocks, expected) = try fixture(type)
            let actual = blocks.withUnsafeBytes { Quant.dequantize(type, $0) }
            XCTAssertEqual(actual.count, expected.count, "\(type) element count")
            let mismatches = zip(actual, expected).enumerated().filter { $1.0.bitPattern != $1.1.bitPattern }
            XCTAssertTrue(mismatches.isEmpty, "\(type): \(mismatches.count) values differ, first at "
                + "\(mismatches.first.map { "\($0.offset): \($0.element.0) vs \($0.element.1)" } ?? "")")
        }
    }

    func testUnalignedSourceGivesTheSameValues() throws {
        for type in DType.allCases {
            let (blocks, expected) = try fixture(type)
            let shifted = [UInt8](repeating: 0, count: 3) + blocks
            let actual = [Float](unsafeUninitializedCapacity: expected.count) { out, n in
                shifted.withUnsafeBytes {
                    Quant.dequantize(type, $0.baseAddress! + 3, into: out.baseAddress!, count: expected.count)
                }
                n = expected.count
            }
            XCTAssertEqual(actual.map(\.bitPattern), expected.map(\.bitPattern), "\(type) from an odd address")
        }
    }
}
