// Large host blocks are reused for the next tensor of the same size (no fresh pages for the
// kernel to zero), and a reused block still gives `zeros` zeros.
import XCTest
@testable import AfinaTensor

final class HostBlockPoolTests: XCTestCase {
    func testALargeFreedBlockIsReusedAndZerosAreStillZeros() {
        let backend = CPUBackend()
        let shape = [1024, 700]          // 2.7 MiB, above the pool's 1 MiB floor
        var first: Tensor? = backend.uninitialized(shape)
        let address = first!.host.pointer
        first!.f32.update(repeating: 7, count: 1024 * 700)
        first = nil
        let reused = backend.uninitialized(shape)
        XCTAssertEqual(reused.host.pointer, address, "the freed block comes back for the same size")
        reused.f32.update(repeating: 3, count: 1024 * 700)
        let reusedAddress = reused.host.pointer
        _ = consume reused
        let zeros = backend.zeros(shape)
        XCTAssertEqual(zeros.host.pointer, reusedAddress)
        XCTAssertTrue(backend.floats(zeros).allSatisfy { $0 == 0 })
    }
}
