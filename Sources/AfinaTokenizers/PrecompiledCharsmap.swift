// SentencePiece's compiled normalization rules (`precompiled_charsmap`: nmt_nfkc for T5 and
// Flan-T5), as Hugging Face `tokenizers` applies them (normalizers/precompiled.rs over the
// spm_precompiled crate). The blob is a little-endian u32 byte size, a darts-clone double-array
// trie over UTF-8 keys of that size, then a pool of NUL-terminated replacements the trie's
// values point into.
//
// Text is taken a grapheme cluster at a time: a cluster under 6 bytes is replaced whole when a
// rule matches it, otherwise each scalar of it is, and an unmatched scalar stays. A rule matches
// a chunk when its key is a prefix of the chunk; the shortest such key wins and its replacement
// stands for the whole chunk. (sentencepiece itself takes the longest match and moves on; the
// ids this library must reproduce are those of `tokenizers`.)

/// Compiled SentencePiece normalization rules.
struct PrecompiledCharsmap: Sendable, Equatable {
    /// The trie's units: bit 8 says a key ends below, bits 0-7 (and 31) are the label, bits
    /// 10-31 the offset to the children (shifted by 8 more when bit 9 is set).
    private let units: [UInt32]
    private let pool: [UInt8]

    /// Reads the blob; `source` names the file for errors.
    init(_ blob: [UInt8], source: String) throws {
        func invalid(_ reason: String) -> TokenizerError {
            .invalid(source: source, reason: "normalizer Precompiled: precompiled_charsmap \(reason)")
        }
        guard blob.count >= 4 else { throw invalid("is \(blob.count) bytes, shorter than its 4-byte header") }
        let trieBytes = blob[0..<4].reversed().reduce(0) { $0 << 8 | Int($1) }
        guard trieBytes % 4 == 0, trieBytes <= blob.count - 4 else {
            throw invalid("says its trie has \(trieBytes) bytes, which \(blob.count - 4) bytes of data cannot hold in u32 units")
        }
        units = stride(from: 4, to: 4 + trieBytes, by: 4).map { i in
            blob[i..<i + 4].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        }
        pool = Array(blob[(4 + trieBytes)...])
        // `tokenizers` refuses a pool that is not UTF-8, so replacements are always text.
        guard String(validating: pool, as: UTF8.self) != nil else { throw invalid("has replacements that are not UTF-8") }
    }

    /// The replacement for `chunk`: that of the shortest key that is a prefix of it, or nil.
    func replacement(_ chunk: some Sequence<UInt8>) -> ArraySlice<UInt8>? {
        guard let root = units.first else { return nil }
        var node = Self.offset(root)
        for byte in chunk {
            if byte == 0 { break }
            node ^= Int(byte)
            guard node < units.count, units[node] & 0x8000_00FF == UInt32(byte) else { return nil }
            let unit = units[node]
            node ^= Self.offset(unit)
            guard unit & 0x100 != 0 else { continue }
            guard node < units.count else { return nil }
            let start = Int(units[node] & 0x7FFF_FFFF)
            guard start <= pool.count else { return nil }
            return pool[start..<(pool[start...].firstIndex(of: 0) ?? pool.count)]
        }
        return nil
    }

    private static func offset(_ unit: UInt32) -> Int {
        Int((unit >> 10) << ((unit & 0x200) >> 6))
    }

    /// `text` with the rules applied.
    func normalize(_ text: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for cluster in text {
            if cluster.utf8.count < 6, let whole = replacement(cluster.utf8) {
                bytes += whole
                continue
            }
            for scalar in cluster.unicodeScalars {
                if let replaced = replacement(String(scalar).utf8) { bytes += replaced } else { bytes.append(utf8: scalar) }
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
