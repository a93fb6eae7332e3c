// TEMPORARY: stand-ins until AfinaData lands (deleted then).
import AfinaModels
import AfinaTokenizers
import Foundation

public struct BatchSampler: Codable, Sendable, Equatable {
    var count: Int, seed: UInt64, position = 0
    public init(count: Int, seed: UInt64) { (self.count, self.seed) = (count, seed) }
    public mutating func next(batchSize: Int) -> [Int] {
        defer { position += batchSize }
        return (position..<position + batchSize).map { $0 % count }
    }
}

struct DataSplit {
    var train: [Int], validation: [Int]
    init(count: Int, validationFraction: Double, seed: UInt64) {
        let v = Int(Double(count) * validationFraction)
        (train, validation) = (Array(v..<count), Array(0..<v))
    }
}

struct ExampleRenderer {
    struct Rendered { var examples: [TrainingSequence]; var truncated = 0; var dropped = 0 }
    init(tokenizer: Tokenizer, chatTemplate: String?, maxLength: Int) {}
    func render(file: URL) throws -> Rendered { Rendered(examples: []) }
}
