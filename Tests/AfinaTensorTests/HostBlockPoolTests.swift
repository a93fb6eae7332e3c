// Large host blocks are reused for the next tensor of the same size (no fresh pages for the
// kernel to zero) once a trainer asks, and a reused block still gives `zeros` zeros.
import XCTest
@testable import AfinaTensor

final class HostBlockPoolTests: XCTestCase {
    func testALargeFreedBlockIsReusedAndZerosAreStillZeros() {
        HostBlockPool.keepFreedBlocks(upTo: HostBlockPool.trainingBytes)  // as trainers do
        defer { HostBlockPool.keepFreedBlocks(upTo: 0) }
        let backend = CPUBackend()
        let shape = [1024, 700]          // 2.7 MiB, above the pool's 256 KiB floor
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

    func testNothingIsKeptUntilATrainerAsks() {
        HostBlockPool.keepFreedBlocks(upTo: 0)  // a process's start: a trainer test may have run before
        let backend = CPUBackend()
        var first: Tensor? = backend.uninitialized([1024, 700])
        first = nil
        XCTAssertEqual(HostBlockPool.heldBytes, 0, "inference hands freed blocks back")
        HostBlockPool.keepFreedBlocks(upTo: HostBlockPool.trainingBytes)
        defer { HostBlockPool.keepFreedBlocks(upTo: 0) }
        first = backend.uninitialized([1024, 700])
        first = nil
        XCTAssertEqual(HostBlockPool.heldBytes, 1024 * 700 * 4)
        HostBlockPool.keepFreedBlocks(upTo: 0)
        XCTAssertEqual(HostBlockPool.heldBytes, 0, "turning the pool off frees what it kept")
        _ = first
    }

    func testABlockLargerThanThePoolDoesNotEvictTheKeptOnes() {
        HostBlockPool.keepFreedBlocks(upTo: 0)
        HostBlockPool.keepFreedBlocks(upTo: 3 << 20)
        defer { HostBlockPool.keepFreedBlocks(upTo: 0) }
        let backend = CPUBackend()
        var kept: Tensor? = backend.uninitialized([1024, 700])      // 2.7 MiB: fits
        var large: Tensor? = backend.uninitialized([1024, 1024])    // 4 MiB: does not
        kept = nil
        large = nil
        XCTAssertEqual(HostBlockPool.heldBytes, 1024 * 700 * 4)
        _ = (kept, large)
    }
}
