// Encoding throughput, run on demand (it needs a release build to mean anything):
//   AFINA_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter TokenizerBenchmarkTests
// The text is AFINA_BENCH_TEXT (a file) or this repository's sources and docs (code and prose).
import AfinaTokenizers
import Foundation
import XCTest

final class TokenizerBenchmarkTests: XCTestCase {
    private func benchmarkText() throws -> String {
        if let path = ProcessInfo.processInfo.environment["AFINA_BENCH_TEXT"] {
            return try String(contentsOfFile: path, encoding: .utf8)
        }
        let root = Fixtures.folder.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var text = ""
        for folder in ["Sources", "Tests", "scripts"] {
            let files = FileManager.default.enumerator(at: root.appendingPathComponent(folder), includingPropertiesForKeys: nil)
            while let url = files?.nextObject() as? URL {
                if ["swift", "py", "md"].contains(url.pathExtension), let body = try? String(contentsOf: url, encoding: .utf8) {
                    text += body
                }
            }
        }
        return text + (try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8))
    }

    func testEncodeThroughput() throws {
        guard ProcessInfo.processInfo.environment["AFINA_BENCH"] == "1" else { throw XCTSkip("set AFINA_BENCH=1") }
        let text = try benchmarkText()
        let megabytes = Double(text.utf8.count) / 1e6
        for model in ["smollm2", "qwen2"] {
            // A fresh tokenizer, so the first pass starts with an empty word cache.
            let tokenizer = try Tokenizer(directory: Fixtures.folder.appendingPathComponent(model))
            for pass in ["cold cache", "warm cache"] {
                let start = Date()
                let ids = tokenizer.encode(text)
                let seconds = Date().timeIntervalSince(start)
                print(String(format: "%@ %@: %.2f MB -> %d ids in %.3f s = %.1f MB/s",
                             model, pass, megabytes, ids.count, seconds, megabytes / seconds))
                XCTAssertEqual(tokenizer.decode(ids), model == "qwen2" ? Fixtures.nfc(text) : text)
            }
        }
    }
}
