// Writing GGUF version 3 files (ggml's docs/gguf.md), the inverse of `GGUFFile`: header
// (magic, version, counts), metadata in the order given, tensor infos in the order given,
// then each tensor's data at the next multiple of the alignment (`general.alignment`, 32 by
// default), padded with zeros. Tensor bytes are produced one tensor at a time while writing,
// so a model is never held twice in memory. The file appears atomically (`AtomicFile`).
import AfinaTensor
import Foundation

/// Writes GGUF files.
public enum GGUFWriter {
    /// One tensor to write. `shape` is row-major ([out, in] for a weight, as `GGUFTensorInfo.shape`);
    /// `bytes` returns its data in `dtype` and is called once, when the data is written.
    public struct Tensor {
        public var name: String
        public var dtype: DType
        public var shape: [Int]
        public var bytes: () throws -> [UInt8]

        public init(name: String, dtype: DType, shape: [Int], bytes: @escaping () throws -> [UInt8]) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.bytes = bytes
        }
    }

    /// Writes `metadata` and `tensors` to `url`, replacing any file there once the new one is
    /// complete. Throws a `FormatError` for duplicate keys or names, mixed-type arrays, a
    /// tensor of more than 4 dimensions or with rows that are not whole blocks, or bytes that
    /// do not match a tensor's type and shape.
    public static func write(metadata: [(key: String, value: GGUFValue)], tensors: [Tensor], to url: URL) throws {
        let alignment = try GGUFFile.alignment(Dictionary(metadata, uniquingKeysWith: { first, _ in first }), url: url)
        var header = GGUFBytes()
        header.append(GGUFFile.magic)
        header.append(UInt32(3))
        header.append(UInt64(tensors.count))
        header.append(UInt64(metadata.count))
        var keys = Set<String>()
        for (key, value) in metadata {
            guard keys.insert(key).inserted else { throw FormatError(url, "cannot write metadata key '\(key)' twice") }
            header.append(key)
            header.append(typeID(of: value))
            try append(value, key: key, to: &header, url)
        }
        var names = Set<String>(), offset = 0, sizes: [Int] = []
        for t in tensors {
            guard names.insert(t.name).inserted else { throw FormatError(url, "cannot write two tensors named '\(t.name)'") }
            let size = try byteCount(t, url)
            header.append(t.name)
            header.append(UInt32(t.shape.count))
            for n in t.shape.reversed() { header.append(UInt64(n)) }
            header.append(t.dtype.rawValue)
            header.append(UInt64(offset))
            sizes.append(size)
            offset += padded(size, alignment)
        }
        header.pad(to: alignment)

        try AtomicFile.create(at: url) { output in
            try output.append(header.bytes)
            for (t, size) in zip(tensors, sizes) {
                let bytes = try t.bytes()
                guard bytes.count == size else {
                    throw FormatError(url, "tensor '\(t.name)' has \(bytes.count) bytes, which does not match "
                        + "\(t.dtype) \(t.shape) (\(size) bytes)")
                }
                try output.append(bytes)
                try output.append([UInt8](repeating: 0, count: padded(size, alignment) - size))
            }
        }
    }

    private static func padded(_ n: Int, _ alignment: Int) -> Int { (n + alignment - 1) / alignment * alignment }

    /// Bytes of a tensor's data, checked as the reader checks them.
    private static func byteCount(_ t: Tensor, _ url: URL) throws -> Int {
        guard (1...4).contains(t.shape.count), t.shape.allSatisfy({ $0 > 0 }) else {
            throw FormatError(url, "cannot write tensor '\(t.name)' of shape \(t.shape) (GGUF takes 1 to 4 positive dimensions)")
        }
        guard let count = t.shape.checkedProduct, let bytes = t.dtype.byteCount(elements: count),
              t.shape.last! % t.dtype.blockSize == 0 else {
            throw FormatError(url, "cannot write tensor '\(t.name)' as \(t.dtype): its rows of \(t.shape.last!) "
                + "elements are not whole blocks of \(t.dtype.blockSize)")
        }
        return bytes
    }

    /// The `gguf_metadata_value_type` of a value (as `GGUFFile` reads them).
    private static func typeID(of value: GGUFValue) -> UInt32 {
        switch value {
        case .uint8: 0
        case .int8: 1
        case .uint16: 2
        case .int16: 3
        case .uint32: 4
        case .int32: 5
        case .float32: 6
        case .bool: 7
        case .string: 8
        case .array: 9
        case .uint64: 10
        case .int64: 11
        case .float64: 12
        }
    }

    private static func append(_ value: GGUFValue, key: String, to out: inout GGUFBytes, _ url: URL) throws {
        switch value {
        case .uint8(let v): out.append(v)
        case .int8(let v): out.append(v)
        case .uint16(let v): out.append(v)
        case .int16(let v): out.append(v)
        case .uint32(let v): out.append(v)
        case .int32(let v): out.append(v)
        case .float32(let v): out.append(v.bitPattern)
        case .bool(let v): out.append(UInt8(v ? 1 : 0))
        case .string(let v): out.append(v)
        case .uint64(let v): out.append(v)
        case .int64(let v): out.append(v)
        case .float64(let v): out.append(v.bitPattern)
        case .array(let elements):
            // An empty array keeps no element type in `GGUFValue`; uint8 is as good as any.
            let elementType = elements.first.map(typeID) ?? 0
            out.append(elementType)
            out.append(UInt64(elements.count))
            for element in elements {
                guard typeID(of: element) == elementType else {
                    throw FormatError(url, "metadata '\(key)' mixes \(elements[0].typeName) and \(element.typeName) "
                        + "elements (a GGUF array holds one type)")
                }
                try append(element, key: key, to: &out, url)
            }
        }
    }
}

/// A growing little-endian byte buffer for the header.
struct GGUFBytes {
    private(set) var bytes: [UInt8] = []

    mutating func append<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.littleEndian) { bytes += $0 }
    }

    /// A GGUF string: u64 byte length, then UTF-8 bytes.
    mutating func append(_ s: String) {
        append(UInt64(s.utf8.count))
        bytes += s.utf8
    }

    mutating func pad(to alignment: Int) {
        bytes += [UInt8](repeating: 0, count: (alignment - bytes.count % alignment) % alignment)
    }
}
