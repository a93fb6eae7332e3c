// Training a decoder-only model, the part every architecture shares (after llm.c's
// gpt2_forward / gpt2_backward): sequences packed without padding (position ids restart and
// attention stays within each), embeddings in, each layer's forward keeping what its backward
// needs, the final norm, output head and loss a chunk of rows at a time, then one reverse walk
// over the layers. An architecture writes only its layer's forward and backward
// (Llama+Training.swift, Gemma3+Training.swift); its parameters, adapters, float32 copy and
// merge follow from its list of norms and linear layers.
import AfinaTensor

/// One decoder layer's weights as training sees them: attention and gated-MLP projections
/// named as in transformers, and norms.
protocol DecoderLayer {
    var q: Linear { get set }
    var k: Linear { get set }
    var v: Linear { get set }
    var o: Linear { get set }
    var gate: Linear { get set }
    var up: Linear { get set }
    var down: Linear { get set }
    /// Norm weights with their Hugging Face module names (`input_layernorm`).
    var norms: [(module: String, weight: Tensor)] { get }
}

extension DecoderLayer {
    /// The linear layers with their Hugging Face module names (`self_attn.q_proj`).
    var linears: [(module: String, path: WritableKeyPath<Self, Linear>)] {
        [("self_attn.q_proj", \.q), ("self_attn.k_proj", \.k), ("self_attn.v_proj", \.v), ("self_attn.o_proj", \.o),
         ("mlp.gate_proj", \.gate), ("mlp.up_proj", \.up), ("mlp.down_proj", \.down)]
    }

    var linearLayers: [Linear] { linears.map { self[keyPath: $0.path] } }
}

/// A decoder that trains through the shared loop below.
protocol TrainableDecoder: TrainableModel, AnyObject {
    associatedtype Layer: DecoderLayer
    /// What one layer's backward needs from its forward.
    associatedtype LayerActivations
    var layers: [Layer] { get set }
    var embed: Tensor { get }           // [V, D]
    var norm: Tensor { get }            // [D], the final norm
    var lmHead: Tensor { get }          // [V, D], the embedding when tied
    var normEps: Float { get }
    /// The embeddings are multiplied by this before the first layer (1, or Gemma's sqrt(hidden)).
    var embeddingScale: Float { get }
    /// The layer's output for input x [N, D], and what its backward needs.
    func forward(layer i: Int, _ x: Tensor, _ p: Packing, training: Bool) -> (Tensor, LayerActivations)
    /// d(loss)/d(layer input) from d(loss)/d(layer output), adding weight gradients on the way.
    func backward(layer i: Int, _ dOut: Tensor, _ a: LayerActivations, _ p: Packing, _ g: Gradients) -> Tensor
    /// The same configuration built from `weights`, named and held as `parameters(.all)` gives them.
    func rebuilt(from weights: WeightTable) throws -> Self
}

/// Where the sequences sit in the packed rows, shared by every layer.
struct Packing {
    let spans: [AttentionSpan]
    let positions: [Int32]
    let dropoutSeed: UInt64
}

/// The packed rows of a batch and which of them have targets.
struct PackedBatch {
    var ids: [Int32] = [], spans: [AttentionSpan] = [], positions: [Int32] = []
    var targetRows: [Int] = [], targetIDs: [Int32] = []

    init(_ batch: [TrainingSequence]) {
        // The last token predicts nothing, so each sequence enters without it.
        for seq in batch where seq.tokens.count > 1 {
            let n = seq.tokens.count - 1
            spans.append(AttentionSpan(queryRow: ids.count, count: n, keyRow: ids.count, past: 0))
            for i in 1...n where seq.targets[i] {
                targetRows.append(ids.count + i - 1)
                targetIDs.append(seq.tokens[i])
            }
            ids += seq.tokens[..<n]
            positions += (0..<Int32(n))
        }
    }

    func packing(dropoutSeed: UInt64) -> Packing { Packing(spans: spans, positions: positions, dropoutSeed: dropoutSeed) }
}

extension TrainableDecoder {
    public func parameters(_ set: TrainableSet) -> [Parameter] {
        var all: [Parameter] = []
        for (i, layer) in layers.enumerated() {
            let linears = layer.linearLayers
            switch set {
            case .all:
                for (module, weight) in layer.norms {
                    all.append(Parameter(name: "model.layers.\(i).\(module).weight", value: weight))
                }
                for l in linears {
                    all.append(Parameter(name: l.name + ".weight", value: l.weight))
                    if let bias = l.bias { all.append(Parameter(name: l.name + ".bias", value: bias)) }
                }
            case .adapters:
                for l in linears {
                    guard let lora = l.lora else { continue }
                    all.append(Parameter(name: l.name + ".lora_A.weight", value: lora.a))
                    all.append(Parameter(name: l.name + ".lora_B.weight", value: lora.b))
                }
            }
        }
        if set == .all {
            all.insert(Parameter(name: "model.embed_tokens.weight", value: embed), at: 0)
            all.append(Parameter(name: "model.norm.weight", value: norm))
            if lmHead !== embed { all.append(Parameter(name: "lm_head.weight", value: lmHead)) }
        }
        return all
    }

    /// Weights in the model, each counted once (a tied output head is the embedding).
    public var parameterCount: Int { parameters(.all).map(\.value.count).reduce(0, +) }

    public func loss(_ batch: [TrainingSequence], objective: TokenObjective, gradients: Gradients?, lossScale: Float,
                     dropoutSeed: UInt64, recompute: Bool) -> LossTerms {
        let b = trainingBackend
        let rows = PackedBatch(batch)
        guard !rows.targetRows.isEmpty else { return LossTerms(total: 0) }
        let packing = rows.packing(dropoutSeed: dropoutSeed)
        let training = gradients != nil

        var x = embedded(rows.ids)                                                     // [N, D]
        var saved: [LayerActivations] = [], inputs: [Tensor] = []
        for i in layers.indices {
            let (out, acts) = forward(layer: i, x, packing, training: training)
            if recompute { inputs.append(x) } else if training { saved.append(acts) }
            x = out
        }
        let (loss, dHead) = head(x, rows: rows.targetRows, targets: rows.targetIDs, objective: objective,
                                 gradients: gradients, lossScale: lossScale, recompute: recompute)
        guard let gradients, var dx = dHead else { return loss }
        for i in layers.indices.reversed() {
            let acts = recompute ? forward(layer: i, inputs[i], packing, training: true).1 : saved.removeLast()
            dx = backward(layer: i, dx, acts, packing, gradients)
        }
        if let g = gradients[embed] {
            if embeddingScale != 1 { b.scale(dx, by: embeddingScale) }
            b.embeddingBackward(dx, ids: rows.ids, into: g)
        }
        return loss
    }

    /// Every row through every layer (attention counted over each sequence's causal square), the
    /// rows with targets through the output head.
    public func forwardMultiplyAdds(_ batch: [TrainingSequence]) -> ForwardMultiplyAdds {
        let (d, rows) = (dimensions, PackedBatch(batch))
        let (attention, kv) = (d.headCount * d.headDim, d.kvHeadCount * d.headDim)
        let perRow = d.layerCount * (2 * d.hiddenSize * (attention + kv) + 3 * d.hiddenSize * d.intermediateSize)
        let pairs = rows.spans.map { $0.count * ($0.count + 1) / 2 }.reduce(0, +)
        return ForwardMultiplyAdds(products: Double(rows.ids.count * perRow + rows.targetRows.count * d.vocabularySize * d.hiddenSize),
                                   attention: 2 * Double(d.layerCount * attention * pairs))
    }

    public func targetLogits(_ batch: [TrainingSequence]) -> Tensor {
        let b = trainingBackend
        let rows = PackedBatch(batch)
        guard !rows.targetRows.isEmpty else { return b.zeros([0, vocabularySize]) }
        let packing = rows.packing(dropoutSeed: 0)
        var x = embedded(rows.ids)
        for i in layers.indices { x = forward(layer: i, x, packing, training: false).0 }
        let normed = b.rmsNorm(b.gatherRows(x, rows.targetRows), weight: norm, eps: normEps)
        return b.linear(normed, weight: lmHead, bias: nil)                             // [T, V]
    }

    /// The scaled embeddings of `ids`: [N, D].
    private func embedded(_ ids: [Int32]) -> Tensor {
        let b = trainingBackend
        let x = b.embedding(embed, ids: ids)
        if embeddingScale != 1 { b.scale(x, by: embeddingScale) }
        return x
    }

    /// Final norm, output head and the loss on the rows that have targets, a chunk of rows
    /// at a time so the [rows, V] logits stay small. Returns the summed loss and d/dx.
    private func head(_ x: Tensor, rows: [Int], targets: [Int32], objective: TokenObjective, gradients: Gradients?,
                      lossScale: Float, recompute: Bool) -> (LossTerms, Tensor?) {
        let b = trainingBackend
        let dx = gradients.map { _ in b.zeros(x.shape) }
        var loss = LossTerms(total: 0)
        let chunkRows = TokenObjective.chunkRows(headTrains: gradients?[lmHead] != nil, recompute: recompute)
        for start in stride(from: 0, to: rows.count, by: chunkRows) {
            let range = start..<min(start + chunkRows, rows.count)
            let chunk = Array(rows[range])
            let hidden = b.gatherRows(x, chunk)                                        // [T, D]
            let normed = b.rmsNorm(hidden, weight: norm, eps: normEps)
            let logits = b.linear(normed, weight: lmHead, bias: nil)                   // [T, V]
            loss += objective.loss(logits, targets: Array(targets[range]), rows: range, backend: b, scale: lossScale)
            guard let gradients, let dx else { continue }
            let dLogits = logits                                                       // overwritten in place
            if let g = gradients[lmHead] { b.accumulateWeightGradient(dLogits, normed, alpha: 1, into: g) }
            let dNormed = b.matmul(dLogits, lmHead)                                    // [T, D]
            let dHidden = b.rmsNormBackward(dNormed, x: hidden, weight: norm, eps: normEps,
                                            weightGradient: gradients[norm])
            b.copyRows(dHidden, into: dx, at: chunk)
        }
        return (loss, dx)
    }
}

// Adapters and trainable copies: LoRA attached to chosen projections (fresh, as peft
// initialises them, or from saved weights), a float32 copy for full fine-tuning, and the
// adapters folded into that copy for export.
extension TrainableDecoder {
    public func attachAdapters(_ settings: LoRAConfiguration, weights: [String: Tensor]?, seed: UInt64) throws {
        try settings.check(targets: LoRAConfiguration.allLinearModules, family: nil)
        var random = Xoshiro256(seed: seed)
        var remaining = weights
        for i in layers.indices {
            for (module, path) in layers[i].linears where settings.targets.contains(where: { module.hasSuffix("." + $0) }) {
                layers[i][keyPath: path].lora = try layers[i][keyPath: path].makeAdapter(settings, saved: &remaining,
                                                                                        random: &random, backend: backend)
            }
        }
        if let left = remaining, !left.isEmpty {
            throw ModelError.unexpectedWeights(left.keys.sorted(), source: "adapter")
        }
        // Under adapters the base is frozen.
        for p in parameters(.all) { backend.declareWeight(p.value) }
    }

    /// A copy with every weight float32 in memory of its own, as full fine-tuning needs
    /// (loaded weights may be quantized, or borrowed from a read-only file mapping).
    public func floatCopy() throws -> Self {
        try rebuilt(from: floatWeights(parameters(.all), backend: backend))
    }

    public var hasAdapters: Bool { !parameters(.adapters).isEmpty }

    /// A float32 copy with every adapter folded into its base weight: W + scale · B A.
    public func merged() throws -> Self {
        guard let b = backend as? any TrainingBackend else { throw ModelError.invalidArgument("\(backend.name) cannot merge") }
        let copy = try floatCopy()
        for (i, layer) in layers.enumerated() {
            for (_, path) in layer.linears { layer[keyPath: path].foldAdapter(into: copy.layers[i][keyPath: path].weight, b) }
        }
        return copy
    }
}
