// Which examples each batch takes: a fresh seeded order every epoch, resumable from a checkpoint.

/// Draws batches of example indices, each epoch in its own order (shuffled with
/// `seed + epoch`). An epoch's last, short batch is filled from the next epoch, so every batch
/// has `batchSize` indices and every example is drawn exactly once per epoch. The state is
/// (seed, epoch, position): encoding it and decoding it later continues the same sequence.
public struct BatchSampler: Codable, Sendable, Equatable {
    /// The number of examples drawn from.
    public let count: Int
    public let seed: UInt64
    /// The epoch the next index comes from; equals the number of epochs completed.
    public private(set) var epoch = 0
    /// How many indices of the current epoch were drawn.
    public private(set) var position = 0
    /// The current epoch's order, recomputed from the state when needed (not encoded).
    private var order: [Int] = []

    public init(count: Int, seed: UInt64) {
        self.count = max(count, 0)
        self.seed = seed
    }

    /// Epochs drawn in full.
    public var epochsCompleted: Int { epoch }

    /// The order of the examples in `epoch`.
    public static func order(count: Int, seed: UInt64, epoch: Int) -> [Int] {
        SplitMix64.permutation(count: count, seed: seed &+ UInt64(truncatingIfNeeded: epoch))
    }

    /// The next `batchSize` example indices (none when there are no examples).
    public mutating func next(batchSize: Int) -> [Int] {
        guard count > 0 else { return [] }
        var batch: [Int] = []
        batch.reserveCapacity(max(batchSize, 0))
        while batch.count < batchSize {
            if order.count != count { order = Self.order(count: count, seed: seed, epoch: epoch) }
            batch.append(order[position])
            position += 1
            if position == count {
                (epoch, position, order) = (epoch + 1, 0, [])
            }
        }
        return batch
    }

    private enum CodingKeys: String, CodingKey { case count, seed, epoch, position }

    public init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        count = try values.decode(Int.self, forKey: .count)
        seed = try values.decode(UInt64.self, forKey: .seed)
        epoch = try values.decode(Int.self, forKey: .epoch)
        position = try values.decode(Int.self, forKey: .position)
        guard count >= 0, epoch >= 0, (0..<max(count, 1)).contains(position) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "sampler state out of range: count \(count), epoch \(epoch), position \(position)"))
        }
    }

    public static func == (a: BatchSampler, b: BatchSampler) -> Bool {
        (a.count, a.seed, a.epoch, a.position) == (b.count, b.seed, b.epoch, b.position)
    }
}
