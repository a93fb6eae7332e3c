// The command line's shared options, checked on the built `afina`: every command that loads a
// model offers --backend, and an unknown backend stops it before anything loads; the
// benchmarks run on every family that trains.
import Foundation
import XCTest

final class CommandLineTests: XCTestCase {
    /// Runs `afina arguments` to the end: its exit status and everything it printed.
    func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = try AfinaCLI.process(arguments)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    func testCommandsThatLoadAModelOfferTheBackendOption() throws {
        for command in [["generate"], ["train"], ["bench", "train"], ["bench", "encode"], ["student", "init"], ["distill", "cache"]] {
            let (status, help) = try run(command + ["--help"])
            XCTAssertEqual(status, 0, "\(command)")
            XCTAssertTrue(help.contains("--backend <name>") && help.contains("Where models run: cpu"), "\(command): \(help)")
        }
        XCTAssertFalse(try run(["info", "--help"]).output.contains("--backend"), "info reads metadata only")
    }

    func testAnUnknownBackendIsRefusedWithTheKnownOnes() throws {
        let (status, output) = try run(["generate", "--backend", "tpu", "--prompt", "hi"])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(output.contains("unknown backend 'tpu' (known: cpu)"), output)
    }

    /// `bench train` trains an encoder as a two-label classifier and T5 with adapters on its own
    /// module names; `bench encode` runs an encoder; each prints its JSON line. What an encoder
    /// cannot train is refused with the reason.
    func testBenchmarksRunOnEncodersAndEncoderDecoders() throws {
        let t5 = FileManager.default.temporaryDirectory.appendingPathComponent("afina-bench-t5-\(UUID())")
        try FileManager.default.createDirectory(at: t5, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: t5) }
        for file in ["models/t5-v1_1/config.json", "models/t5-v1_1/model.safetensors", "tokenizer/t5/tokenizer.json"] {
            let source = fixtureRoot.appendingPathComponent(file)
            try FileManager.default.copyItem(at: source, to: t5.appendingPathComponent(source.lastPathComponent))
        }
        let bert = fixtureRoot.appendingPathComponent("models/bert-base").path
        let shape = ["--batch", "2", "--sequence-length", "8", "--steps", "1", "--json"]
        for arguments in [["bench", "train", "--model", bert, "--method", "full"], ["bench", "train", "--model", bert],
                          ["bench", "encode", "--model", bert], ["bench", "train", "--model", t5.path]] {
            let (status, output) = try run(arguments + shape)
            XCTAssertEqual(status, 0, "\(arguments): \(output)")
            let line = try XCTUnwrap(output.split(separator: "\n").last, "\(arguments)")
            let result = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(arguments)")
            XCTAssertGreaterThan(result["tokens_per_second"] as? Double ?? 0, 0, "\(arguments)")
        }
        for (arguments, message) in [(["--method", "qlora"] + shape, "encoders load float weights: use --method full or lora"),
                                     (["--sequence-length", "41"], "--sequence-length 41 is past the model's 40 positions")] {
            let (status, output) = try run(["bench", "train", "--model", bert] + arguments)
            XCTAssertNotEqual(status, 0, "\(arguments)")
            XCTAssertTrue(output.contains(message), output)
        }
    }
}
