// Bounds-checked little-endian reads from a mapped file: every read either fits in the file
// or throws a FormatError saying what was being read, where, and how short the file is.
import Foundation

struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    let url: URL
    /// Byte offset of the next read.
    var offset = 0

    init(_ bytes: UnsafeRawBufferPointer, url: URL) {
        self.bytes = bytes
        self.url = url
    }

    var remaining: Int { bytes.count - offset }

    /// A little-endian integer; `what` names it in the error if the file ends first.
    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw truncated(what(), needs: size) }
        defer { offset += size }
        return T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    /// A GGUF string: u64 byte length, then UTF-8 bytes (invalid sequences become U+FFFD).
    mutating func string(_ what: @autoclosure () -> String) throws -> String {
        let length = try read(UInt64.self, what())
        guard length <= UInt64(remaining) else {
            throw FormatError(url, "\(what()) at byte \(offset - 8) claims \(length) bytes "
                + "but only \(remaining) remain",
                              hint: "the file is corrupt or truncated")
        }
        let n = Int(length)
        defer { offset += n }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + n]), as: UTF8.self)
    }

    func truncated(_ what: String, needs size: Int) -> FormatError {
        FormatError(url, "truncated: \(what) at byte \(offset) needs \(size) bytes "
            + "but the file has only \(bytes.count)",
                    hint: "the download may be incomplete; compare the file size with the source")
    }
}
