// Every committed fuzz input (the seeds, and each input that once crashed a reader: see
// scripts/fuzz.sh) runs through its target again: no crash, no hang, no runaway allocation.
@testable import afina_fuzz
import Foundation
import XCTest

final class FuzzRegressionTests: XCTestCase {
    func testEveryCommittedInputRunsThroughItsTarget() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/fuzz")
        for target in FuzzTarget.allCases {
            let folder = root.appendingPathComponent(target.rawValue)
            let inputs = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            XCTAssertFalse(inputs.isEmpty, "no inputs for \(target)")
            for input in inputs {
                target.run(try Data(contentsOf: input))
            }
        }
    }
}
