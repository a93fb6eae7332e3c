// Strict weight loading: every expected tensor present with the right shape, nothing left
// over (llama.cpp's loader habit). Names and layouts are Hugging Face's.
import AfinaTensor

/// Tensors by Hugging Face name, consumed by an architecture as it builds itself.
public struct WeightTable {
    public private(set) var tensors: [String: Tensor]
    /// The file or directory the tensors came from, for error messages.
    public let source: String

    public init(_ tensors: [String: Tensor], source: String) {
        self.tensors = tensors
        self.source = source
    }

    /// Removes and returns the tensor `name`, checking its shape.
    public mutating func take(_ name: String, shape: [Int]) throws -> Tensor {
        guard let t = tensors.removeValue(forKey: name) else {
            throw ModelError.missingWeight(name, source: source)
        }
        guard t.shape == shape else {
            throw ModelError.shapeMismatch(name, expected: shape, found: t.shape, source: source)
        }
        return t
    }

    /// Like `take`, but nil when absent.
    public mutating func takeIfPresent(_ name: String, shape: [Int]) throws -> Tensor? {
        tensors[name] == nil ? nil : try take(name, shape: shape)
    }

    /// Throws if any tensor was not used.
    public func finish() throws {
        if !tensors.isEmpty { throw ModelError.unexpectedWeights(tensors.keys.sorted(), source: source) }
    }
}
