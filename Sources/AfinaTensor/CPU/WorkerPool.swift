// Persistent worker threads for the CPU backend. DispatchQueue.concurrentPerform costs tens
// of microseconds per hand-off; a decoding step makes about 200 small parallel calls, which
// made two cores no faster than one (measured). Workers here spin briefly between calls and
// only then sleep, so a hand-off costs about a cache-line transfer. Every spin-wait pauses
// (afina_spin_pause), so a waiter on a hyperthread leaves the core to its working sibling, and
// soon yields the core to whatever else is runnable.
//
// Every worker checks in once per job, so when `run` returns no worker still touches it.
import CAfinaKernels
import Foundation
import Synchronization

final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool(workers: Parallel.cores - 1)

    private let workers: Int
    private let generation = Atomic<Int>(0)
    private let nextChunk = Atomic<Int>(0)
    private let checkedIn = Atomic<Int>(0)
    private var chunks = 0
    private var job: ((Int) -> Void)?
    /// One job at a time; a caller that finds the pool busy (or a job that nests) runs serially.
    private let busy = NSLock()
    private let sleep = NSCondition()
    private var sleepers = 0

    init(workers: Int) {
        self.workers = max(0, workers)
        for _ in 0..<self.workers {
            let thread = Thread { [self] in workLoop() }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// Calls body(0..<count) spread over the calling thread and the workers.
    func run(_ count: Int, _ body: (Int) -> Void) {
        guard workers > 0, count > 1, busy.try() else {
            for i in 0..<count { body(i) }
            return
        }
        defer { busy.unlock() }
        withoutActuallyEscaping(body) { body in
            job = body
            chunks = count
            nextChunk.store(0, ordering: .relaxed)
            checkedIn.store(0, ordering: .relaxed)
            generation.add(1, ordering: .releasing)
            sleep.lock()
            if sleepers > 0 { sleep.broadcast() }
            sleep.unlock()
            work()
            var spins = 0
            while checkedIn.load(ordering: .acquiring) < workers { Self.backOff(&spins) }
            job = nil
        }
    }

    /// One round of a wait: PAUSE while the hand-off is likely close (tens of microseconds),
    /// then yield the core, since on a busy machine the thread waited for may be preempted
    /// and spinning would only keep it off the core (measured: spinning was 66% of a LoRA
    /// step's samples while other builds ran).
    @inline(__always) private static func backOff(_ spins: inout Int) {
        spins += 1
        if spins <= 1_000 { afina_spin_pause() } else { sched_yield() }
    }

    /// Claims and runs chunks until none are left.
    private func work() {
        while true {
            let i = nextChunk.add(1, ordering: .relaxed).oldValue
            if i >= chunks { return }
            job!(i)
        }
    }

    private func workLoop() {
        var seen = 0
        while true {
            var spins = 0
            while generation.load(ordering: .acquiring) == seen {
                Self.backOff(&spins)
                if spins > 20_000 {  // a few milliseconds without work: sleep
                    sleep.lock()
                    sleepers += 1
                    while generation.load(ordering: .acquiring) == seen { sleep.wait() }
                    sleepers -= 1
                    sleep.unlock()
                }
            }
            seen = generation.load(ordering: .acquiring)
            work()
            checkedIn.add(1, ordering: .releasing)
        }
    }
}
