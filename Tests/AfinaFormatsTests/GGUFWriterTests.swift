// GGUFWriter against GGUFFile: what is written reads back exactly (every metadata value
// type, tensor bytes, alignment), and bad input is refused with an error naming the file.
import AfinaTensor
import Foundation
import XCTest
@testable import AfinaFormats

final class GGUFWriterTests: XCTestCase {
    let everyValueType: [(key: String, value: GGUFValue)] = [
        ("general.architecture", .string("llama")), ("u8", .uint8(200)), ("i8", .int8(-100)), ("u16", .uint16(60000)),
        ("i16", .int16(-30000)), ("u32", .uint32(4_000_000_000)), ("i32", .int32(-2_000_000_000)),
        ("f32", .float32(-0.15625)), ("bool", .bool(true)), ("string", .string("héllo {{ messages }}")),
        ("u64", .uint64(.max)), ("i64", .int64(.min)), ("f64", .float64(.pi)),
        ("strings", .array([.string("Ġthe"), .string(""), .string("<|im_end|>")])),
        ("nested", .array([.array([.int32(1), .int32(2)]), .array([.int32(3)])])), ("empty", .array([])),
    ]

    func testEveryMetadataTypeAndTensorReadsBackExactly() throws {
        let dir = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("model.gguf")
        let f32: [Float] = (0..<6).map { Float($0) * 0.1 - 0.2 }
        let f16: [UInt8] = Quant.quantize((0..<5).map { Float($0) / 3 }, as: .f16)
        let q8: [UInt8] = Quant.quantize((0..<64).map { sin(Float($0)) }, as: .q8_0)
        let tensors = [
            GGUFWriter.Tensor(name: "a.weight", dtype: .f32, shape: [2, 3]) { Quant.quantize(f32, as: .f32) },
            GGUFWriter.Tensor(name: "b.weight", dtype: .q8_0, shape: [2, 32]) { q8 },
            GGUFWriter.Tensor(name: "c", dtype: .f16, shape: [5]) { f16 },
        ]
        try GGUFWriter.write(metadata: everyValueType, tensors: tensors, to: url)

        let file = try GGUFFile(url: url)
        XCTAssertEqual(file.version, 3)
        XCTAssertEqual(file.metadata.count, everyValueType.count)
        for (key, value) in everyValueType { XCTAssertEqual(file.metadata[key], value, key) }
        XCTAssertEqual(file.tensors.map(\.name), ["a.weight", "b.weight", "c"])
        XCTAssertEqual(file.tensors.map(\.shape), [[2, 3], [2, 32], [5]])
        XCTAssertEqual(file.tensors.map(\.ne), [[3, 2], [32, 2], [5]])
        XCTAssertEqual(file.tensors.map(\.dtype), [.f32, .q8_0, .f16])
        XCTAssertTrue(file.tensors.allSatisfy { $0.offset % 32 == 0 })
        XCTAssertEqual(Array(file.data(for: file.tensors[0])), Quant.quantize(f32, as: .f32))
        XCTAssertEqual(Array(file.data(for: file.tensors[1])), q8)
        XCTAssertEqual(Array(file.data(for: file.tensors[2])), f16)
    }

    func testTheFileMatchesGGUFPysLayout() throws {
        // gguf-py's GGUFWriter writes the header, pads it to 32, then each tensor padded to 32.
        let dir = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("small.gguf")
        try GGUFWriter.write(metadata: [("k", .uint8(1))],
                             tensors: [GGUFWriter.Tensor(name: "t", dtype: .f32, shape: [3]) { [UInt8](repeating: 7, count: 12) }],
                             to: url)
        let bytes = [UInt8](try Data(contentsOf: url))
        // magic, version, counts (24); key "k", type, u8 (14); name "t", n_dims, ne, type, offset (33).
        let header = 24 + 14 + 33
        XCTAssertEqual(header, 71)
        XCTAssertEqual(Array(bytes[0..<4]), Array("GGUF".utf8))
        XCTAssertEqual(bytes.count, 128, "71 header bytes padded to 96, then 12 data bytes padded to 32")
        XCTAssertEqual(Array(bytes[96..<108]), [UInt8](repeating: 7, count: 12))
        XCTAssertEqual(Array(bytes[71..<96] + bytes[108...]), [UInt8](repeating: 0, count: 25 + 20))
    }

    func testBadInputIsRefusedAndLeavesNoFile() throws {
        let dir = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("bad.gguf")
        let one = GGUFWriter.Tensor(name: "t", dtype: .f32, shape: [1]) { [0, 0, 0, 0] }
        assertFormatError(try GGUFWriter.write(metadata: [("k", .uint8(1)), ("k", .uint8(2))], tensors: [], to: url),
                          names: url, "'k' twice")
        assertFormatError(try GGUFWriter.write(metadata: [("k", .array([.uint8(1), .string("x")]))], tensors: [], to: url),
                          names: url, "mixes uint8 and string")
        assertFormatError(try GGUFWriter.write(metadata: [], tensors: [one, one], to: url), names: url, "two tensors named 't'")
        assertFormatError(try GGUFWriter.write(metadata: [], tensors: [
            GGUFWriter.Tensor(name: "q", dtype: .q4_0, shape: [2, 48]) { [] }], to: url), names: url, "whole blocks")
        assertFormatError(try GGUFWriter.write(metadata: [], tensors: [
            GGUFWriter.Tensor(name: "short", dtype: .f32, shape: [2]) { [0, 0, 0, 0] }], to: url),
                          names: url, "'short' has 4 bytes")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [])
    }
}
