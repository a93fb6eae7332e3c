// Writing safetensors files byte for byte as the Python library (safetensors 0.8, Rust
// `serialize`) does: tensors ordered by dtype (wider first, so each stays aligned) then name,
// compact JSON header with "__metadata__" first, padded with spaces to a multiple of 8.
// The file appears atomically: it is written under a temporary name and renamed.
import AfinaTensor
import Foundation

/// Writes safetensors files.
public enum SafetensorsWriter {
    /// One tensor to write: its row-major little-endian bytes (`Data`, `[UInt8]`, or an
    /// `UnsafeRawBufferPointer` valid for the duration of the call).
    public typealias Entry = (name: String, dtype: DType, shape: [Int], bytes: any ContiguousBytes)

    /// Writes `tensors` and `metadata` to `url`, replacing any file there only once the new
    /// one is complete. Types: F32, F16, BF16, I32; throws a `FormatError` for others, for
    /// duplicate names, or for bytes that do not match a shape.
    public static func write(tensors: [Entry], metadata: [String: String] = [:], to url: URL) throws {
        let ordered = try tensors.map { try checked($0, url: url) }.sorted {
            rank($0.dtype) != rank($1.dtype) ? rank($0.dtype) > rank($1.dtype) : $0.name < $1.name
        }
        var names: Set<String> = ["__metadata__"]
        for t in ordered {
            guard names.insert(t.name).inserted else {
                throw FormatError(url, "cannot write two tensors named '\(t.name)' (or one named __metadata__)")
            }
        }
        var json = Data(header(ordered, metadata: metadata).utf8)
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))

        try AtomicFile.create(at: url) { file in
            try file.append(withUnsafeBytes(of: UInt64(json.count).littleEndian) { Data($0) })
            try file.append(json)
            for t in ordered { try t.bytes.withUnsafeBytes { try file.append($0) } }
        }
    }

    /// The Rust library's `Dtype` order among the types Afina writes (sorted descending).
    private static func rank(_ dtype: DType) -> Int {
        switch dtype {
        case .f32: 3
        case .i32: 2
        case .bf16: 1
        default: 0
        }
    }

    private static func checked(_ t: Entry, url: URL) throws -> Entry {
        guard DType(safetensors: t.dtype.description) != nil else {
            throw FormatError(url, "cannot write \(t.dtype) tensor '\(t.name)': safetensors holds "
                + DType.safetensorsNames.joined(separator: ", ") + " here",
                hint: "dequantize it to F32 first")
        }
        let byteCount = t.bytes.withUnsafeBytes { $0.count }
        let expected = t.shape.checkedProduct?.multipliedReportingOverflow(by: t.dtype.bytesPerBlock)
        guard t.shape.allSatisfy({ $0 >= 0 }), let expected, !expected.overflow,
              expected.partialValue == byteCount else {
            throw FormatError(url, "tensor '\(t.name)' has \(byteCount) bytes, "
                + "which does not match \(t.dtype) \(t.shape)")
        }
        return t
    }

    private static func header(_ tensors: [Entry], metadata: [String: String]) -> String {
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(JSONText.quoted($0)):\(JSONText.quoted(metadata[$0]!))" }
            fields.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for t in tensors {
            let size = t.bytes.withUnsafeBytes { $0.count }
            let shape = t.shape.map(String.init).joined(separator: ",")
            fields.append("\(JSONText.quoted(t.name)):{\"dtype\":\"\(t.dtype)\",\"shape\":[\(shape)],"
                + "\"data_offsets\":[\(offset),\(offset + size)]}")
            offset += size
        }
        return "{" + fields.joined(separator: ",") + "}"
    }
}
