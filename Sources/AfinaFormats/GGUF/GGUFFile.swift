// A GGUF file (versions 2 and 3, little-endian), memory-mapped and checked when opened.
// Spec: ggml's docs/gguf.md. Layout: magic "GGUF", u32 version, u64 tensor count, u64
// metadata count, the metadata key/value pairs, the tensor infos (name, u32 n_dims,
// u64 ne[n_dims], u32 ggml type, u64 offset), then the tensor data, which starts at the next
// multiple of `general.alignment` (default 32) and in which each offset is aligned likewise.
import AfinaTensor
import Foundation

/// Where one tensor lives in a GGUF file and how it is stored.
public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    /// Dimensions in ggml order: `ne[0]` is the contiguous (innermost) one.
    public let ne: [Int]
    /// Dimensions in row-major order, `ne` reversed: a 2-D weight is [out, in] as in PyTorch.
    public let shape: [Int]
    public let dtype: DType
    /// Absolute byte offset of the tensor's data in the file.
    public let offset: Int
    /// Bytes of data (whole blocks for quantized types).
    public let byteCount: Int

    /// Number of elements.
    public var elementCount: Int { ne.reduce(1, *) }
}

/// A GGUF model file: metadata, tensor infos, and the tensors' bytes in place in the mapping.
///
/// Opening checks every count, length, type and offset against the file, so that
/// `data(for:)` can hand out pointers without further checks. The mapping lives as long as
/// this object: pass the file as the owner of tensors that borrow its bytes.
public final class GGUFFile: Sendable {
    /// The file's location, as opened.
    public let url: URL
    /// 2 or 3.
    public let version: Int
    /// Metadata by key: `general.architecture`, `llama.context_length`, `tokenizer.ggml.tokens`, ...
    public let metadata: [String: GGUFValue]
    /// Tensors in file order.
    public let tensors: [GGUFTensorInfo]
    /// Alignment of the tensor data in bytes (`general.alignment`, default 32).
    public let alignment: Int
    private let mapping: MappedFile

    /// Maps and validates the file at `url`; throws a `FormatError` naming the file on any problem.
    public init(url: URL) throws {
        mapping = try MappedFile(url: url)
        self.url = url
        var reader = ByteReader(mapping.bytes, url: url)
        version = try Self.readVersion(&reader)
        let tensorCount = try reader.read(UInt64.self, "tensor count")
        let metadataCount = try reader.read(UInt64.self, "metadata count")
        metadata = try Self.readMetadata(&reader, count: metadataCount)
        alignment = try Self.alignment(metadata, url: url)
        tensors = try Self.readTensorInfos(&reader, count: tensorCount, alignment: alignment)
    }

    /// `general.architecture` ("llama", "qwen2", ...), or a placeholder naming the missing key.
    public var architecture: String {
        metadata["general.architecture"]?.string ?? "(missing general.architecture)"
    }

    /// The bytes of a tensor of this file, in place in the mapping.
    public func data(for info: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        precondition(info.offset >= 0 && info.offset + info.byteCount <= mapping.bytes.count,
                     "tensor '\(info.name)' is not from \(url.lastPathComponent)")
        return UnsafeRawBufferPointer(rebasing: mapping.bytes[info.offset..<info.offset + info.byteCount])
    }

    // MARK: Typed metadata

    /// The metadata value at `key`, or an error naming the key.
    public func value(_ key: String) throws -> GGUFValue {
        guard let v = metadata[key] else { throw FormatError(url, "metadata key '\(key)' is missing") }
        return v
    }

    // Each accessor throws an error naming the key when it is missing or of another type;
    // the conversions are those of `GGUFValue`'s properties of the same names.

    /// A string value.
    public func string(_ key: String) throws -> String { try typed(key, "a string", \.string) }
    /// An integer of any width that fits in `Int`.
    public func int(_ key: String) throws -> Int { try typed(key, "an integer", \.int) }
    /// A float32, float64 or integer value as `Float`.
    public func float(_ key: String) throws -> Float { try typed(key, "a number", \.float) }
    /// A bool value.
    public func bool(_ key: String) throws -> Bool { try typed(key, "a bool", \.bool) }
    /// An array of strings (e.g. `tokenizer.ggml.tokens`).
    public func stringArray(_ key: String) throws -> [String] { try typed(key, "an array of strings", \.stringArray) }
    /// An array of integers (e.g. `tokenizer.ggml.token_type`).
    public func intArray(_ key: String) throws -> [Int] { try typed(key, "an array of integers", \.intArray) }
    /// An array of numbers (e.g. `tokenizer.ggml.scores`).
    public func floatArray(_ key: String) throws -> [Float] { try typed(key, "an array of numbers", \.floatArray) }

    private func typed<T>(_ key: String, _ expected: String, _ convert: (GGUFValue) -> T?) throws -> T {
        let v = try value(key)
        guard let t = convert(v) else {
            throw FormatError(url, "metadata key '\(key)' is \(v.typeName), expected \(expected)")
        }
        return t
    }
}
