// Reading members of a zip archive (a Python wheel), following PKWARE's APPNOTE.TXT:
// end-of-central-directory record -> central directory -> local headers -> stored or
// deflated data. No ZIP64: wheels with members over 4 GiB are rejected with a message.
import CZlib
import Foundation

public struct ZipError: Error, CustomStringConvertible {
    public let description: String
}

/// A zip file opened for extracting members by name.
public struct ZipArchive {
    public struct Entry {
        public let name: String
        let method: UInt16
        let crc: UInt32
        let compressedSize: Int
        public let size: Int
        let localHeaderOffset: Int
    }

    public let url: URL
    public let entries: [Entry]
    private let handle: FileHandle
    private let fileSize: Int

    public init(url: URL) throws {
        self.url = url
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw ZipError(description: "\(url.path): cannot open")
        }
        self.handle = handle
        fileSize = Int(try handle.seekToEnd())
        let tail = try Self.read(handle, at: max(0, fileSize - 65_557), count: min(fileSize, 65_557))
        guard let eocd = (0...max(0, tail.count - 22)).reversed().first(where: { tail.u32($0) == 0x0605_4b50 }) else {
            throw ZipError(description: "\(url.path): not a zip archive (no end-of-central-directory record)")
        }
        let count = Int(tail.u16(eocd + 10)), size = Int(tail.u32(eocd + 12)), offset = Int(tail.u32(eocd + 16))
        guard offset + size <= fileSize else { throw ZipError(description: "\(url.path): truncated central directory") }
        let directory = try Self.read(handle, at: offset, count: size)
        var entries: [Entry] = [], p = 0
        for _ in 0..<count {
            guard p + 46 <= directory.count, directory.u32(p) == 0x0201_4b50 else {
                throw ZipError(description: "\(url.path): corrupt central directory entry")
            }
            let nameLength = Int(directory.u16(p + 28))
            let next = p + 46 + nameLength + Int(directory.u16(p + 30)) + Int(directory.u16(p + 32))
            guard next <= directory.count else { throw ZipError(description: "\(url.path): corrupt central directory") }
            entries.append(Entry(name: String(decoding: directory[(p + 46)..<(p + 46 + nameLength)], as: UTF8.self),
                                 method: directory.u16(p + 10), crc: directory.u32(p + 16),
                                 compressedSize: Int(directory.u32(p + 20)), size: Int(directory.u32(p + 24)),
                                 localHeaderOffset: Int(directory.u32(p + 42))))
            p = next
        }
        self.entries = entries
    }

    /// Appends member `name` to `destination`, checking its CRC-32.
    public func extract(_ name: String, to destination: FileHandle) throws {
        guard let entry = entries.first(where: { $0.name == name }) else {
            throw ZipError(description: "\(url.path): no member '\(name)'")
        }
        guard entry.size != 0xFFFF_FFFF, entry.compressedSize != 0xFFFF_FFFF else {
            throw ZipError(description: "\(url.path): '\(name)' needs ZIP64, which is not supported")
        }
        let local = try Self.read(handle, at: entry.localHeaderOffset, count: 30)
        guard local.u32(0) == 0x0403_4b50 else { throw ZipError(description: "\(url.path): corrupt local header of '\(name)'") }
        let dataStart = entry.localHeaderOffset + 30 + Int(local.u16(26)) + Int(local.u16(28))
        guard dataStart + entry.compressedSize <= fileSize else {
            throw ZipError(description: "\(url.path): '\(name)' runs past the end of the file (truncated download?)")
        }
        try handle.seek(toOffset: UInt64(dataStart))
        var crc = crc32(0, nil, 0)
        let write: (Data) throws -> Void = { chunk in
            crc = chunk.withUnsafeBytes { crc32(crc, $0.baseAddress?.assumingMemoryBound(to: Bytef.self), uInt($0.count)) }
            try destination.write(contentsOf: chunk)
        }
        switch entry.method {
        case 0: try copyStored(entry, write)
        case 8: try inflate(entry, write)
        default: throw ZipError(description: "\(url.path): '\(name)' uses compression method \(entry.method); only stored and deflate are supported")
        }
        guard crc == entry.crc else { throw ZipError(description: "\(url.path): CRC mismatch in '\(name)' (corrupt download)") }
    }

    private func copyStored(_ entry: Entry, _ write: (Data) throws -> Void) throws {
        var left = entry.size
        while left > 0 {
            let chunk = try handle.read(upToCount: min(left, 1 << 22)) ?? Data()
            guard !chunk.isEmpty else { throw ZipError(description: "\(url.path): '\(entry.name)' truncated") }
            try write(chunk)
            left -= chunk.count
        }
    }

    private func inflate(_ entry: Entry, _ write: (Data) throws -> Void) throws {
        var stream = z_stream()
        guard inflateInit2_(&stream, -MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw ZipError(description: "zlib: inflateInit2 failed")
        }
        defer { inflateEnd(&stream) }
        var left = entry.compressedSize, produced = 0
        var output = [UInt8](repeating: 0, count: 1 << 22)
        var status = Z_OK
        while status != Z_STREAM_END {
            let input = left > 0 ? try handle.read(upToCount: min(left, 1 << 22)) ?? Data() : Data()
            left -= input.count
            guard !input.isEmpty || status == Z_OK else { break }
            try input.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                stream.next_in = UnsafeMutablePointer(mutating: raw.bindMemory(to: Bytef.self).baseAddress)
                stream.avail_in = uInt(raw.count)
                repeat {
                    let n = try output.withUnsafeMutableBytes { out -> Int in
                        stream.next_out = out.bindMemory(to: Bytef.self).baseAddress
                        stream.avail_out = uInt(out.count)
                        status = CZlib.inflate(&stream, Z_NO_FLUSH)
                        guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                            throw ZipError(description: "\(url.path): '\(entry.name)' is corrupt (zlib error \(status))")
                        }
                        return out.count - Int(stream.avail_out)
                    }
                    if n > 0 { try write(Data(output[0..<n])); produced += n }
                } while stream.avail_out == 0 && status != Z_STREAM_END
            }
            if input.isEmpty && status != Z_STREAM_END {
                throw ZipError(description: "\(url.path): '\(entry.name)' ends early (truncated download?)")
            }
        }
        guard produced == entry.size else {
            throw ZipError(description: "\(url.path): '\(entry.name)' inflated to \(produced) bytes, expected \(entry.size)")
        }
    }

    private static func read(_ handle: FileHandle, at offset: Int, count: Int) throws -> Data {
        try handle.seek(toOffset: UInt64(offset))
        return try handle.read(upToCount: count) ?? Data()
    }
}

private extension Data {
    func u16(_ i: Int) -> UInt16 { UInt16(self[startIndex + i]) | UInt16(self[startIndex + i + 1]) << 8 }
    func u32(_ i: Int) -> UInt32 { UInt32(u16(i)) | UInt32(u16(i + 2)) << 16 }
}
