// The operations model code may call. A backend owns tensor memory and implements every op;
// `ReferenceBackend` holds the plain loops all fast backends are tested against.
//
// Shapes follow the convention [rows, columns]; activations are [tokens, features] with all
// sequences of a batch stacked along the rows. Weights are [out, in] as in PyTorch's Linear.

/// Which keys of its sequence a query sees.
public enum AttentionMask: Sendable, Equatable {
    /// Query i sees keys 0...past+i (a decoder).
    case causal
    /// Query i sees the last `window` keys up to itself, past+i-window < key <= past+i (the
    /// local layers of Gemma 2/3 and Mistral: transformers' sliding-window causal mask).
    case slidingWindow(Int)
    /// Every query sees keys 0..<keys and no others (an encoder: a padded sequence's padding
    /// rows sit past `keys` and are masked out).
    case bidirectional(keys: Int)
}

/// An additive bias on attention scores shared by every sequence of a batch (T5's relative
/// position bias, ALiBi): score(h, i, t) += table[h, past + i, t] for query i and key t.
public struct AttentionBias: @unchecked Sendable {
    /// [heads, queryPositions, keyPositions], float32.
    public let table: Tensor

    public init(_ table: Tensor) {
        precondition(table.shape.count == 3, "attention bias: [heads, queries, keys], got \(table)")
        self.table = table
    }

    public var heads: Int { table.shape[0] }
    public var queryPositions: Int { table.shape[1] }
    public var keyPositions: Int { table.shape[2] }
}

/// A run of consecutive query rows belonging to one sequence, for attention over a key/value
/// cache or the sequence's own rows.
public struct AttentionSpan: Sendable, Equatable {
    /// First row of this sequence's queries in the query tensor.
    public var queryRow: Int
    /// Number of query rows (new tokens).
    public var count: Int
    /// Row in the key/value tensors where this sequence's position 0 lives.
    public var keyRow: Int
    /// Positions already in the cache before the first query; query i sees keys 0...past+i.
    public var past: Int
    public var mask: AttentionMask

    public init(queryRow: Int, count: Int, keyRow: Int, past: Int, mask: AttentionMask = .causal) {
        self.queryRow = queryRow
        self.count = count
        self.keyRow = keyRow
        self.past = past
        self.mask = mask
    }

    /// Keys query i of this span sees.
    @inline(__always) public func visibleKeys(_ i: Int) -> Range<Int> {
        switch mask {
        case .causal: 0..<past + i + 1
        case .slidingWindow(let window): max(0, past + i + 1 - window)..<past + i + 1
        case .bidirectional(let keys): 0..<keys
        }
    }

    /// The span's query rows in blocks of at most `size`, each with the keys its rows see
    /// together, so score matrices skip what no row of a block sees: most of the upper half
    /// of a causal square, all but a band of a sliding window. Bidirectional: one block.
    public func queryBlocks(of size: Int) -> [(rows: Range<Int>, keys: Range<Int>)] {
        if case .bidirectional(let keys) = mask { return [(0..<count, 0..<keys)] }
        return stride(from: 0, to: count, by: size).map { first in
            let last = min(first + size, count) - 1
            return (first..<last + 1, visibleKeys(first).lowerBound..<visibleKeys(last).upperBound)
        }
    }

    /// Keys any query of this span sees (the width of its score matrix).
    public var keyCount: Int {
        switch mask {
        case .causal, .slidingWindow: past + count
        case .bidirectional(let keys): keys
        }
    }
}

/// GELU's two forms (Hendrycks and Gimpel 2016): exact with erf (BERT), or the tanh
/// approximation (GPT-2, Gemma's GeGLU).
public enum GELUApproximation: String, Sendable, CaseIterable {
    case none, tanh
}

/// Everything a model needs from a compute device.
public protocol Backend: AnyObject, Sendable {
    var name: String { get }
    /// Which kernels this backend runs here, as (role, kernel) lines for benchmarks to print:
    /// kernels are chosen by the machine at run time, so numbers need them beside.
    var kernels: [(role: String, kernel: String)] { get }

    // MARK: Memory
    /// A float32 tensor holding `values`.
    func tensor(_ values: [Float], shape: [Int]) -> Tensor
    /// A float32 tensor of zeros.
    func zeros(_ shape: [Int]) -> Tensor
    /// A float32 tensor whose elements are unspecified until written: for buffers that are
    /// filled before they are read (results, KV caches).
    func uninitialized(_ shape: [Int]) -> Tensor
    /// A tensor of any dtype from raw bytes (copied to the device, or wrapped without a copy
    /// when the backend can read host memory and `owner` keeps the bytes alive).
    func tensor(bytes: UnsafeRawBufferPointer, dtype: DType, shape: [Int], owner: AnyObject?) -> Tensor
    /// The elements as float32 (dequantized when needed).
    func floats(_ tensor: Tensor) -> [Float]
    /// Promises that `weight` changes only through this backend's optimizer updates (a frozen
    /// weight never), so products may keep derived forms of it (packed or converted copies)
    /// until the next update. Declaring it again after any other write drops those forms.
    func declareWeight(_ weight: Tensor)

    // MARK: Ops (results are new float32 tensors unless the name says otherwise)
    /// Rows of `table` [V, D] picked by `ids`: [ids.count, D].
    func embedding(_ table: Tensor, ids: [Int32]) -> Tensor
    /// x [N, D] * rsqrt(mean(x^2) + eps) * weight [D].
    func rmsNorm(_ x: Tensor, weight: Tensor, eps: Float) -> Tensor
    /// (x - mean) * rsqrt(var + eps) * weight + bias per row of x [N, D] (biased variance,
    /// as torch.nn.LayerNorm).
    func layerNorm(_ x: Tensor, weight: Tensor, bias: Tensor, eps: Float) -> Tensor
    /// GELU elementwise, exact (erf) or tanh-approximated.
    func gelu(_ x: Tensor, approximation: GELUApproximation) -> Tensor
    /// tanh elementwise (BERT's pooler).
    func tanh(_ x: Tensor) -> Tensor
    /// max(x, 0) elementwise (T5's MLP).
    func relu(_ x: Tensor) -> Tensor
    /// x [N, in] times weight [out, in] transposed, plus bias [out]: [N, out]. `weight` may be
    /// quantized.
    func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor
    /// `linear` of the same x with each of several weights (attention's q, k and v; the MLP's
    /// gate and up), in one pass where a backend can (the CPU backend's decoding: one hand-off
    /// to the cores instead of one per weight).
    func linear(_ x: Tensor, weights: [(weight: Tensor, bias: Tensor?)]) -> [Tensor]
    /// y += alpha · x weightᵀ, in place (a LoRA adapter's h Bᵀ into the base product's output).
    func accumulateLinear(_ x: Tensor, weight: Tensor, alpha: Float, into y: Tensor)
    /// Elementwise a + b (same shape).
    func add(_ a: Tensor, _ b: Tensor) -> Tensor
    /// y += alpha * x, in place (same element count).
    func axpy(_ alpha: Float, _ x: Tensor, into y: Tensor)
    /// Elementwise a * b (same shape).
    func multiply(_ a: Tensor, _ b: Tensor) -> Tensor
    /// silu(gate) * up, elementwise (same shape).
    func swiglu(gate: Tensor, up: Tensor) -> Tensor
    /// Rotary embedding (rotate-half convention of Hugging Face Llama) on x [N, heads*headDim],
    /// row i at position positions[i], with inverse frequencies invFreq [headDim/2].
    func rope(_ x: Tensor, positions: [Int32], headDim: Int, invFreq: [Float]) -> Tensor
    /// Grouped-query attention: softmax(scale * q·k + bias) over the keys each span's mask
    /// lets a query see. query [N, heads*headDim]; keys, values [R, kvHeads*headDim]:
    /// [N, heads*headDim].
    func attention(query: Tensor, keys: Tensor, values: Tensor, spans: [AttentionSpan],
                   heads: Int, kvHeads: Int, headDim: Int, scale: Float, bias: AttentionBias?) -> Tensor
    /// Copies the rows of `source` [n, C] into `destination` [R, C] at rows `at` (in place).
    func copyRows(_ source: Tensor, into destination: Tensor, at rows: [Int])
    /// Rows of x picked by `rows`: [rows.count, C].
    func gatherRows(_ x: Tensor, _ rows: [Int]) -> Tensor
}

extension Backend {
    public func linear(_ x: Tensor, weights: [(weight: Tensor, bias: Tensor?)]) -> [Tensor] {
        weights.map { linear(x, weight: $0.weight, bias: $0.bias) }
    }

    public func accumulateLinear(_ x: Tensor, weight: Tensor, alpha: Float, into y: Tensor) {
        axpy(alpha, linear(x, weight: weight, bias: nil), into: y)
    }

    /// Attention with softmax scale 1/sqrt(headDim) and no bias (the Llama family, BERT).
    public func attention(query: Tensor, keys: Tensor, values: Tensor, spans: [AttentionSpan],
                          heads: Int, kvHeads: Int, headDim: Int) -> Tensor {
        attention(query: query, keys: keys, values: values, spans: spans, heads: heads, kvHeads: kvHeads,
                  headDim: headDim, scale: 1 / Float(headDim).squareRoot(), bias: nil)
    }
}
