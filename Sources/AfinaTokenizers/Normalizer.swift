// Normalizers: what Hugging Face `tokenizers` does to text before pre-tokenization (the
// `normalizer` of tokenizer.json), a sequence of steps applied in order.

/// One normalization step.
enum NormalizerStep: Sendable, Equatable {
    case nfc
    case nfd
    case lowercase
    /// Drops combining marks (Mn, Mc, Me); meant to follow NFD.
    case stripAccents
    /// BERT's normalizer (tokenizers' normalizers/bert.rs).
    case bert(BertNormalization)
    /// Every occurrence of a string replaced by another (`Replace` with a String pattern; Llama 2
    /// and Gemma spell spaces "▁" this way).
    case replace(String, with: String)
    /// A string put before any non-empty text (`Prepend`; Llama 2's "▁" before the first word).
    case prepend(String)
    /// SentencePiece's compiled rules (`Precompiled`; T5's nmt_nfkc).
    case precompiled(PrecompiledCharsmap)
}

/// The switches of BertNormalizer, applied in this order.
struct BertNormalization: Sendable, Equatable {
    /// Drop NUL, U+FFFD and control characters; turn every whitespace character into a space.
    var cleanText = true
    /// Put spaces around CJK ideographs, so each one becomes a word.
    var handleChineseChars = true
    /// NFD, then drop nonspacing marks ("Crème" -> "Creme").
    var stripAccents = true
    var lowercase = true

    func apply(_ text: String) -> String {
        let cleaned = cleanText || handleChineseChars ? separated(text) : text
        guard stripAccents || lowercase else { return cleaned }
        // Accents are stripped before lowercasing, so marks a lowercase mapping adds (İ -> i̇) stay.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(cleaned.utf8.count)
        for scalar in (stripAccents ? BertUnicode.nfd(cleaned) : cleaned).unicodeScalars {
            if stripAccents && BertUnicode.isNonspacingMark(scalar) { continue }
            if lowercase { BertUnicode.appendLowercase(scalar, to: &bytes) } else { bytes.append(utf8: scalar) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `clean_text` and `handle_chinese_chars`.
    private func separated(_ text: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if cleanText {
                if scalar == "\0" || scalar == "\u{FFFD}" || BertUnicode.isControl(scalar) { continue }
                if BertUnicode.isWhitespace(scalar) {
                    bytes.append(0x20)
                    continue
                }
            }
            if handleChineseChars && BertUnicode.isChinese(scalar) {
                bytes.append(0x20)
                bytes.append(utf8: scalar)
                bytes.append(0x20)
            } else {
                bytes.append(utf8: scalar)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension String {
    /// Every occurrence of `pattern` replaced, matched by scalars as `tokenizers` does (Swift's
    /// `replacing` matches characters, so it would miss a space followed by a combining mark).
    func replacingScalars(_ pattern: String, with replacement: String) -> String {
        String(decoding: Array(utf8).replacing(Array(pattern.utf8), with: Array(replacement.utf8)), as: UTF8.self)
    }
}

extension [UInt8] {
    /// Every occurrence of `from` replaced, left to right without overlaps (Rust's `str::replace`);
    /// on UTF-8, a match of valid UTF-8 always starts and ends on scalar boundaries.
    func replacing(_ from: [UInt8], with to: [UInt8]) -> [UInt8] {
        guard let first = from.first, count >= from.count else { return self }
        var result: [UInt8] = [], i = 0
        result.reserveCapacity(count)
        while i < count {
            if self[i] == first && self[i...].starts(with: from) {
                result += to
                i += from.count
            } else {
                result.append(self[i])
                i += 1
            }
        }
        return result
    }
}

extension [NormalizerStep] {
    /// `text` after every step.
    func normalize(_ text: String) -> String {
        reduce(text) { text, step in
            switch step {
            case .nfc:
                // Scalars below U+0300 are unchanged by NFC whatever surrounds them. The standard
                // library's NFC is used because Foundation's on Linux turns some old Hangul jamo
                // sequences (U+1113 U+1165) into U+FFFD.
                text.unicodeScalars.contains { $0.value >= 0x300 } ? String(decoding: text._nfcCodeUnits, as: UTF8.self) : text
            case .nfd:
                BertUnicode.nfd(text)
            case .lowercase:
                String(decoding: text.unicodeScalars.reduce(into: []) { BertUnicode.appendLowercase($1, to: &$0) }, as: UTF8.self)
            case .stripAccents:
                String(decoding: text.unicodeScalars.reduce(into: []) { if !BertUnicode.isCombiningMark($1) { $0.append(utf8: $1) } },
                       as: UTF8.self)
            case let .bert(bert):
                bert.apply(text)
            case let .replace(pattern, replacement):
                text.replacingScalars(pattern, with: replacement)
            case let .prepend(prefix):
                text.isEmpty ? text : prefix + text
            case let .precompiled(charsmap):
                charsmap.normalize(text)
            }
        }
    }
}
