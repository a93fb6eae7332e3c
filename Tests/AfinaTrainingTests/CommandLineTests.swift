// The command line's shared options, checked on the built `afina`: every command that loads a
// model offers --backend, and an unknown backend stops it before anything loads.
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
        for command in [["generate"], ["train"], ["bench", "train"], ["student", "init"], ["distill", "cache"]] {
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
}
