// The collectives, each watched by the watchdog so that a rank that died cannot leave the
// others waiting forever. A failed call ends the whole job (as MPI's default error handler
// does), since the other ranks cannot go on without this one; so none of them throws.
import CAfinaMPI
import Foundation

extension ProcessGroup {
    /// Floats per MPI_Allreduce call: 1M-float calls summed 135M floats twice as fast as one
    /// call (MACHINE-NOTES.md), and MPI counts are 32-bit anyway.
    public static let floatsPerCall = 1 << 20

    /// Sums `values` over all ranks, in place; every rank ends with the same sums.
    public func sum(_ values: inout [Float]) {
        values.withUnsafeMutableBufferPointer { buffer in
            for start in stride(from: 0, to: buffer.count, by: Self.floatsPerCall) {
                let count = Int32(min(Self.floatsPerCall, buffer.count - start))
                watched("MPI_Allreduce") { afina_mpi_allreduce_sum_f32(buffer.baseAddress! + start, count) }
            }
        }
    }

    /// Sums `values` over all ranks (loss sums, token counts: exact in Double below 2^53).
    public func sum(_ values: [Double]) -> [Double] {
        var sums = values
        sums.withUnsafeMutableBufferPointer { buffer in
            watched("MPI_Allreduce") { afina_mpi_allreduce_sum_f64(buffer.baseAddress, Int32(buffer.count)) }
        }
        return sums
    }

    /// Root's `value` (a plain value: Bool, Int...) on every rank.
    public func broadcast<Value: BitwiseCopyable>(_ value: Value) -> Value {
        var copy = value
        watched("MPI_Bcast") { afina_mpi_broadcast_bytes(&copy, Int32(MemoryLayout<Value>.size), 0) }
        return copy
    }

    /// Every rank's `bytes` on every rank, in rank order.
    func allGather(bytes: [UInt8]) -> [[UInt8]] {
        guard bytes.count < Int(Int32.max) else { abort("one rank's share of the results is over 2 GiB, more than MPI_Allgatherv carries") }
        var counts = [Int32](repeating: 0, count: size)
        watched("MPI_Allgather") { afina_mpi_allgather_int(Int32(bytes.count), &counts) }
        let total = counts.map(Int.init).reduce(0, +)
        guard total < Int(Int32.max) else { abort("the gathered results are over 2 GiB, more than MPI_Allgatherv carries") }
        var offsets = [Int32](repeating: 0, count: size)
        for r in counts.indices.dropFirst() { offsets[r] = offsets[r - 1] + counts[r - 1] }
        var all = [UInt8](repeating: 0, count: max(total, 1))
        watched("MPI_Allgatherv") { afina_mpi_allgather_bytes(bytes, Int32(bytes.count), &all, counts, offsets) }
        return counts.indices.map { r in Array(all[Int(offsets[r])..<Int(offsets[r] + counts[r])]) }
    }

    /// Every rank's `values` on every rank, concatenated in rank order.
    public func allGather<Value: BitwiseCopyable>(concatenating values: [Value]) -> [Value] {
        let bytes = Array(allGather(bytes: values.withUnsafeBytes { Array($0) }).joined())
        return [Value](unsafeUninitializedCapacity: bytes.count / MemoryLayout<Value>.stride) { buffer, count in
            bytes.withUnsafeBytes { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: $0) }
            count = buffer.count
        }
    }

    /// Every rank's `value` on every rank, in rank order, sent as JSON.
    public func allGather<Value: Codable>(encoding value: Value) throws -> [Value] {
        try allGather(bytes: Array(JSONEncoder().encode(value))).map { try JSONDecoder().decode(Value.self, from: Data($0)) }
    }

    private func watched(_ name: String, _ call: () -> Int32) {
        watchdog.begin(name)
        let code = call()
        watchdog.end()
        guard code == 0 else { abort("\(name) failed with MPI error \(code)") }
    }
}
