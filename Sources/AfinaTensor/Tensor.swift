// Tensor: a shape, an element type and storage owned by a backend.
// Model code never touches storage directly; it asks its `Backend` for every operation,
// so the same model runs on any backend (CPU now, CUDA later).

/// Memory that holds a tensor's elements. Each backend has its own kind.
public protocol TensorStorage: AnyObject, Sendable {
    var byteCount: Int { get }
}

/// An n-dimensional array, row-major: the last dimension is contiguous.
public final class Tensor: @unchecked Sendable {
    public let shape: [Int]
    public let dtype: DType
    public let storage: any TensorStorage

    public init(shape: [Int], dtype: DType, storage: any TensorStorage) {
        self.shape = shape
        self.dtype = dtype
        self.storage = storage
    }

    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }
    /// Size of the last dimension (a row).
    public var columns: Int { shape.last ?? 1 }
    /// Number of rows: all dimensions but the last, multiplied.
    public var rows: Int { shape.count > 1 ? count / columns : 1 }

    /// The same elements (same storage, no copy) seen with another shape of equal size:
    /// [N, heads * headDim] as [N * heads, headDim] for a per-head norm.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "reshape \(self) to \(newShape)")
        return Tensor(shape: newShape, dtype: dtype, storage: storage)
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String { "Tensor(\(dtype) \(shape))" }
}
