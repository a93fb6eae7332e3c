// The operations model code may call. A backend owns tensor memory and implements every op;
// `ReferenceBackend` holds the plain loops all fast backends are tested against.
//
// Shapes follow the convention [rows, columns]; activations are [tokens, features] with all
// sequences of a batch stacked along the rows. Weights are [out, in] as in PyTorch's Linear.

/// A run of consecutive query rows belonging to one sequence, for causal attention over a
/// key/value cache.
public struct AttentionSpan: Sendable, Equatable {
    /// First row of this sequence's queries in the query tensor.
    public var queryRow: Int
    /// Number of query rows (new tokens).
    public var count: Int
    /// Row in the key/value tensors where this sequence's position 0 lives.
    public var keyRow: Int
    /// Positions already in the cache before the first query; query i sees keys 0...past+i.
    public var past: Int

    public init(queryRow: Int, count: Int, keyRow: Int, past: Int) {
        self.queryRow = queryRow
        self.count = count
        self.keyRow = keyRow
        self.past = past
    }
}

/// Everything a model needs from a compute device.
public protocol Backend: AnyObject, Sendable {
    var name: String { get }

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
    /// x [N, in] times weight [out, in] transposed, plus bias [out]: [N, out]. `weight` may be
    /// quantized.
    func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor
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
    /// Causal grouped-query attention with softmax scale 1/sqrt(headDim).
    /// query [N, heads*headDim]; keys, values [R, kvHeads*headDim]: [N, heads*headDim].
    func attention(query: Tensor, keys: Tensor, values: Tensor, spans: [AttentionSpan],
                   heads: Int, kvHeads: Int, headDim: Int) -> Tensor
    /// Copies the rows of `source` [n, C] into `destination` [R, C] at rows `at` (in place).
    func copyRows(_ source: Tensor, into destination: Tensor, at rows: [Int])
    /// Rows of x picked by `rows`: [rows.count, C].
    func gatherRows(_ x: Tensor, _ rows: [Int]) -> Tensor
}
