// Host (CPU) memory shared by the reference and CPU backends: 64-byte aligned buffers, or a
// view into memory someone else owns (a memory-mapped model file).
import CAfinaKernels
import Foundation

/// Tensor memory in host RAM.
public final class HostStorage: TensorStorage, @unchecked Sendable {
    public let pointer: UnsafeMutableRawPointer
    public let byteCount: Int
    /// Keeps borrowed memory alive; nil when this storage owns `pointer`.
    private let owner: AnyObject?

    /// Fresh zeroed memory.
    public init(byteCount: Int) {
        self.byteCount = byteCount
        pointer = HostBlockPool.take(byteCount)
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
        owner = nil
    }

    /// Fresh memory with unspecified contents, for results every element of which is written.
    public init(uninitializedByteCount byteCount: Int) {
        self.byteCount = byteCount
        pointer = HostBlockPool.take(byteCount)
        owner = nil
    }

    /// Borrowed memory, valid while `owner` lives.
    public init(borrowing pointer: UnsafeRawPointer, byteCount: Int, owner: AnyObject) {
        self.pointer = UnsafeMutableRawPointer(mutating: pointer)
        self.byteCount = byteCount
        self.owner = owner
    }

    deinit { if owner == nil { HostBlockPool.give(pointer, byteCount: byteCount) } }
}

/// Large freed blocks kept for the next tensor of the same size, while training. A training
/// step frees and allocates the same large tensors every time (activations, logits chunks);
/// handed back to the C library, they return as fresh pages that the kernel zeroes on first
/// touch, which was 14% of a LoRA bf16 step on the Zen 5 EPYC (clear_page, 35,000 page faults a
/// step). Off until a trainer turns it on: inference gains nothing from it, and kept blocks only
/// added to its peak (Qwen2.5-Coder 1.5B's 3-shot eval: 1,444 MiB against 1,199 MiB).
public enum HostBlockPool {
    /// Smaller blocks are left to malloc, whose bins reuse them. Blocks this large are mapped
    /// on their own while the pool is on, so those it does not keep go back to the kernel:
    /// left in the heap, the [256 tokens, 576] activations (590 KB) and what the loader freed
    /// fragmented it, and SmolLM2's full fine-tuning peaked 90 MB higher (1 MiB blocks, heap).
    static let minimumBytes = 256 << 10
    // Guarded by `lock`: the most bytes kept unused (past it the longest-kept blocks are
    // freed), kept blocks, oldest first, and their total size.
    nonisolated(unsafe) private static var capacity = 0
    nonisolated(unsafe) private static var blocks: [(byteCount: Int, block: UnsafeMutableRawPointer)] = []
    nonisolated(unsafe) private static var held = 0
    private static let lock = NSLock()

    /// What trainers keep: a step's activations and logits chunks come back within it.
    public static let trainingBytes = 256 << 20

    /// Keeps freed blocks of at least `minimumBytes`, up to `bytes` in all (trainers: `trainingBytes`);
    /// a smaller limit frees the longest-kept blocks past it.
    public static func keepFreedBlocks(upTo bytes: Int) {
        let evicted = lock.withLock { () -> [UnsafeMutableRawPointer] in
            capacity = bytes
            if bytes > 0 { afina_map_blocks_from(minimumBytes) } else { afina_keep_freed_memory() }
            return evictPastCapacity()
        }
        for old in evicted { old.deallocate() }
    }

    /// Bytes kept unused now.
    static var heldBytes: Int { lock.withLock { held } }

    static func take(_ byteCount: Int) -> UnsafeMutableRawPointer {
        if byteCount >= minimumBytes, let block = lock.withLock({ () -> UnsafeMutableRawPointer? in
            guard let i = blocks.lastIndex(where: { $0.byteCount == byteCount }) else { return nil }
            held -= byteCount
            return blocks.remove(at: i).block
        }) {
            return block
        }
        return .allocate(byteCount: max(byteCount, 1), alignment: 64)
    }

    static func give(_ block: UnsafeMutableRawPointer, byteCount: Int) {
        guard byteCount >= minimumBytes else { return block.deallocate() }
        let evicted = lock.withLock { () -> [UnsafeMutableRawPointer] in
            // A block larger than the whole pool (or any block while it is off) goes straight
            // back, rather than evicting every kept block first.
            guard byteCount <= capacity else { return [block] }
            blocks.append((byteCount, block))
            held += byteCount
            return evictPastCapacity()
        }
        for old in evicted { old.deallocate() }
    }

    /// Takes the longest-kept blocks out until what is kept fits the capacity (with `lock` held).
    private static func evictPastCapacity() -> [UnsafeMutableRawPointer] {
        var evicted: [UnsafeMutableRawPointer] = []
        while held > capacity {
            let oldest = blocks.removeFirst()
            held -= oldest.byteCount
            evicted.append(oldest.block)
        }
        return evicted
    }
}

/// Scratch memory for `count` values of T from the block pool: while training, a freed block
/// of the same size comes back with its pages in, where a fresh one would fault and be zeroed
/// again (bf16 training's conversion and attention buffers, among the fresh pages whose
/// clearing was 4.2% of a full bf16 step).
struct Scratch<T> {
    let pointer: UnsafeMutablePointer<T>
    private let bytes: Int

    init(_ count: Int) {
        bytes = max(count * MemoryLayout<T>.stride, 1)
        pointer = HostBlockPool.take(bytes).bindMemory(to: T.self, capacity: count)
    }

    func release() { HostBlockPool.give(UnsafeMutableRawPointer(pointer), byteCount: bytes) }
}

extension Tensor {
    /// The host storage; a programming error if this tensor lives on another device.
    var host: HostStorage { storage as! HostStorage }
    /// Float32 elements in host memory.
    var f32: UnsafeMutablePointer<Float> {
        precondition(dtype == .f32, "expected a float32 tensor, got \(self)")
        return host.pointer.assumingMemoryBound(to: Float.self)
    }
    /// Raw bytes of row `r` (for any dtype).
    func rowBytes(_ r: Int) -> UnsafeRawPointer {
        UnsafeRawPointer(host.pointer) + r * dtype.byteCount(elements: columns)!
    }
}

/// A backend whose tensors live in host memory: memory management is shared.
public protocol HostBackend: Backend {}

extension HostBackend {
    public func tensor(_ values: [Float], shape: [Int]) -> Tensor {
        precondition(values.count == shape.reduce(1, *), "\(values.count) values for shape \(shape)")
        let t = zeros(shape)
        values.withUnsafeBufferPointer { t.f32.update(from: $0.baseAddress!, count: values.count) }
        return t
    }

    public func zeros(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, dtype: .f32,
               storage: HostStorage(byteCount: shape.reduce(1, *) * MemoryLayout<Float>.stride))
    }

    /// Host memory is not touched here, so the pages of a large buffer (a KV cache) are
    /// committed only as they are written.
    public func uninitialized(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, dtype: .f32,
               storage: HostStorage(uninitializedByteCount: shape.reduce(1, *) * MemoryLayout<Float>.stride))
    }

    public func tensor(bytes: UnsafeRawBufferPointer, dtype: DType, shape: [Int], owner: AnyObject?) -> Tensor {
        let count = shape.reduce(1, *)
        precondition(dtype.byteCount(elements: count) == bytes.count, "\(bytes.count) bytes for \(dtype) \(shape)")
        if let owner, Int(bitPattern: bytes.baseAddress) % 4 == 0 {
            return Tensor(shape: shape, dtype: dtype,
                          storage: HostStorage(borrowing: bytes.baseAddress!, byteCount: bytes.count, owner: owner))
        }
        let storage = HostStorage(byteCount: bytes.count)
        if let base = bytes.baseAddress { storage.pointer.copyMemory(from: base, byteCount: bytes.count) }
        return Tensor(shape: shape, dtype: dtype, storage: storage)
    }

    public func declareWeight(_ weight: Tensor) {}

    public func floats(_ tensor: Tensor) -> [Float] {
        [Float](unsafeUninitializedCapacity: tensor.count) { buffer, n in
            Quant.dequantize(tensor.dtype, tensor.host.pointer, into: buffer.baseAddress!, count: tensor.count)
            n = tensor.count
        }
    }

    public func copyRows(_ source: Tensor, into destination: Tensor, at rows: [Int]) {
        precondition(source.columns == destination.columns && source.rows == rows.count)
        let c = source.columns
        for (i, r) in rows.enumerated() {
            precondition(r < destination.rows, "row \(r) outside \(destination)")
            (destination.f32 + r * c).update(from: source.f32 + i * c, count: c)
        }
    }

    public func gatherRows(_ x: Tensor, _ rows: [Int]) -> Tensor {
        let c = x.columns
        let out = zeros([rows.count, c])
        for (i, r) in rows.enumerated() { (out.f32 + i * c).update(from: x.f32 + r * c, count: c) }
        return out
    }

    public func embedding(_ table: Tensor, ids: [Int32]) -> Tensor {
        let d = table.columns
        let out = zeros([ids.count, d])
        for (i, id) in ids.enumerated() {
            precondition(id >= 0 && Int(id) < table.rows, "token id \(id) outside vocabulary of \(table.rows)")
            Quant.dequantize(table.dtype, table.rowBytes(Int(id)), into: out.f32 + i * d, count: d)
        }
        return out
    }
}

extension HostBackend {
    /// Elementwise tanh: one plain loop serves both host backends (a pooler's few rows).
    public func tanh(_ x: Tensor) -> Tensor {
        let out = zeros(x.shape)
        for i in 0..<x.count { out.f32[i] = tanhf(x.f32[i]) }
        return out
    }

    /// Elementwise ReLU: a loop the compiler vectorises serves both host backends.
    public func relu(_ x: Tensor) -> Tensor {
        let out = uninitialized(x.shape)
        for i in 0..<x.count { out.f32[i] = max(x.f32[i], 0) }
        return out
    }
}

extension AttentionBias {
    /// Element offset of table[head, query, key].
    @inline(__always) func index(head: Int, query: Int, key: Int) -> Int {
        precondition(query < queryPositions && key < keyPositions,
                     "attention bias \(table) has no entry for query \(query), key \(key)")
        return (head * queryPositions + query) * keyPositions + key
    }

    @inline(__always) func value(head: Int, query: Int, key: Int) -> Float {
        table.f32[index(head: head, query: query, key: key)]
    }

    /// scores[t] += table[head, query, t] for t in 0..<keys.
    @inline(__always) func add(to scores: UnsafeMutablePointer<Float>, head: Int, query: Int, keys: Int) {
        guard keys > 0 else { return }
        let row = table.f32 + index(head: head, query: query, key: keys - 1) - (keys - 1)
        for t in 0..<keys { scores[t] += row[t] }
    }
}
