// RoPE's cosines and sines, kept per list of frequencies. Computing them in double for every
// row of every call (q and k forward, dq and dk backward, each layer) was 2% of a LoRA bf16
// training step; a table lookup gives the same bits.
import Foundation

/// cos and sin of RoPE's angle for a position and a frequency, in float32 like PyTorch:
/// the angle is rounded to float32 first, then its cosine and sine are rounded from double.
@inline(__always) func rotation(_ position: Int32, _ frequency: Float) -> (cos: Float, sin: Float) {
    let angle = Double(Float(position) * frequency)
    return (Float(cos(angle)), Float(sin(angle)))
}

final class RotationTables: @unchecked Sendable {
    /// Row p holds cos then sin of `rotation(p, f)` for every frequency f.
    final class Table: @unchecked Sendable {
        let positions: Int
        let values: UnsafeMutablePointer<Float>

        init(_ frequencies: [Float], positions: Int) {
            let half = frequencies.count
            self.positions = positions
            values = .allocate(capacity: positions * 2 * half)
            for p in 0..<positions {
                for (i, f) in frequencies.enumerated() {
                    (values[p * 2 * half + i], values[p * 2 * half + half + i]) = rotation(Int32(p), f)
                }
            }
        }

        deinit { values.deallocate() }
    }

    /// Tables stay below 4 MiB each (4,096 positions of a 256-wide head); rows past that
    /// compute their rotations in place.
    static let maximumValues = 1 << 20
    private var tables: [[Float]: Table] = [:]
    private let lock = NSLock()

    /// A table covering positions 0..<count for `frequencies`, or nil where it would be too large.
    func table(_ frequencies: [Float], covering count: Int) -> Table? {
        let rowValues = 2 * max(frequencies.count, 1)
        guard count * rowValues <= Self.maximumValues else { return nil }
        return lock.withLock {
            if let table = tables[frequencies], table.positions >= count { return table }
            // Room to grow (decoding asks for one more position each token), in powers of two.
            var positions = 256
            while positions < count { positions *= 2 }
            let table = Table(frequencies, positions: min(positions, Self.maximumValues / rowValues))
            tables[frequencies] = table
            return table
        }
    }
}
