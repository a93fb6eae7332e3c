// The `model.vocab` object of a tokenizer.json read key by key, each token exactly as written.
// JSONDecoder and JSONSerialization key dictionaries by String, whose equality is Unicode
// canonical equivalence, so tokens that differ only in normalization ("é" as one scalar and as
// "e" + U+0301, Hangul syllables and their jamo) collapse into one key and the vocabulary loses
// ids. Gemma's 262k vocabulary has such pairs. The file has already been decoded (and so checked
// as JSON) when this runs; it only walks it again.
import Foundation

enum ExactVocabulary {
    /// The (token, id) pairs of `model.vocab` in file order, or nil when `model.vocab` is not an
    /// object of integers.
    static func pairs(in data: Data) -> [(token: String, id: Int32)]? {
        data.withUnsafeBytes { bytes in
            var scanner = Scanner(bytes: bytes.bindMemory(to: UInt8.self))
            guard scanner.enter(key: "model"), scanner.enter(key: "vocab") else { return nil }
            return scanner.integerObject()
        }
    }

    /// A cursor over JSON text known to be well-formed; every read still stays in bounds.
    private struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0

        init(bytes: UnsafeBufferPointer<UInt8>) {
            self.bytes = bytes
        }

        private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

        private mutating func skipSpace() {
            while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
        }

        private mutating func consume(_ byte: UInt8) -> Bool {
            skipSpace()
            guard current == byte else { return false }
            position += 1
            return true
        }

        /// Moves into the value of `key` in the object that starts here, if it is an object.
        mutating func enter(key: String) -> Bool {
            guard consume(UInt8(ascii: "{")) else { return false }
            let wanted = Array(key.utf8)
            while let name = string() {
                guard consume(UInt8(ascii: ":")) else { return false }
                skipSpace()
                if name == wanted { return current == UInt8(ascii: "{") }
                guard skipValue() else { return false }
                guard consume(UInt8(ascii: ",")) else { return false }
            }
            return false
        }

        /// The members of the object that starts here, each value an integer.
        mutating func integerObject() -> [(token: String, id: Int32)]? {
            guard consume(UInt8(ascii: "{")) else { return nil }
            var pairs: [(token: String, id: Int32)] = []
            if consume(UInt8(ascii: "}")) { return pairs }
            repeat {
                guard let name = string(), consume(UInt8(ascii: ":")), let id = integer() else { return nil }
                pairs.append((String(decoding: name, as: UTF8.self), id))
            } while consume(UInt8(ascii: ","))
            return consume(UInt8(ascii: "}")) ? pairs : nil
        }

        private mutating func integer() -> Int32? {
            skipSpace()
            let negative = current == UInt8(ascii: "-")
            if negative { position += 1 }
            var value: Int64 = 0, digits = 0
            while let byte = current, (0x30...0x39).contains(byte), digits < 11 {
                value = value * 10 + Int64(byte - 0x30)
                digits += 1
                position += 1
            }
            guard digits > 0, let result = Int32(exactly: negative ? -value : value) else { return nil }
            return result
        }

        /// The UTF-8 of the string that starts here, escapes resolved.
        private mutating func string() -> [UInt8]? {
            guard consume(UInt8(ascii: "\"")) else { return nil }
            var out: [UInt8] = []
            while let byte = current {
                position += 1
                switch byte {
                case UInt8(ascii: "\""): return out
                case UInt8(ascii: "\\"):
                    guard let escaped = current else { return nil }
                    position += 1
                    switch escaped {
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        guard let scalar = escapedScalar() else { return nil }
                        out += Array(String(scalar).utf8)
                    default: out.append(escaped)
                    }
                default: out.append(byte)
                }
            }
            return nil
        }

        /// The scalar of a `\uXXXX` escape (the "\u" read), joining a UTF-16 surrogate pair;
        /// a lone surrogate becomes U+FFFD, as serde_json's lossy reading does.
        private mutating func escapedScalar() -> Unicode.Scalar? {
            guard let unit = hexUnit() else { return nil }
            if (0xD800..<0xDC00).contains(unit), position + 1 < bytes.count,
               bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") {
                let mark = position
                position += 2
                if let low = hexUnit(), (0xDC00..<0xE000).contains(low) {
                    return Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                }
                position = mark
            }
            return Unicode.Scalar(unit) ?? "\u{FFFD}"
        }

        private mutating func hexUnit() -> UInt32? {
            guard position + 4 <= bytes.count, let unit = UInt32(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16) else {
                return nil
            }
            position += 4
            return unit
        }

        /// Steps over one value of any kind.
        private mutating func skipValue() -> Bool {
            skipSpace()
            switch current {
            case UInt8(ascii: "\""):
                return string() != nil
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var depth = 0
                while let byte = current {
                    switch byte {
                    case UInt8(ascii: "\""):
                        guard string() != nil else { return false }
                        continue
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        depth -= 1
                        if depth == 0 {
                            position += 1
                            return true
                        }
                    default: break
                    }
                    position += 1
                }
                return false
            case nil:
                return false
            default:
                // A number, true, false or null: up to the next delimiter.
                while let byte = current, byte != UInt8(ascii: ","), byte != UInt8(ascii: "}"), byte != UInt8(ascii: "]") { position += 1 }
                return true
            }
        }
    }
}
