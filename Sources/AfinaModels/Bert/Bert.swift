// The BERT encoder (Devlin et al. 2019), as transformers' modeling_bert.py: word + position +
// token-type embeddings and LayerNorm, then post-norm layers: LayerNorm(x + attention(x)),
// LayerNorm(x + W2 GELU(W1 x)); an optional pooler tanh(W h[CLS]). Bidirectional attention
// within each packed sequence. Weights keep their Hugging Face names and [out, in] layout.
import AfinaTensor

/// LayerNorm parameters.
struct LayerNormWeights {
    let weight: Tensor, bias: Tensor   // [D]
}

public final class Bert: TextEncoder, @unchecked Sendable {
    struct Layer {
        var q, k, v, o: Linear
        let attnNorm: LayerNormWeights
        var up, down: Linear
        let outNorm: LayerNormWeights
    }

    public let config: BertConfig
    public let backend: any Backend
    /// "bert." inside the task models (BertForSequenceClassification), "" in a bare BertModel.
    let prefix: String
    let wordEmbeddings, positionEmbeddings, typeEmbeddings: Tensor     // [V, D], [P, D], [T, D]
    let embeddingNorm: LayerNormWeights
    var layers: [Layer]
    /// tanh(dense(h[CLS])): BertModel's pooled output, which the classification head reads.
    let pooler: Linear?

    public var vocabularySize: Int { config.vocabularySize }
    public var contextLength: Int { config.maxPositions }
    public var hiddenSize: Int { config.hiddenSize }

    /// Takes the encoder's tensors (named with `prefix`) out of `weights`; the caller takes
    /// its head's and finishes the table.
    init(config: BertConfig, weights w: inout WeightTable, prefix: String, backend: any Backend) throws {
        let (d, ff) = (config.hiddenSize, config.intermediateSize)
        (self.config, self.backend, self.prefix) = (config, backend, prefix)
        func norm(_ name: String) throws -> LayerNormWeights {
            LayerNormWeights(weight: try w.take(name + ".weight", shape: [d]), bias: try w.take(name + ".bias", shape: [d]))
        }
        func linear(_ name: String, _ shape: [Int]) throws -> Linear {
            Linear(name: name, weight: try w.take(name + ".weight", shape: shape), bias: try w.take(name + ".bias", shape: [shape[0]]))
        }
        let e = prefix + "embeddings."
        wordEmbeddings = try w.take(e + "word_embeddings.weight", shape: [config.vocabularySize, d])
        positionEmbeddings = try w.take(e + "position_embeddings.weight", shape: [config.maxPositions, d])
        typeEmbeddings = try w.take(e + "token_type_embeddings.weight", shape: [config.typeVocabularySize, d])
        embeddingNorm = try norm(e + "LayerNorm")
        layers = try (0..<config.layerCount).map { i in
            let p = prefix + "encoder.layer.\(i)."
            return Layer(q: try linear(p + "attention.self.query", [d, d]), k: try linear(p + "attention.self.key", [d, d]),
                         v: try linear(p + "attention.self.value", [d, d]), o: try linear(p + "attention.output.dense", [d, d]),
                         attnNorm: try norm(p + "attention.output.LayerNorm"),
                         up: try linear(p + "intermediate.dense", [ff, d]), down: try linear(p + "output.dense", [d, ff]),
                         outNorm: try norm(p + "output.LayerNorm"))
        }
        pooler = w.tensors[prefix + "pooler.dense.weight"] == nil ? nil : try linear(prefix + "pooler.dense", [d, d])
    }

    /// A bare BertModel: the whole table is the encoder's.
    convenience init(config: BertConfig, weights: WeightTable, backend: any Backend) throws {
        var w = weights
        try self.init(config: config, weights: &w, prefix: "", backend: backend)
        try w.finish()
    }

    /// Where each sequence sits in the packed rows.
    struct Packing {
        let spans: [AttentionSpan]
        let ids: [Int32], positions: [Int32], typeIDs: [Int32]

        init(_ batch: [EncoderInput]) {
            var spans: [AttentionSpan] = [], ids: [Int32] = [], positions: [Int32] = [], types: [Int32] = []
            for input in batch {
                let n = input.ids.count
                spans.append(AttentionSpan(queryRow: ids.count, count: n, keyRow: ids.count, past: 0, mask: .bidirectional(keys: n)))
                ids += input.ids
                positions += (0..<Int32(n))
                types += input.typeIDs
            }
            (self.spans, self.ids, self.positions, self.typeIDs) = (spans, ids, positions, types)
        }

        /// The packed row of each sequence's first token ([CLS]).
        var firstRows: [Int] { spans.map(\.queryRow) }
    }

    public func hiddenStates(_ batch: [EncoderInput]) throws -> Tensor {
        try validate(batch, typeVocabularySize: config.typeVocabularySize)
        let packing = Packing(batch)
        var x = embed(packing)
        for layer in layers { x = forward(layer, x, packing) }
        return x
    }

    /// LayerNorm(word + position + token type embeddings)    [N, D]
    func embed(_ p: Packing) -> Tensor {
        let b = backend
        let sum = b.add(b.add(b.embedding(wordEmbeddings, ids: p.ids), b.embedding(positionEmbeddings, ids: p.positions)),
                        b.embedding(typeEmbeddings, ids: p.typeIDs))
        return b.layerNorm(sum, weight: embeddingNorm.weight, bias: embeddingNorm.bias, eps: config.layerNormEps)
    }

    func forward(_ layer: Layer, _ x: Tensor, _ p: Packing) -> Tensor {
        let (b, c) = (backend, config)
        let attn = b.attention(query: layer.q(x, b), keys: layer.k(x, b), values: layer.v(x, b), spans: p.spans,
                               heads: c.headCount, kvHeads: c.headCount, headDim: c.headDim)          // [N, D]
        let x1 = b.layerNorm(b.add(x, layer.o(attn, b)), weight: layer.attnNorm.weight, bias: layer.attnNorm.bias,
                             eps: c.layerNormEps)
        let hidden = b.gelu(layer.up(x1, b), approximation: c.activation)                               // [N, FF]
        return b.layerNorm(b.add(x1, layer.down(hidden, b)), weight: layer.outNorm.weight, bias: layer.outNorm.bias,
                           eps: c.layerNormEps)
    }

    /// The pooled output tanh(W h[CLS] + b) of each sequence [B, D], with the [CLS] states it
    /// pooled (what the pooler's backward needs).
    func pooled(_ hidden: Tensor, _ p: Packing) throws -> (first: Tensor, pooled: Tensor) {
        guard let pooler else {
            throw ModelError.invalidArgument("this BERT checkpoint has no pooler (pooler.dense), which its head needs")
        }
        let first = backend.gatherRows(hidden, p.firstRows)                                 // [B, D]
        return (first, backend.tanh(pooler(first, backend)))
    }
}
