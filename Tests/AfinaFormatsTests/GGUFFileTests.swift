// The GGUF reader on a tiny file written by gguf-py's GGUFWriter
// (fixture: scripts/make_quant_fixtures.py), then on damaged copies of it: every error must
// name the file and say what is wrong, and no input may crash the reader.
import AfinaTensor
import Foundation
import XCTest
@testable import AfinaFormats

final class GGUFFileTests: XCTestCase {
    let tiny = formatFixtures.appendingPathComponent("tiny.gguf")
    var scratch: URL!

    override func setUpWithError() throws { scratch = try makeScratchDirectory() }
    override func tearDownWithError() throws { try FileManager.default.removeItem(at: scratch) }

    func tinyBytes() throws -> [UInt8] { [UInt8](try Data(contentsOf: tiny)) }

    /// `bytes` written to a scratch file named "damaged.gguf".
    func damaged(_ bytes: [UInt8]) throws -> URL {
        let url = scratch.appendingPathComponent("damaged.gguf")
        try Data(bytes).write(to: url)
        return url
    }

    func testTinyFileMetadataReadsExactly() throws {
        let file = try GGUFFile(url: tiny)
        XCTAssertEqual(file.version, 3)
        XCTAssertEqual(file.alignment, 64)
        XCTAssertEqual(file.architecture, "tiny")
        XCTAssertEqual(try file.string("general.name"), "tiny test model")
        XCTAssertEqual(file.metadata["tiny.u8"], .uint8(200))
        XCTAssertEqual(file.metadata["tiny.i8"], .int8(-5))
        XCTAssertEqual(file.metadata["tiny.u16"], .uint16(60000))
        XCTAssertEqual(file.metadata["tiny.i16"], .int16(-300))
        XCTAssertEqual(file.metadata["tiny.i32"], .int32(-70000))
        XCTAssertEqual(file.metadata["tiny.u64"], .uint64(1 << 40))
        XCTAssertEqual(file.metadata["tiny.i64"], .int64(-(1 << 40)))
        XCTAssertEqual(file.metadata["tiny.f64"], .float64(0.125))
        XCTAssertEqual(try file.int("tiny.context_length"), 128)
        XCTAssertEqual(try file.int("tiny.i64"), -(1 << 40))
        XCTAssertEqual(try file.float("tiny.f32"), 0.5)
        XCTAssertEqual(try file.bool("tiny.flag"), true)
        XCTAssertEqual(try file.stringArray("tokenizer.ggml.tokens"), ["<s>", "hello", "wörld", ""])
        XCTAssertEqual(try file.intArray("tiny.ints"), [3, -1, 4])
        XCTAssertEqual(try file.floatArray("tiny.floats"), [0.5, -1.25])
        XCTAssertEqual(file.metadata["tiny.nested"]?.array?.map(\.intArray), [[1, 2], [3]])
        XCTAssertEqual(file.metadata["tiny.nested"]?.typeName, "array of array of int32")
    }

    func testTinyFileTensorsReadExactly() throws {
        let file = try GGUFFile(url: tiny)
        XCTAssertEqual(file.tensors.map(\.name), ["f32.weight", "q8.weight", "f16.bias"])
        XCTAssertEqual(file.tensors.map(\.ne), [[3, 2], [64, 2], [5]])
        XCTAssertEqual(file.tensors.map(\.shape), [[2, 3], [2, 64], [5]])
        XCTAssertEqual(file.tensors.map(\.dtype), [.f32, .q8_0, .f16])
        XCTAssertEqual(file.tensors.map(\.byteCount), [24, 136, 10])
        XCTAssertTrue(file.tensors.allSatisfy { $0.offset % 64 == 0 })

        func values(_ i: Int) -> [Float] { Quant.dequantize(file.tensors[i].dtype, file.data(for: file.tensors[i])) }
        XCTAssertEqual(values(0), [-1, -0.5, 0, 0.5, 1, 1.5])
        // The script's Q8_0 values: q * 0.25 with q = i * 37 mod 255 - 127, and +-127 at each block start.
        let q8 = (0..<128).map { (i: Int) -> Float in
            let q = i % 32 != 0 ? i * 37 % 255 - 127 : i / 32 % 2 == 0 ? 127 : -127
            return Float(q) * 0.25
        }
        XCTAssertEqual(values(1), q8)
        XCTAssertEqual(values(2).map(\.bitPattern), [Float(1), -2, 0.5, 65504, -0.0].map(\.bitPattern))
    }

    func testMissingAndMistypedKeysNameTheKey() throws {
        let file = try GGUFFile(url: tiny)
        assertFormatError(try file.int("tiny.block_count"), names: tiny, "metadata key 'tiny.block_count' is missing")
        assertFormatError(try file.int("general.name"), names: tiny, "'general.name' is string, expected an integer")
        assertFormatError(try file.stringArray("tiny.ints"), names: tiny,
                          "is array of int32, expected an array of strings")
    }

    func testWrongMagicIsNotAGGUFFile() throws {
        var bytes = try tinyBytes()
        bytes.replaceSubrange(0..<4, with: Array("GGUG".utf8))
        let url = try damaged(bytes)
        assertFormatError(try GGUFFile(url: url), names: url, "not a GGUF file (magic 0x47554747, expected 'GGUF')")
        let empty = try damaged([])
        assertFormatError(try GGUFFile(url: empty), names: empty, "not a GGUF file (only 0 bytes)")
    }

    func testUnsupportedVersionsAreRejected() throws {
        for (version, message) in [(1, "GGUF version 1 is not supported"), (4, "unsupported GGUF version 4"),
                                   (0x0300_0000, "big-endian GGUF is not supported")] {
            var bytes = try tinyBytes()
            bytes.patch(UInt32(version), at: 4)
            let url = try damaged(bytes)
            assertFormatError(try GGUFFile(url: url), names: url, message)
        }
    }

    func testEveryTruncationBeforeTheLastTensorEndsThrowsAnErrorNamingTheFile() throws {
        let bytes = try tinyBytes()
        let end = try GGUFFile(url: tiny).tensors.map { $0.offset + $0.byteCount }.max()!
        XCTAssertEqual(end, 1098)  // then padding to the alignment, which may go
        for cut in 0..<end {
            let url = try damaged(Array(bytes[..<cut]))
            assertFormatError(try GGUFFile(url: url), names: url, context: "cut at \(cut)")
        }
        let url = try damaged(Array(bytes[..<(end - 1)]))
        assertFormatError(try GGUFFile(url: url), names: url,
                          "truncated: tensor 'f16.bias' data ends at byte 1098 but the file has 1097 bytes")
        XCTAssertNoThrow(try GGUFFile(url: try damaged(Array(bytes[..<end]))))
    }

    func testTensorDataPastTheEndIsTruncation() throws {
        var bytes = try tinyBytes()
        let info = try XCTUnwrap(bytes.offset(after: "f16.bias"))  // u32 dims, u64 ne0, u32 type, u64 offset
        bytes.patch(UInt64(4096), at: info + 16)
        let url = try damaged(bytes)
        assertFormatError(try GGUFFile(url: url), names: url, "truncated: tensor 'f16.bias' data ends at byte 4938",
                          "the file has 1152 bytes")
        bytes.patch(UInt64.max - 63, at: info + 16)
        assertFormatError(try GGUFFile(url: try damaged(bytes)), names: url, "tensor 'f16.bias' data ends beyond")
        bytes.patch(UInt64(8), at: info + 16)
        assertFormatError(try GGUFFile(url: try damaged(bytes)), names: url,
                          "offset 8 is not a multiple of the alignment 64")
    }

    func testUnknownAndUnsupportedTensorTypesAreNamed() throws {
        let info = try XCTUnwrap(try tinyBytes().offset(after: "q8.weight"))  // u32 dims, u64 ne[2], u32 type
        for (type, message) in [(99, "unknown tensor type 99 for tensor 'q8.weight' (supported: F32, F16, Q4_0"),
                                (11, "tensor 'q8.weight' has type Q3_K (11), which Afina cannot read")] {
            var bytes = try tinyBytes()
            bytes.patch(UInt32(type), at: info + 20)
            let url = try damaged(bytes)
            assertFormatError(try GGUFFile(url: url), names: url, message)
        }
    }

    func testRowsThatAreNotWholeBlocksAreRejected() throws {
        var bytes = try tinyBytes()
        let info = try XCTUnwrap(bytes.offset(after: "q8.weight"))
        bytes.patch(UInt64(48), at: info + 4)
        let url = try damaged(bytes)
        assertFormatError(try GGUFFile(url: url), names: url,
                          "rows of 48 elements, not a multiple of the Q8_0 block size 32")
    }

    func testAbsurdCountsAndLengthsAreRejectedBeforeAllocating() throws {
        var bytes = try tinyBytes()
        bytes.patch(UInt64(1) << 60, at: 8)  // tensor count
        let url = try damaged(bytes)
        assertFormatError(try GGUFFile(url: url), names: url, "header claims 1152921504606846976 tensors")

        bytes = try tinyBytes()
        let key = try XCTUnwrap(bytes.offset(after: "general.name"))  // u32 type, u64 string length
        bytes.patch(UInt64.max, at: key + 4)
        assertFormatError(try GGUFFile(url: try damaged(bytes)), names: url,
                          "value of metadata 'general.name'", "claims 18446744073709551615 bytes")

        bytes = try tinyBytes()
        let tokens = try XCTUnwrap(bytes.offset(after: "tokenizer.ggml.tokens"))  // u32 array, u32 string, u64 count
        bytes.patch(UInt64(1) << 62, at: tokens + 8)
        assertFormatError(try GGUFFile(url: try damaged(bytes)), names: url,
                          "header claims 4611686018427387904 elements in metadata 'tokenizer.ggml.tokens'")
        bytes.patch(UInt32(13), at: tokens + 4)
        assertFormatError(try GGUFFile(url: try damaged(bytes)), names: url,
                          "metadata 'tokenizer.ggml.tokens' has unknown value type 13")
    }
}
