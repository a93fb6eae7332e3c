// The character classes of the BERT pipeline as Hugging Face `tokenizers` computes them. Its
// categories come from crates with old tables: `unicode_categories` (Unicode 8.0: control and
// format characters, nonspacing marks, punctuation) and `unicode-normalization-alignments`
// (Unicode 9.0: NFD, combining marks). A scalar assigned later has no category there, so
// `tokenizers` leaves it alone; Swift's newer tables are gated by each scalar's age to agree.
// Whitespace and lowercasing come from Rust's standard library, which is current.
//
// NFD is the standard library's (an SPI, as `_nfcCodeUnits` is for NFC): Foundation's
// normalization on Linux has mishandled old Hangul jamo.
@_spi(_Unicode) import Swift

enum BertUnicode {
    /// Whether the scalar was assigned by Unicode `major.minor` (false for unassigned ones).
    static func assigned(_ scalar: Unicode.Scalar, by major: Int, _ minor: Int) -> Bool {
        guard let age = scalar.properties.age else { return false }
        return (age.major, age.minor) <= (major, minor)
    }

    /// `clean_text` drops these: control, format and private-use characters (Unicode 8.0),
    /// except the tab and line breaks, which are whitespace.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "\t" || scalar == "\n" || scalar == "\r" { return false }
        if scalar.isASCII { return scalar.value < 0x20 || scalar.value == 0x7F }
        switch scalar.properties.generalCategory {
        case .control, .format, .privateUse: return assigned(scalar, by: 8, 0)
        default: return false
        }
    }

    /// Unicode White_Space (Rust's `char::is_whitespace`), which includes \t \n \r.
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII ? scalar == " " || (0x09...0x0D).contains(scalar.value) : scalar.properties.isWhitespace
    }

    /// The CJK ideograph blocks BERT puts spaces around (not Hangul, kana or other scripts).
    static func isChinese(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
             0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F: true
        default: false
        }
    }

    /// Nonspacing marks (Mn, Unicode 8.0): what BertNormalizer's `strip_accents` drops after NFD.
    static func isNonspacingMark(_ scalar: Unicode.Scalar) -> Bool {
        // The first marks are at U+0300.
        scalar.value >= 0x300 && scalar.properties.generalCategory == .nonspacingMark && assigned(scalar, by: 8, 0)
    }

    /// Any mark (Mn, Mc, Me, Unicode 9.0): what the `StripAccents` normalizer drops.
    static func isCombiningMark(_ scalar: Unicode.Scalar) -> Bool {
        guard scalar.value >= 0x300 else { return false }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return assigned(scalar, by: 9, 0)
        default: return false
        }
    }

    /// BertPreTokenizer's punctuation: every ASCII symbol that is not a letter, digit or space
    /// (so `$`, `+`, `^` too), and Unicode punctuation (P*, Unicode 8.0).
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            return (0x21...0x2F).contains(scalar.value) || (0x3A...0x40).contains(scalar.value)
                || (0x5B...0x60).contains(scalar.value) || (0x7B...0x7E).contains(scalar.value)
        }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return assigned(scalar, by: 8, 0)
        default:
            return false
        }
    }

    /// The canonical decomposition (NFD) of `text` with Unicode 9.0's tables: a scalar assigned
    /// later neither decomposes nor reorders with the marks around it, as in those tables.
    static func nfd(_ text: String) -> String {
        // Scalars below U+00C0 neither decompose nor are marks, so the text is cut before each
        // of them (and around newer scalars) and only the stretches between are normalized.
        guard text.unicodeScalars.contains(where: { $0.value >= 0xC0 }) else { return text }
        var result: [UInt8] = [], stretch = String.UnicodeScalarView()
        result.reserveCapacity(text.utf8.count)
        func flush() {
            for scalar in String(stretch)._nfd { result.append(utf8: scalar) }
            stretch.removeAll(keepingCapacity: true)
        }
        for scalar in text.unicodeScalars {
            if scalar.value >= 0xC0 && (scalar.value < 0x300 || assigned(scalar, by: 9, 0)) {
                stretch.append(scalar)
            } else {
                if !stretch.isEmpty { flush() }
                result.append(utf8: scalar)
            }
        }
        flush()
        return String(decoding: result, as: UTF8.self)
    }

    /// Appends the full lowercase mapping of `scalar` on its own (Rust's `char::to_lowercase`:
    /// İ gives "i̇", and Σ is always σ, whatever follows it), as UTF-8.
    static func appendLowercase(_ scalar: Unicode.Scalar, to bytes: inout [UInt8]) {
        if scalar.isASCII {
            bytes.append(("A"..."Z").contains(scalar) ? UInt8(scalar.value + 32) : UInt8(scalar.value))
        } else {
            for lower in scalar.properties.lowercaseMapping.unicodeScalars { bytes.append(utf8: lower) }
        }
    }
}

extension [UInt8] {
    /// Appends the UTF-8 of `scalar`. Text is built as bytes: appending to a String's scalar
    /// view one scalar at a time is several times slower.
    mutating func append(utf8 scalar: Unicode.Scalar) {
        if scalar.isASCII {
            append(UInt8(scalar.value))
        } else {
            UTF8.encode(scalar) { append($0) }
        }
    }
}
