// Incremental decoding for generation: a token can end in the middle of a multi-byte UTF-8
// character (byte-level BPE splits emoji and CJK across tokens), so bytes that could still
// become a character are held back until the next token completes them.

/// Decodes ids one at a time into complete text. The concatenation of every `next` result and
/// `finish()` equals `tokenizer.decode(ids)` for the same ids, except where tokenizer_config.json
/// asks transformers to clean up spaces over the whole text (some WordPiece models).
public struct StreamingDecoder: Sendable {
    public let tokenizer: Tokenizer
    public let skipSpecial: Bool
    private var pending: [UInt8] = []
    /// Whether a token was decoded yet (WordPiece puts no space before the first).
    private var started = false

    public init(tokenizer: Tokenizer, skipSpecial: Bool = false) {
        self.tokenizer = tokenizer
        self.skipSpecial = skipSpecial
    }

    /// The text that `id` completes; empty while a character is still partial.
    public mutating func next(_ id: Int32) -> String {
        if tokenizer.appendPiece(of: id, skipSpecial: skipSpecial, isFirst: !started, to: &pending) { started = true }
        let end = pending.count - Self.incompleteSuffixLength(pending)
        guard end > 0 else { return "" }
        let text = String(decoding: pending[..<end], as: UTF8.self)
        pending.removeFirst(end)
        return text
    }

    /// Whatever is held back, with an unfinished character as U+FFFD (as `decode` would give).
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// The length of the trailing bytes that begin a valid UTF-8 sequence not yet complete
    /// (0 if the bytes end on a character boundary or on bytes no continuation can repair).
    static func incompleteSuffixLength(_ bytes: [UInt8]) -> Int {
        guard !bytes.isEmpty else { return 0 }
        for length in 1...min(3, bytes.count) {
            let lead = bytes[bytes.count - length]
            if lead & 0xC0 == 0x80 { continue }  // a continuation byte: look further back
            let needed = lead >= 0xF0 && lead <= 0xF4 ? 4 : lead >= 0xE0 && lead <= 0xEF ? 3 : lead >= 0xC2 && lead <= 0xDF ? 2 : 1
            guard needed > length else { return 0 }
            // The second byte of E0, ED, F0 and F4 sequences has a narrower range (Unicode Table 3-7).
            if length >= 2 {
                let second = bytes[bytes.count - length + 1]
                let range: ClosedRange<UInt8> = switch lead {
                case 0xE0: 0xA0...0xBF
                case 0xED: 0x80...0x9F
                case 0xF0: 0x90...0xBF
                case 0xF4: 0x80...0x8F
                default: 0x80...0xBF
                }
                guard range.contains(second) else { return 0 }
            }
            return length
        }
        return 0
    }
}
