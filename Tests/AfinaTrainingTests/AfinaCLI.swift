// The built `afina` command, for tests that run it as a process. `swift test` builds it into
// the same folder as the test bundle, whatever the build path (--scratch-path included).
import Foundation
import XCTest

final class AfinaCLI {
    /// A process that will run `afina arguments`; the caller sets its outputs and starts it.
    static func process(_ arguments: [String]) throws -> Process {
        // The test bundle is the products folder itself on Linux (an executable's bundle is
        // its folder) and an .xctest folder inside it on macOS.
        let products = Bundle(for: AfinaCLI.self).bundleURL
        let binary = [products, products.deletingLastPathComponent()].map { $0.appendingPathComponent("afina") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
        guard let binary else { throw XCTSkip("build the CLI first: swift build --product afina") }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        return process
    }
}
