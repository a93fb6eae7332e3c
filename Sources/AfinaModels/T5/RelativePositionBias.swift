// T5's relative position bias (Raffel et al. 2020, after Shaw et al. 2018): every attention
// score gets a learned scalar per head that depends only on the distance from query to key,
// binned into buckets: exact for short distances, logarithmic up to max_distance, one bucket
// past it; separate buckets for keys before and after the query in the (bidirectional)
// encoder. The first layer of each stack owns the table; every layer of the stack uses it.
import AfinaTensor
import Foundation

struct RelativePositionBias {
    /// relative_attention_bias.weight: [buckets, heads].
    let weight: Tensor
    let bidirectional: Bool
    let buckets: Int
    let maxDistance: Int

    /// The bucket of key position minus query position, as transformers'
    /// `_relative_position_bucket` computes it in float32 and truncates.
    static func bucket(_ relative: Int, bidirectional: Bool, buckets: Int, maxDistance: Int) -> Int {
        var (n, bucket, distance) = (buckets, 0, 0)
        if bidirectional {
            n /= 2
            if relative > 0 { bucket = n }
            distance = abs(relative)
        } else {
            distance = max(-relative, 0)
        }
        let exact = n / 2
        if distance < exact { return bucket + distance }
        let logRatio = logf(Float(distance) / Float(exact)) / Float(log(Double(maxDistance) / Double(exact)))
        return bucket + min(exact + Int(logRatio * Float(n - exact)), n - 1)
    }

    /// The bucket of each (query, key) pair of `positions` x `positions`, row-major.
    func buckets(positions: Int) -> [Int] {
        // Only the distance matters: one bucket per distance, then spread over the square.
        let byDistance = (-(positions - 1)..<positions).map {
            Self.bucket($0, bidirectional: bidirectional, buckets: buckets, maxDistance: maxDistance)
        }
        var result = [Int](repeating: 0, count: positions * positions)
        for query in 0..<positions {
            for key in 0..<positions { result[query * positions + key] = byDistance[key - query + positions - 1] }
        }
        return result
    }

    /// The bias for queries and keys at positions 0..<positions: [heads, positions, positions].
    func attentionBias(positions: Int, backend: any Backend) -> AttentionBias {
        let heads = weight.columns
        let table = backend.floats(weight), square = positions * positions
        var values = [Float](repeating: 0, count: heads * square)
        for (i, bucket) in buckets(positions: positions).enumerated() {
            for h in 0..<heads { values[h * square + i] = table[bucket * heads + h] }
        }
        return AttentionBias(backend.tensor(values, shape: [heads, positions, positions]))
    }

    /// Adds d(loss)/d(weight) from the gradient of the bias it made, [heads, positions, positions].
    func backward(_ biasGradient: Tensor, into gradient: Tensor, backend: any Backend) {
        let (heads, positions) = (weight.columns, biasGradient.shape[1])
        let dBias = backend.floats(biasGradient), square = positions * positions
        var sums = [Double](repeating: 0, count: buckets * heads)
        for (i, bucket) in buckets(positions: positions).enumerated() {
            for h in 0..<heads { sums[bucket * heads + h] += Double(dBias[h * square + i]) }
        }
        backend.axpy(1, backend.tensor(sums.map(Float.init), shape: weight.shape), into: gradient)
    }
}
