// The safetensors reader on a file written by the Python library, the writer against that
// same file byte for byte, a round trip, and damaged headers
// (fixture: scripts/make_quant_fixtures.py).
import AfinaTensor
import Foundation
import XCTest
@testable import AfinaFormats

final class SafetensorsTests: XCTestCase {
    let python = formatFixtures.appendingPathComponent("python.safetensors")
    var scratch: URL!

    override func setUpWithError() throws { scratch = try makeScratchDirectory() }
    override func tearDownWithError() throws { try FileManager.default.removeItem(at: scratch) }

    /// The tensors of python.safetensors, as the script made them.
    let pythonTensors: [SafetensorsWriter.Entry] = [
        ("weight", .f32, [2, 3], bytes([Float(-0.5), -0.25, 0, 0.25, 0.5, 0.75])),
        ("half", .f16, [4], bytes([Float16(1), -2, 0.5, 65504])),
        ("brain", .bf16, [3], bytes([UInt16(0x3F80), 0xC040, 0x7180])),  // 1, -3, 2^100
        ("ids", .i32, [3], bytes([Int32(7), -1, Int32.max])),
    ]

    func floats(_ t: SafetensorsTensor) -> [Float] { Quant.dequantize(t.dtype, t.bytes) }

    func testReadsAFileWrittenByThePythonLibrary() throws {
        let file = try SafetensorsFile(url: python)
        XCTAssertEqual(file.metadata, ["format": "pt"])
        XCTAssertEqual(file.tensorNames, ["brain", "half", "ids", "weight"])
        let weight = try file.tensor(named: "weight")
        XCTAssertEqual(weight.dtype, .f32)
        XCTAssertEqual(weight.shape, [2, 3])
        XCTAssertEqual(floats(weight), [-0.5, -0.25, 0, 0.25, 0.5, 0.75])
        XCTAssertEqual(floats(try file.tensor(named: "half")), [1, -2, 0.5, 65504])
        XCTAssertEqual(floats(try file.tensor(named: "brain")), [1, -3, 0x1p100])
        XCTAssertEqual(Array(try file.tensor(named: "ids").bytes.bindMemory(to: Int32.self)), [7, -1, .max])
        assertFormatError(try file.tensor(named: "missing"), names: python, "no tensor named 'missing'")
    }

    func testWriterReproducesThePythonLibraryByteForByte() throws {
        let url = scratch.appendingPathComponent("swift.safetensors")
        try SafetensorsWriter.write(tensors: pythonTensors, metadata: ["format": "pt"], to: url)
        XCTAssertEqual(try Data(contentsOf: url), try Data(contentsOf: python))
    }

    func testWrittenFileReadsBackExactlyAndNoTemporaryFileRemains() throws {
        let url = scratch.appendingPathComponent("round.safetensors")
        let values = (0..<40).map { Float($0) * 0.37 - 5 }
        let name = "weird \"name\"\\ with ü and \u{01}"
        try SafetensorsWriter.write(tensors: [(name, .f32, [5, 8], bytes(values)), ("empty", .f16, [0, 3], Data())],
                                    metadata: ["note": "line\nbreak", "b": "2"], to: url)
        try SafetensorsWriter.write(tensors: [(name, .f32, [5, 8], bytes(values))], to: url)  // replaces it
        let file = try SafetensorsFile(url: url)
        XCTAssertEqual(file.tensorNames, [name])
        XCTAssertEqual(file.metadata, [:])
        XCTAssertEqual(floats(try file.tensor(named: name)), values)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.path), ["round.safetensors"])
    }

    func testWriterRejectsWhatSafetensorsCannotHold() throws {
        let url = scratch.appendingPathComponent("bad.safetensors")
        assertFormatError(try SafetensorsWriter.write(tensors: [("q", .q8_0, [32], Data(count: 34))], to: url),
                          names: url, "cannot write Q8_0 tensor 'q'")
        assertFormatError(try SafetensorsWriter.write(tensors: [("x", .f32, [3], Data(count: 8))], to: url),
                          names: url, "tensor 'x' has 8 bytes, which does not match F32 [3]")
        assertFormatError(try SafetensorsWriter.write(tensors: [("x", .f32, [1], Data(count: 4)),
                                                                ("x", .f16, [2], Data(count: 4))], to: url),
                          names: url, "two tensors named 'x'")
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
    }

    /// A file made of a header size, a header, and `data`.
    func file(header: String, size: UInt64? = nil, data: Int = 0) throws -> URL {
        var bytes = [UInt8](repeating: 0, count: 8) + Array(header.utf8) + [UInt8](repeating: 0, count: data)
        bytes.patch(size ?? UInt64(header.utf8.count), at: 0)
        let url = scratch.appendingPathComponent("bad.safetensors")
        try Data(bytes).write(to: url)
        return url
    }

    func testBadHeadersAreClearErrors() throws {
        let short = try file(header: "", size: 0)
        try Data([1, 2, 3]).write(to: short)
        assertFormatError(try SafetensorsFile(url: short), names: short, "not a safetensors file (3 bytes")

        let cases: [(String, UInt64?, Int, String)] = [
            ("{}", 1000, 0, "header size 1000 exceeds the file size 10"),
            ("{}", 1 << 40, 0, "exceeds the 100 MB limit"),
            ("{\"a\": ", nil, 0, "the safetensors header is not valid JSON"),
            ("[1, 2]", nil, 0, "the safetensors header is not a JSON object"),
            ("{\"__metadata__\": {\"n\": 1}}", nil, 0, "__metadata__ must map strings to strings"),
            ("{\"a\": {\"dtype\": \"F32\", \"shape\": [2]}}", nil, 8, "header entry for tensor 'a' needs"),
            ("{\"a\": {\"dtype\": \"F32\", \"shape\": [-2], \"data_offsets\": [0, 8]}}", nil, 8, "needs"),
            ("{\"a\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]}}", nil, 8,
             "truncated: tensor 'a' data ends at byte 86 but the file has 78 bytes"),
            ("{\"a\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 8]}}", nil, 8,
             "tensor 'a' (F32 [3]) has 8 bytes of data, which does not match its shape"),
        ]
        for (header, size, data, message) in cases {
            let url = try file(header: header, size: size, data: data)
            assertFormatError(try SafetensorsFile(url: url), names: url, message, context: header)
        }

        let f64Header = "{\"a\": {\"dtype\": \"F64\", \"shape\": [1], \"data_offsets\": [0, 8]}}"
        let f64 = try SafetensorsFile(url: try file(header: f64Header, data: 8))
        XCTAssertEqual(f64.tensorNames, ["a"])
        assertFormatError(try f64.tensor(named: "a"), names: f64.url,
                          "tensor 'a' has dtype F64, which Afina does not read (supported: F32, F16, BF16, I32)")

        let gguf = formatFixtures.appendingPathComponent("tiny.gguf")
        assertFormatError(try SafetensorsFile(url: gguf), names: gguf, "not a safetensors file", "this is a GGUF file")
    }
}

/// The bytes of `values` as `Data`.
func bytes<T>(_ values: [T]) -> Data { values.withUnsafeBytes { Data($0) } }
