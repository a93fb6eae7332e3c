// Splitting work over the cores (WorkerPool). Only work above `minimumWork` is split: a
// hand-off still costs more than a tiny op.
import Foundation

enum Parallel {
    static let cores = threads(environment: ProcessInfo.processInfo.environment,
                               available: ProcessInfo.processInfo.activeProcessorCount,
                               machine: ProcessInfo.processInfo.processorCount)

    /// Worker threads: AFINA_THREADS when set; otherwise the cores this process may run on
    /// (`available`), shared with the other ranks of an mpirun job on this machine unless
    /// mpirun bound each rank to its own cores (then `available` is already its share).
    static func threads(environment: [String: String], available: Int, machine: Int) -> Int {
        if let chosen = environment["AFINA_THREADS"].flatMap(Int.init), chosen > 0 { return chosen }
        let localRanks = environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap(Int.init) ?? 1
        guard localRanks > 1, available == machine else { return available }
        return max(1, available / localRanks)
    }

    /// Calls body(range) over chunks covering 0..<count, concurrently when the total work
    /// (count * workPerItem, in rough multiply-adds) is worth it.
    static func forEach(_ count: Int, workPerItem: Int, minimumWork: Int = 200_000,
                        _ body: (Range<Int>) -> Void) {
        let chunks = min(cores, count)
        guard chunks > 1, count * workPerItem >= minimumWork else {
            body(0..<count)
            return
        }
        WorkerPool.shared.run(chunks) { c in body(count * c / chunks..<count * (c + 1) / chunks) }
    }
}
