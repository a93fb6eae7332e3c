// Splitting work over the cores (WorkerPool). Only work above `minimumWork` is split: a
// hand-off still costs more than a tiny op.
import Foundation

enum Parallel {
    static let cores = ProcessInfo.processInfo.activeProcessorCount

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
