// How many threads the CPU backend uses: all the cores it may run on alone, a share of them
// for each rank of an mpirun job on one machine, and AFINA_THREADS whenever it is set.
import XCTest
@testable import AfinaTensor

final class ThreadCountTests: XCTestCase {
    func testOneProcessUsesEveryCoreItMayRunOn() {
        XCTAssertEqual(Parallel.threads(environment: [:], available: 8, machine: 8), 8)
        XCTAssertEqual(Parallel.threads(environment: [:], available: 3, machine: 8), 3)
    }

    func testRanksOnOneMachineShareItsCores() {
        let ranks = ["OMPI_COMM_WORLD_LOCAL_SIZE": "4"]
        XCTAssertEqual(Parallel.threads(environment: ranks, available: 16, machine: 16), 4)
        XCTAssertEqual(Parallel.threads(environment: ranks, available: 2, machine: 2), 1, "at least one thread")
        XCTAssertEqual(Parallel.threads(environment: ranks, available: 4, machine: 16), 4,
                       "mpirun bound the rank to 4 cores: they are its own")
    }

    func testAfinaThreadsOverridesTheCount() {
        let environment = ["AFINA_THREADS": "2", "OMPI_COMM_WORLD_LOCAL_SIZE": "4"]
        XCTAssertEqual(Parallel.threads(environment: environment, available: 16, machine: 16), 2)
    }
}
