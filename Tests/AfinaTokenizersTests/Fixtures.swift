// Fixtures written by scripts/make_tokenizer_fixtures.py (Tests/Fixtures/tokenizer/).
import AfinaTokenizers
import Foundation

enum Fixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tokenizer")

    /// One string of expected.json, with what transformers made of it.
    struct Case: Decodable {
        var text: String
        var ids: [Int32]
        var decoded: String
        var decodedSkipSpecial: String
        var pieces: [String]
        var words: [String]

        enum CodingKeys: String, CodingKey {
            case text, ids, decoded, pieces, words
            case decodedSkipSpecial = "decoded_skip_special"
        }
    }

    /// Random byte tokens that break UTF-8, and the text with U+FFFD that transformers decodes.
    struct InvalidUTF8: Decodable {
        var ids: [Int32]
        var decoded: String
    }

    struct Expected: Decodable {
        var gguf: String
        var cases: [Case]
        var invalidUTF8: [InvalidUTF8]

        enum CodingKeys: String, CodingKey {
            case gguf, cases
            case invalidUTF8 = "invalid_utf8"
        }
    }

    static func expected(_ model: String) throws -> Expected {
        let data = try Data(contentsOf: folder.appendingPathComponent("\(model)/expected.json"))
        return try JSONDecoder().decode(Expected.self, from: data)
    }

    // Loaded once for all tests: the Qwen2 tokenizer.json is 5 MB.
    private static let smollm2 = Result { try Tokenizer(directory: folder.appendingPathComponent("smollm2")) }
    private static let qwen2 = Result { try Tokenizer(directory: folder.appendingPathComponent("qwen2")) }

    /// The tokenizer.json fixture of "smollm2" or "qwen2".
    static func tokenizer(_ model: String) throws -> Tokenizer {
        try (model == "qwen2" ? qwen2 : smollm2).get()
    }

    /// The NFC form of `text` (the Qwen2 normalizer), by the standard library's normalizer.
    static func nfc(_ text: String) -> String {
        String(decoding: text._nfcCodeUnits, as: UTF8.self)
    }

    /// The real GGUF file of a fixture in the model cache, if it was pulled.
    static func cachedGGUF(_ model: String) throws -> URL? {
        let cache = ProcessInfo.processInfo.environment["AFINA_CACHE"].map(URL.init(fileURLWithPath:))
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/afina")
        let folder = model == "qwen2" ? "qwen2.5-coder-0.5b-instruct" : "smollm2-135m-instruct"
        let url = cache.appendingPathComponent("models/\(folder)/\(try expected(model).gguf)")
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }
}

/// The TokenizerError `body` throws, or nil when it loads (or throws another error).
func tokenizerError(_ body: () throws -> Tokenizer) -> TokenizerError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error as? TokenizerError
    }
}
