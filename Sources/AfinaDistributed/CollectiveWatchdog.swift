// A rank killed outright (kill -9, out of memory) is normally noticed by mpirun, which ends
// the job. A rank that hangs, or a lost node, is not: its peers would wait in the next
// collective forever. The watchdog ends the job when one collective has waited longer than
// the timeout (AFINA_MPI_TIMEOUT seconds), naming this rank and the call.
import Foundation
import Synchronization

final class CollectiveWatchdog: Sendable {
    /// Long enough for rank 0 to write a large checkpoint while the others wait.
    static let defaultTimeoutSeconds = 600.0

    let rank: Int
    let size: Int
    let timeoutSeconds: Double
    /// When the running collective began (uptime nanoseconds), 0 when none runs.
    private let startedAt = Atomic<UInt64>(0)
    private let call = Mutex<String>("")
    private let running = Atomic<Bool>(true)

    init(rank: Int, size: Int, timeoutSeconds: Double) {
        (self.rank, self.size, self.timeoutSeconds) = (rank, size, timeoutSeconds)
        let thread = Thread { [self] in watch() }
        thread.stackSize = 1 << 18
        thread.start()
    }

    func begin(_ name: String) {
        call.withLock { $0 = name }
        startedAt.store(DispatchTime.now().uptimeNanoseconds, ordering: .releasing)
    }

    func end() { startedAt.store(0, ordering: .releasing) }

    func stop() { running.store(false, ordering: .relaxed) }

    private func watch() {
        while running.load(ordering: .relaxed) {
            Thread.sleep(forTimeInterval: 1)
            let started = startedAt.load(ordering: .acquiring)
            guard started != 0 else { continue }
            let waited = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            guard waited > timeoutSeconds else { continue }
            let name = call.withLock { $0 }
            endJob(rank: rank, size: size, "\(name) waited \(Int(waited)) s for the other ranks "
                + "(AFINA_MPI_TIMEOUT=\(Int(timeoutSeconds))); one of them has died or hangs. Ending the job.")
        }
    }
}
