// The worker pool hands every chunk to exactly one thread, job after job, and a job that
// itself asks for parallel work runs it serially instead of deadlocking.
import Synchronization
import XCTest
@testable import AfinaTensor

final class WorkerPoolTests: XCTestCase {
    func testEveryChunkRunsExactlyOnceAcrossManyJobs() {
        let pool = WorkerPool(workers: 3)
        for job in 0..<2000 {
            let count = 1 + job % 9
            let hits = Mutex([Int](repeating: 0, count: count))
            pool.run(count) { i in hits.withLock { $0[i] += 1 } }
            XCTAssertEqual(hits.withLock { $0 }, Array(repeating: 1, count: count), "job \(job)")
        }
    }

    func testNestedParallelWorkRunsSeriallyInsteadOfDeadlocking() {
        let pool = WorkerPool(workers: 1)
        let total = Atomic<Int>(0)
        pool.run(4) { _ in pool.run(5) { _ in total.add(1, ordering: .relaxed) } }
        XCTAssertEqual(total.load(ordering: .relaxed), 20)
    }
}
