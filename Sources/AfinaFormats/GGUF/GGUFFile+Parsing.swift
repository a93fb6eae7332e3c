// Parsing and validating a GGUF header (ggml's docs/gguf.md; checks as llama.cpp's gguf.c):
// version, metadata values (13 types, arrays nested at most a few deep), alignment, and
// tensor infos whose data must lie, aligned, inside the file.
import AfinaTensor
import Foundation

extension GGUFFile {
    static let magic: UInt32 = 0x4655_4747  // "GGUF" read as a little-endian u32
    /// Deepest array nesting accepted (real files use 1; the limit guards the stack).
    static let maximumArrayDepth = 8

    static func readVersion(_ reader: inout ByteReader) throws -> Int {
        let url = reader.url
        guard reader.bytes.count >= 4 else {
            throw FormatError(url, "not a GGUF file (only \(reader.bytes.count) bytes)")
        }
        let magic = try reader.read(UInt32.self, "magic")
        guard magic == Self.magic else {
            let hex = String(magic, radix: 16, uppercase: true)
            throw FormatError(url, "not a GGUF file (magic 0x\(hex), expected 'GGUF')",
                              hint: "Afina reads .gguf files and Hugging Face directories of safetensors")
        }
        let version = try reader.read(UInt32.self, "version")
        switch version {
        case 2, 3:
            return Int(version)
        case 1:
            throw FormatError(url, "GGUF version 1 is not supported (Afina reads versions 2 and 3)",
                              hint: "convert the model again with a current llama.cpp")
        case _ where (2...3).contains(version.byteSwapped):
            throw FormatError(url, "big-endian GGUF is not supported", hint: "use the little-endian file")
        default:
            throw FormatError(url, "unsupported GGUF version \(version) (Afina reads versions 2 and 3)")
        }
    }

    static func readMetadata(_ reader: inout ByteReader, count: UInt64) throws -> [String: GGUFValue] {
        // Smallest entry: 8-byte key length, 4-byte type, 1-byte value.
        try checkCount(count, of: "metadata entries", minimumSize: 13, reader)
        var metadata: [String: GGUFValue] = [:]
        for i in 0..<Int(count) {
            let key = try reader.string("key of metadata entry \(i)")
            let type = try reader.read(UInt32.self, "type of metadata '\(key)'")
            let value = try readValue(&reader, type: type, key: key, depth: 0)
            guard metadata.updateValue(value, forKey: key) == nil else {
                throw FormatError(reader.url, "duplicate metadata key '\(key)'")
            }
        }
        return metadata
    }

    private static func readValue(_ r: inout ByteReader, type: UInt32, key: String, depth: Int) throws -> GGUFValue {
        let what = "value of metadata '\(key)'"
        switch type {
        case 0: return .uint8(try r.read(UInt8.self, what))
        case 1: return .int8(try r.read(Int8.self, what))
        case 2: return .uint16(try r.read(UInt16.self, what))
        case 3: return .int16(try r.read(Int16.self, what))
        case 4: return .uint32(try r.read(UInt32.self, what))
        case 5: return .int32(try r.read(Int32.self, what))
        case 6: return .float32(Float(bitPattern: try r.read(UInt32.self, what)))
        case 7: return .bool(try r.read(UInt8.self, what) != 0)
        case 8: return .string(try r.string(what))
        case 9:
            guard depth < maximumArrayDepth else {
                throw FormatError(r.url, "metadata '\(key)' nests arrays more than \(maximumArrayDepth) deep")
            }
            let elementType = try r.read(UInt32.self, "element type of metadata '\(key)'")
            let count = try r.read(UInt64.self, "length of metadata '\(key)'")
            guard let size = minimumValueSize(elementType) else {
                throw unknownValueType(elementType, key: key, r.url)
            }
            try checkCount(count, of: "elements in metadata '\(key)'", minimumSize: size, r)
            var elements: [GGUFValue] = []
            elements.reserveCapacity(Int(count))
            for _ in 0..<Int(count) {
                elements.append(try readValue(&r, type: elementType, key: key, depth: depth + 1))
            }
            return .array(elements)
        case 10: return .uint64(try r.read(UInt64.self, what))
        case 11: return .int64(try r.read(Int64.self, what))
        case 12: return .float64(Double(bitPattern: try r.read(UInt64.self, what)))
        default: throw unknownValueType(type, key: key, r.url)
        }
    }

    /// Bytes the smallest value of a GGUF value type takes; nil for an unknown type.
    private static func minimumValueSize(_ type: UInt32) -> Int? {
        switch type {
        case 0, 1, 7: 1
        case 2, 3: 2
        case 4, 5, 6: 4
        case 8, 10, 11, 12: 8
        case 9: 12
        default: nil
        }
    }

    private static func unknownValueType(_ type: UInt32, key: String, _ url: URL) -> FormatError {
        FormatError(url, "metadata '\(key)' has unknown value type \(type) (GGUF defines 0 to 12)",
                    hint: "the file is corrupt or from a newer GGUF version")
    }

    /// Rejects counts that could not fit in the rest of the file before allocating for them.
    private static func checkCount(_ count: UInt64, of what: String, minimumSize: Int, _ reader: ByteReader) throws {
        guard count <= UInt64(reader.remaining / minimumSize) else {
            throw FormatError(reader.url, "header claims \(count) \(what) but only \(reader.remaining) bytes remain",
                              hint: "the file is corrupt or truncated")
        }
    }

    static func alignment(_ metadata: [String: GGUFValue], url: URL) throws -> Int {
        guard let value = metadata["general.alignment"] else { return 32 }
        guard case .uint32(let a) = value, a > 0, a & (a - 1) == 0 else {
            throw FormatError(url, "general.alignment must be a uint32 power of two, got \(value)")
        }
        return Int(a)
    }

    static func readTensorInfos(_ reader: inout ByteReader, count: UInt64, alignment: Int) throws -> [GGUFTensorInfo] {
        let url = reader.url
        // Smallest info: 8-byte name length, 4-byte n_dims, 4-byte type, 8-byte offset.
        try checkCount(count, of: "tensors", minimumSize: 24, reader)
        var raw: [(name: String, ne: [Int], dtype: DType, offset: UInt64)] = []
        var names = Set<String>()
        for i in 0..<Int(count) {
            let name = try reader.string("name of tensor \(i)")
            guard names.insert(name).inserted else { throw FormatError(url, "duplicate tensor '\(name)'") }
            let dims = try reader.read(UInt32.self, "dimension count of tensor '\(name)'")
            guard dims <= 4 else {
                throw FormatError(url, "tensor '\(name)' has \(dims) dimensions (GGUF allows at most 4)")
            }
            let ne = try (0..<Int(dims)).map { d in
                let n = try reader.read(UInt64.self, "dimension \(d) of tensor '\(name)'")
                guard let n = Int(exactly: n) else {
                    throw FormatError(url, "tensor '\(name)' dimension \(d) is \(n), too large")
                }
                return n
            }
            let type = try reader.read(UInt32.self, "type of tensor '\(name)'")
            guard let dtype = DType(rawValue: type) else { throw unsupportedType(type, tensor: name, url) }
            raw.append((name, ne, dtype, try reader.read(UInt64.self, "offset of tensor '\(name)'")))
        }
        let dataStart = (reader.offset + alignment - 1) / alignment * alignment
        return try raw.map { t in
            let byteCount = try dataSize(name: t.name, ne: t.ne, dtype: t.dtype, url)
            guard t.offset % UInt64(alignment) == 0 else {
                throw FormatError(url, "tensor '\(t.name)' data offset \(t.offset) is not a multiple of "
                    + "the alignment \(alignment)")
            }
            let (start, startOverflow) = dataStart.addingReportingOverflow(Int(clamping: t.offset))
            let (end, endOverflow) = start.addingReportingOverflow(byteCount)
            guard !startOverflow, !endOverflow, end <= reader.bytes.count else {
                let position = startOverflow || endOverflow ? "beyond byte \(Int.max)" : "at byte \(end)"
                throw FormatError(url, "truncated: tensor '\(t.name)' data ends \(position) "
                    + "but the file has \(reader.bytes.count) bytes",
                                  hint: "the download may be incomplete; compare the file size with the source")
            }
            return GGUFTensorInfo(name: t.name, ne: t.ne, shape: t.ne.reversed(), dtype: t.dtype,
                                  offset: start, byteCount: byteCount)
        }
    }

    /// Bytes of a tensor's data; its rows (ne[0]) must be whole blocks.
    private static func dataSize(name: String, ne: [Int], dtype: DType, _ url: URL) throws -> Int {
        let rowLength = ne.first ?? 1
        guard rowLength % dtype.blockSize == 0 else {
            throw FormatError(url, "tensor '\(name)' has rows of \(rowLength) elements, not a multiple of the "
                + "\(dtype) block size \(dtype.blockSize)")
        }
        let blocks = ([rowLength / dtype.blockSize] + ne.dropFirst()).checkedProduct
        guard let bytes = blocks?.multipliedReportingOverflow(by: dtype.bytesPerBlock), !bytes.overflow else {
            throw FormatError(url, "tensor '\(name)' is too large: ne = \(ne)")
        }
        return bytes.partialValue
    }

    private static func unsupportedType(_ type: UInt32, tensor: String, _ url: URL) -> FormatError {
        let supported = "supported: " + DType.allCases.map(\.description).joined(separator: ", ")
        guard let name = ggmlTypeNames[type] else {
            return FormatError(url, "unknown tensor type \(type) for tensor '\(tensor)' (\(supported))",
                               hint: "the file is corrupt or from a newer GGUF version")
        }
        return FormatError(url, "tensor '\(tensor)' has type \(name) (\(type)), which Afina cannot read (\(supported))",
                           hint: "use a file quantized to a supported type, e.g. Q4_K_M or Q8_0")
    }

    /// ggml type ids Afina cannot read, named for error messages (ggml.h `enum ggml_type`).
    private static let ggmlTypeNames: [UInt32: String] = [
        9: "Q8_1", 10: "Q2_K", 11: "Q3_K", 15: "Q8_K", 16: "IQ2_XXS", 17: "IQ2_XS", 18: "IQ3_XXS",
        19: "IQ1_S", 20: "IQ4_NL", 21: "IQ3_S", 22: "IQ2_S", 23: "IQ4_XS", 24: "I8", 25: "I16",
        27: "I64", 28: "F64", 29: "IQ1_M", 34: "TQ1_0", 35: "TQ2_0", 39: "MXFP4",
    ]
}
