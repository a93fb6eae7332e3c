// GPT-2's byte-level alphabet (openai/gpt-2 encoder.py `bytes_to_unicode`): every byte is
// spelled as one printable Unicode character, so a byte-level vocabulary is plain text.

enum ByteLevel {
    /// The character spelling each byte: printable Latin-1 bytes spell themselves, the other 68
    /// bytes take U+0100, U+0101, ... in byte order (so the space 0x20 is "Ġ", U+0120).
    static let characterOfByte: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            let printable = (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
            if printable {
                table[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                table[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// The byte each alphabet character spells.
    static let byteOfCharacter: [Unicode.Scalar: UInt8] = Dictionary(
        uniqueKeysWithValues: characterOfByte.enumerated().map { ($1, UInt8($0)) })

    /// The bytes a vocabulary entry stands for. As Hugging Face's ByteLevel decoder, a token
    /// with any character outside the alphabet (an added token such as "<|im start|>" with a
    /// real space) stands for its own UTF-8 bytes.
    static func bytes(of token: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(token.unicodeScalars.count)
        for scalar in token.unicodeScalars {
            guard let byte = byteOfCharacter[scalar] else { return Array(token.utf8) }
            bytes.append(byte)
        }
        return bytes
    }

    /// The alphabet spelling of some bytes (how a byte-level vocabulary writes them).
    static func spelling(of bytes: some Sequence<UInt8>) -> String {
        var text = String.UnicodeScalarView()
        for byte in bytes { text.append(characterOfByte[Int(byte)]) }
        return String(text)
    }
}
