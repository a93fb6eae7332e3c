// A safetensors file, memory-mapped (spec: huggingface/safetensors README, "Format"):
// u64 little-endian header size N, N bytes of JSON header
// {"__metadata__": {str: str}?, name: {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}},
// then the data buffer; offsets are relative to its start. Afina reads F32, F16, BF16 and I32.
import AfinaTensor
import Foundation

/// One tensor of a safetensors file, in place in the file's mapping.
public struct SafetensorsTensor: @unchecked Sendable {
    public let name: String
    public let dtype: DType
    public let shape: [Int]
    /// The elements, row-major, little-endian.
    public let bytes: UnsafeRawBufferPointer
    /// Keeps `bytes` mapped: pass it as the owner of a tensor that borrows them.
    public let owner: AnyObject
}

/// A safetensors file: its tensors by name and its string metadata.
public final class SafetensorsFile: Sendable {
    /// The file's location, as opened.
    public let url: URL
    /// The header's `__metadata__` (empty when absent).
    public let metadata: [String: String]
    /// Every tensor name, sorted.
    public let tensorNames: [String]
    private let entries: [String: Entry]
    private let mapping: MappedFile

    /// The Python library's limit on the header size.
    static let maximumHeaderSize = 100_000_000

    struct Entry: Sendable {
        let dtype: String
        let shape: [Int]
        /// Absolute byte range in the file.
        let range: Range<Int>
    }

    /// Maps and validates the file at `url`: header size, JSON, and every tensor's offsets and size.
    public init(url: URL) throws {
        mapping = try MappedFile(url: url)
        self.url = url
        let bytes = mapping.bytes
        guard bytes.count >= 8 else {
            throw FormatError(url, "not a safetensors file (\(bytes.count) bytes; "
                + "it must start with an 8-byte header size)")
        }
        let headerSize = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        guard headerSize <= UInt64(min(bytes.count - 8, Self.maximumHeaderSize)) else {
            let isGGUF = bytes.starts(with: "GGUF".utf8)
            let limit = headerSize > UInt64(Self.maximumHeaderSize) ? "the 100 MB limit" : "the file size \(bytes.count)"
            throw FormatError(url, "not a safetensors file: header size \(headerSize) exceeds \(limit)",
                hint: isGGUF ? "this is a GGUF file; open it as one" : "the file is corrupt or truncated")
        }
        let dataStart = 8 + Int(headerSize)
        let header = try Self.parseHeader(UnsafeRawBufferPointer(rebasing: bytes[8..<dataStart]), url: url)
        metadata = header.metadata
        var entries: [String: Entry] = [:]
        for (name, value) in header.tensors {
            entries[name] = try Self.entry(name, value, dataStart: dataStart, fileSize: bytes.count, url: url)
        }
        self.entries = entries
        tensorNames = entries.keys.sorted()
    }

    /// Whether the file holds a tensor named `name`.
    public func contains(_ name: String) -> Bool { entries[name] != nil }

    /// The tensor `name`; throws if it is absent or of a dtype Afina does not read.
    public func tensor(named name: String) throws -> SafetensorsTensor {
        guard let e = entries[name] else { throw FormatError(url, "no tensor named '\(name)'") }
        guard let dtype = DType(safetensors: e.dtype) else {
            throw FormatError(url, "tensor '\(name)' has dtype \(e.dtype), which Afina does not read "
                + "(supported: \(DType.safetensorsNames.joined(separator: ", ")))")
        }
        return SafetensorsTensor(name: name, dtype: dtype, shape: e.shape,
                                 bytes: UnsafeRawBufferPointer(rebasing: mapping.bytes[e.range]), owner: self)
    }

    private static func parseHeader(_ json: UnsafeRawBufferPointer, url: URL) throws
        -> (metadata: [String: String], tensors: [String: Any]) {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(json))
        } catch {
            throw FormatError(url, "the safetensors header is not valid JSON (\(error.localizedDescription))",
                              hint: "the file is corrupt or not a safetensors file")
        }
        guard var tensors = object as? [String: Any] else {
            throw FormatError(url, "the safetensors header is not a JSON object")
        }
        var metadata: [String: String] = [:]
        if let m = tensors.removeValue(forKey: "__metadata__") {
            guard let m = m as? [String: String] else {
                throw FormatError(url, "the safetensors __metadata__ must map strings to strings")
            }
            metadata = m
        }
        return (metadata, tensors)
    }

    private static func entry(_ name: String, _ value: Any, dataStart: Int, fileSize: Int, url: URL) throws -> Entry {
        guard let fields = value as? [String: Any], let dtype = fields["dtype"] as? String,
              let shape = fields["shape"] as? [Int], let offsets = fields["data_offsets"] as? [Int],
              offsets.count == 2, shape.allSatisfy({ $0 >= 0 }) else {
            throw FormatError(url, "header entry for tensor '\(name)' needs \"dtype\" (string), \"shape\" "
                + "(non-negative integers) and \"data_offsets\" ([begin, end])")
        }
        let dataSize = fileSize - dataStart
        guard 0 <= offsets[0], offsets[0] <= offsets[1], offsets[1] <= dataSize else {
            throw FormatError(url, "truncated: tensor '\(name)' data ends at byte \(dataStart + offsets[1]) "
                + "but the file has \(fileSize) bytes (data_offsets \(offsets))",
                hint: "the download may be incomplete; compare the file size with the source")
        }
        if let type = DType(safetensors: dtype) {
            let expected = shape.checkedProduct?.multipliedReportingOverflow(by: type.bytesPerBlock)
            guard let expected, !expected.overflow, expected.partialValue == offsets[1] - offsets[0] else {
                throw FormatError(url, "tensor '\(name)' (\(dtype) \(shape)) has \(offsets[1] - offsets[0]) bytes "
                    + "of data, which does not match its shape")
            }
        }
        return Entry(dtype: dtype, shape: shape, range: dataStart + offsets[0]..<dataStart + offsets[1])
    }
}

extension DType {
    /// The element types Afina reads from and writes to safetensors, by their header names.
    static let safetensorsNames = ["F32", "F16", "BF16", "I32"]

    init?(safetensors name: String) {
        switch name {
        case "F32": self = .f32
        case "F16": self = .f16
        case "BF16": self = .bf16
        case "I32": self = .i32
        default: return nil
        }
    }
}
