// A smaller student made from a teacher by keeping some of its decoder layers, as DistilBERT
// (Sanh et al. 2019) initialised its student from every other layer of BERT. Embeddings, final
// norm and output head are the teacher's; the kept layers are renumbered 0..<count.
import AfinaTensor
import Foundation

/// Which decoder layers to keep: ascending, distinct indices of an existing layer.
public struct LayerSelection: Sendable, Equatable {
    public let indices: [Int]

    /// Checks `indices` against a model with `layerCount` decoder layers.
    public init(indices: [Int], layerCount: Int) throws {
        guard !indices.isEmpty else { throw LayerSelectionError.empty }
        for (i, index) in indices.enumerated() {
            guard (0..<layerCount).contains(index) else {
                throw LayerSelectionError.outOfRange(index, layerCount: layerCount)
            }
            guard i > 0 else { continue }
            if indices[..<i].contains(index) { throw LayerSelectionError.duplicate(index) }
            if index < indices[i - 1] { throw LayerSelectionError.notAscending(index, after: indices[i - 1]) }
        }
        self.indices = indices
    }

    /// Parses comma-separated items: `N` (one layer), `A-B` (A through B, inclusive) or
    /// `A-B:S` (A, A+S, ... up to B), e.g. `0,2,4-7` or `0-29:2` for every other layer of 30.
    public init(parsing text: String, layerCount: Int) throws {
        guard !text.allSatisfy(\.isWhitespace) else { throw LayerSelectionError.empty }
        var indices: [Int] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = item.trimmingCharacters(in: .whitespaces)
            guard !item.isEmpty else { throw LayerSelectionError.emptyItem }
            indices += try Self.layers(in: item, layerCount: layerCount)
        }
        try self.init(indices: indices, layerCount: layerCount)
    }

    /// The layers one item names. Range ends are checked before expanding, so a typo such as
    /// `0-99999999` fails fast instead of listing a hundred million layers.
    private static func layers(in item: String, layerCount: Int) throws -> [Int] {
        let rangeAndStep = item.split(separator: ":", omittingEmptySubsequences: false)
        let bounds = rangeAndStep[0].split(separator: "-", omittingEmptySubsequences: false)
        guard rangeAndStep.count <= 2, bounds.count <= 2, rangeAndStep.count == 1 || bounds.count == 2,
              let first = number(bounds[0]), let last = bounds.count == 2 ? number(bounds[1]) : first,
              let step = rangeAndStep.count == 2 ? number(rangeAndStep[1]) : 1 else {
            throw LayerSelectionError.malformed(item)
        }
        guard step > 0 else { throw LayerSelectionError.zeroStep(item) }
        guard first <= last else { throw LayerSelectionError.emptyRange(item) }
        for end in [first, last] where end >= layerCount {
            throw LayerSelectionError.outOfRange(end, layerCount: layerCount)
        }
        return Array(stride(from: first, through: last, by: step))
    }

    /// A non-negative decimal integer, digits only (no sign, so `-` stays the range separator).
    private static func number(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text)
    }
}

/// Why a list of layers to keep was refused.
public enum LayerSelectionError: Error, Equatable, CustomStringConvertible {
    case empty
    case emptyItem
    case malformed(String)
    case emptyRange(String)
    case zeroStep(String)
    case outOfRange(Int, layerCount: Int)
    case duplicate(Int)
    case notAscending(Int, after: Int)

    public var description: String {
        switch self {
        case .empty: "the layer list is empty; give indices such as 0,2,4-7 or 0-29:2"
        case .emptyItem: "the layer list has an empty item (two commas in a row, or one at an end)"
        case .malformed(let item):
            "'\(item)' in the layer list is not an index (N), a range (A-B) or a range with a step (A-B:S)"
        case .emptyRange(let item): "range '\(item)' ends before it starts"
        case .zeroStep(let item): "the step in '\(item)' must be at least 1"
        case let .outOfRange(index, count):
            "layer \(index) is out of range: the teacher has \(count) layers, numbered 0-\(count - 1)"
        case .duplicate(let index): "layer \(index) is listed twice"
        case let .notAscending(index, previous):
            "layers must be listed in ascending order, but \(index) comes after \(previous)"
        }
    }
}

extension Llama: LayerPrunableModel {
    public var layerCount: Int { config.layerCount }

    /// A float32 student holding the decoder layers at `indices` (ascending, distinct), renumbered
    /// from 0, with the teacher's embeddings, final norm, output head (tied or not) and every
    /// other setting. Adapters must be folded in first (`merged()`): they would be dropped.
    public func keepingLayers(_ indices: [Int]) throws -> Llama {
        let kept = try LayerSelection(indices: indices, layerCount: config.layerCount).indices
        guard parameters(.adapters).isEmpty else {
            throw ModelError.invalidArgument("this model has unmerged adapters: fold them in with merged() "
                + "before dropping layers")
        }
        let studentIndex = Dictionary(uniqueKeysWithValues: kept.enumerated().map { ($1, $0) })
        var weights: [String: Tensor] = [:]
        for p in parameters(.all) {
            var name = p.name
            // "model.layers.7.mlp.up_proj.weight" -> "model.layers.3.mlp.up_proj.weight" when layer 7 is kept 4th.
            let parts = name.split(separator: ".", maxSplits: 3)
            if parts.count == 4, parts[0] == "model", parts[1] == "layers", let teacherIndex = Int(parts[2]) {
                guard let index = studentIndex[teacherIndex] else { continue }
                name = "model.layers.\(index).\(parts[3])"
            }
            // Copied as float32: the teacher's weights may be quantized or borrowed from a file mapping.
            weights[name] = backend.tensor(backend.floats(p.value), shape: p.value.shape)
        }
        var studentConfig = config
        studentConfig.layerCount = kept.count
        return try Llama(config: studentConfig, weights: WeightTable(weights, source: "teacher layers \(kept)"),
                         backend: backend)
    }
}
