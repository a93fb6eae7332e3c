// Backends chosen by name: every known name makes a working backend of that name with the
// precision asked for (where the hardware has it), and an unknown name is refused with the
// known ones listed.
import XCTest
@testable import AfinaTensor

final class BackendKindTests: XCTestCase {
    func testEveryKnownNameMakesABackendOfThatName() throws {
        for kind in BackendKind.allCases {
            XCTAssertEqual(try BackendKind(name: kind.rawValue), kind)
            let backend = try kind.makeBackend()
            XCTAssertEqual(backend.name, kind.rawValue)
            XCTAssertEqual(backend.precision, .fp32)
            XCTAssertEqual(try kind.makeBackend(precision: .bf16).precision, ProductPrecision.bf16.available)
            let sum = backend.add(backend.tensor([1, 2], shape: [2]), backend.tensor([3, 4], shape: [2]))
            XCTAssertEqual(backend.floats(sum), [4, 6])
        }
    }

    func testAnUnknownNameIsRefusedWithTheKnownOnes() {
        XCTAssertThrowsError(try BackendKind(name: "tpu")) { error in
            XCTAssertEqual(error as? UnknownBackendError, UnknownBackendError(name: "tpu"))
            XCTAssertEqual("\(error)", "unknown backend 'tpu' (known: cpu)")
        }
        XCTAssertThrowsError(try BackendKind(name: "CPU"), "names are exact, as in the config")
    }
}
