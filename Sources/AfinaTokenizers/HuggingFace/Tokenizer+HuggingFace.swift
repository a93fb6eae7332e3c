// Loading a tokenizer from Hugging Face files: `tokenizer.json` gives the model, added tokens
// and pipeline; `tokenizer_config.json` (optional) names BOS/EOS/PAD and may override whether
// BOS/EOS are added, as transformers 5 does when it sets `add_bos_token`/`add_eos_token`.
//
// Added tokens are matched in the raw text whatever their `normalized` flag: the only
// normalizer supported is NFC, which leaves the ASCII markup of such tokens unchanged.
import Foundation

extension Tokenizer {
    /// The tokenizer of a Hugging Face model directory: `tokenizer.json`, and
    /// `tokenizer_config.json` when the directory has one.
    public convenience init(directory: URL) throws {
        let config = directory.appendingPathComponent("tokenizer_config.json")
        try self.init(tokenizerJSON: directory.appendingPathComponent("tokenizer.json"),
                      config: FileManager.default.fileExists(atPath: config.path) ? config : nil)
    }

    /// The tokenizer described by a `tokenizer.json` file and an optional `tokenizer_config.json`.
    public convenience init(tokenizerJSON url: URL, config configURL: URL? = nil) throws {
        func read(_ url: URL) throws -> Data {
            do { return try Data(contentsOf: url) } catch {
                throw TokenizerError.unreadable(source: url.path, reason: error.localizedDescription)
            }
        }
        let parts = try Self.parts(tokenizerJSON: try read(url), source: url.path,
                                   config: try configURL.map { (try read($0), $0.path) })
        try self.init(parts)
    }

    /// The tokenizer described by `tokenizer.json` bytes (and `tokenizer_config.json` bytes);
    /// `source` names them in errors.
    public convenience init(tokenizerJSON data: Data, config: Data? = nil, source: String = "tokenizer.json") throws {
        try self.init(try Self.parts(tokenizerJSON: data, source: source,
                                     config: config.map { ($0, "tokenizer_config.json") }))
    }

    private static func parts(tokenizerJSON data: Data, source: String, config: (Data, String)?) throws -> TokenizerParts {
        let file = try decodeJSON(TokenizerJSON.self, from: data, source: source)
        try checkSupported(file, source: source)
        let model = file.model
        let merges = try model.merges.enumerated().map { rank, merge in
            guard let parts = merge.parts else {
                throw TokenizerError.invalid(source: source, reason: "merge \(rank) is not two tokens")
            }
            return parts
        }
        let added = (file.addedTokens ?? []).map {
            AddedToken(content: $0.content, id: $0.id, special: $0.special ?? false,
                       lstrip: $0.lstrip ?? false, rstrip: $0.rstrip ?? false, singleWord: $0.singleWord ?? false)
        }
        var parts = TokenizerParts(source: source, tokens: try tokensByID(model.vocab, source: source),
                                   merges: merges, addedTokens: added,
                                   preTokenizer: try preTokenizer(file.preTokenizer, source: source))
        parts.normalizesNFC = try normalizesNFC(file.normalizer, source: source)
        parts.ignoreMerges = model.ignoreMerges ?? false

        // Ids by token text, added tokens first (as `tokenizers`' token_to_id).
        var ids = Dictionary(added.map { ($0.content, $0.id) }, uniquingKeysWith: { first, _ in first })
        ids.merge(model.vocab) { added, _ in added }
        func id(of name: String?, _ key: String, in source: String) throws -> Int32? {
            guard let name else { return nil }
            guard let id = ids[name] else {
                throw TokenizerError.invalid(source: source, reason: "\(key) '\(name)' is not in the vocabulary")
            }
            return id
        }
        parts.unknownID = try id(of: model.unkToken, "model.unk_token", in: source)

        let template = try postProcessorTemplate(file.postProcessor, source: source, ids: ids)
        parts.bosID = template.bos
        parts.eosID = template.eos
        parts.addBOS = template.bos != nil
        parts.addEOS = template.eos != nil
        if let (data, configSource) = config {
            let settings = try decodeJSON(TokenizerConfigJSON.self, from: data, source: configSource)
            parts.bosID = try template.bos ?? id(of: settings.bosToken?.content, "bos_token", in: configSource)
            parts.eosID = try template.eos ?? id(of: settings.eosToken?.content, "eos_token", in: configSource)
            parts.padID = try id(of: settings.padToken?.content, "pad_token", in: configSource)
            parts.unknownID = try parts.unknownID ?? id(of: settings.unkToken?.content, "unk_token", in: configSource)
            // transformers rebuilds the post-processor from these flags when the config sets them.
            if let addBOS = settings.addBOSToken { parts.addBOS = addBOS && parts.bosID != nil }
            if let addEOS = settings.addEOSToken { parts.addEOS = addEOS && parts.eosID != nil }
        }
        return parts
    }

    /// Rejects the BPE variants and decoders this library does not implement.
    private static func checkSupported(_ file: TokenizerJSON, source: String) throws {
        let model = file.model
        if let type = model.type, type != "BPE" { throw TokenizerError.unsupported(source: source, what: "model type '\(type)' (only BPE)") }
        if model.byteFallback == true { throw TokenizerError.unsupported(source: source, what: "model with byte_fallback") }
        if (model.dropout ?? 0) > 0 { throw TokenizerError.unsupported(source: source, what: "model with BPE dropout") }
        if !(model.continuingSubwordPrefix ?? "").isEmpty || !(model.endOfWordSuffix ?? "").isEmpty {
            throw TokenizerError.unsupported(source: source, what: "model with a subword prefix or suffix")
        }
        guard file.decoder?.type == "ByteLevel" else {
            throw TokenizerError.unsupported(source: source, what: "decoder \(file.decoder?.summary ?? "null") (only ByteLevel)")
        }
    }

    /// The vocabulary as an array by id (nil where no token has the id).
    private static func tokensByID(_ vocab: [String: Int32], source: String) throws -> [String?] {
        if let (token, id) = vocab.first(where: { !(0..<maxVocabularySize).contains($0.value) }) {
            throw TokenizerError.invalid(source: source, reason: "token '\(token)' has id \(id), outside 0..<2^24")
        }
        var tokens = [String?](repeating: nil, count: Int(vocab.values.max() ?? -1) + 1)
        for (token, id) in vocab {
            if let other = tokens[Int(id)] {
                throw TokenizerError.invalid(source: source, reason: "tokens '\(other)' and '\(token)' share id \(id)")
            }
            tokens[Int(id)] = token
        }
        return tokens
    }

    private static func decodeJSON<T: Decodable>(_ type: T.Type, from data: Data, source: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw TokenizerError.missing(source: source, key: (context.codingPath + [key]).map(\.stringValue).joined(separator: "."))
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw TokenizerError.missing(source: source, key: context.codingPath.map(\.stringValue).joined(separator: "."))
        } catch {
            throw TokenizerError.unreadable(source: source, reason: "not valid JSON")
        }
    }

    /// Maps the pre-tokenizer configurations real models use onto the scanners.
    private static func preTokenizer(_ component: TokenizerJSON.Component?, source: String) throws -> PreTokenizer {
        func isByteLevel(_ c: TokenizerJSON.Component, regex: Bool) -> Bool {
            c.type == "ByteLevel" && c.addPrefixSpace != true && (c.useRegex ?? true) == regex
        }
        let steps = component.map { $0.type == "Sequence" ? $0.pretokenizers ?? [] : [$0] } ?? []
        switch steps.count {
        case 1 where isByteLevel(steps[0], regex: true):
            return .gpt2
        case 2 where steps[0].type == "Digits" && steps[0].individualDigits == true && isByteLevel(steps[1], regex: true):
            return .smollm
        case 2 where steps[0].type == "Split" && steps[0].behavior == "Isolated" && steps[0].invert != true
            && isByteLevel(steps[1], regex: false):
            if let regex = steps[0].pattern?.regex, let rule = PreTokenizer.allCases.first(where: { $0.splitRegex == regex }) {
                return rule
            }
        default: break
        }
        throw TokenizerError.unsupported(source: source, what: "pre_tokenizer \(component?.summary ?? "null")"
            + " (supported: ByteLevel; Sequence[Digits(individual_digits), ByteLevel];"
            + " Sequence[Split(Qwen2 or Llama 3 regex), ByteLevel(use_regex: false)])")
    }

    private static func normalizesNFC(_ component: TokenizerJSON.Component?, source: String) throws -> Bool {
        guard let component else { return false }
        let steps = component.type == "Sequence" ? component.normalizers ?? [] : [component]
        if steps.isEmpty { return false }
        if steps.count == 1 && steps[0].type == "NFC" { return true }
        throw TokenizerError.unsupported(source: source, what: "normalizer \(component.summary) (only NFC)")
    }

    /// The special tokens the post-processor puts around a single sequence: a TemplateProcessing
    /// `single` of the form [BOS] $A [EOS]; ByteLevel adds nothing.
    private static func postProcessorTemplate(_ component: TokenizerJSON.Component?, source: String,
                                              ids: [String: Int32]) throws -> (bos: Int32?, eos: Int32?) {
        guard let component else { return (nil, nil) }
        let steps = component.type == "Sequence" ? component.processors ?? [] : [component]
        var result: (bos: Int32?, eos: Int32?) = (nil, nil)
        for step in steps {
            switch step.type {
            case "ByteLevel": continue
            case "TemplateProcessing":
                let single = step.single ?? []
                guard let body = single.firstIndex(where: { if case .sequence = $0 { true } else { false } }),
                      body <= 1, single.count - body <= 2 else { break }
                func id(_ piece: TokenizerJSON.TemplatePiece) throws -> Int32? {
                    guard case let .specialToken(name) = piece else { return nil }
                    guard let id = step.specialTokens?[name]?.ids.first ?? ids[name] else {
                        throw TokenizerError.invalid(source: source, reason: "post_processor token '\(name)' is not in the vocabulary")
                    }
                    return id
                }
                result.bos = body == 1 ? try id(single[0]) : nil
                result.eos = body + 1 < single.count ? try id(single[body + 1]) : nil
                continue
            default: break
            }
            throw TokenizerError.unsupported(source: source, what: "post_processor \(step.summary)"
                + " (supported: ByteLevel, TemplateProcessing of the form [BOS] $A [EOS])")
        }
        return result
    }
}
