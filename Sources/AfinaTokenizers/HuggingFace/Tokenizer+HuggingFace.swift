// Loading a tokenizer from Hugging Face files: `tokenizer.json` gives the model, added tokens
// and pipeline (read by HuggingFacePipeline.swift); `tokenizer_config.json` (optional) names
// BOS/EOS/PAD/CLS/SEP/MASK, may override whether BOS/EOS are added, as transformers 5 does when
// it sets `add_bos_token`/`add_eos_token`, and may ask decoding to clean up spaces.
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
        let model = try modelParts(file.model, decoder: file.decoder, source: source)
        let isWordPiece = if case .wordPiece = model { true } else { false }
        let added = (file.addedTokens ?? []).map {
            AddedToken(content: $0.content, id: $0.id, special: $0.special ?? false, lstrip: $0.lstrip ?? false,
                       rstrip: $0.rstrip ?? false, singleWord: $0.singleWord ?? false, normalized: $0.normalized ?? false)
        }
        // Unigram lists its pieces by id; the others map tokens to ids.
        let isUnigram = file.model.type == "Unigram"
        let tokens = isUnigram ? file.model.pieces.map(\.piece)
            : try tokensByID(ExactVocabulary.pairs(in: data) ?? file.model.vocab.map { ($0.key, $0.value) }, source: source)
        let vocab = isUnigram ? Dictionary(file.model.pieces.enumerated().map { ($1.piece, Int32($0)) }, uniquingKeysWith: { _, last in last })
            : file.model.vocab
        let preTokenizer: PreTokenizer, metaspace: Metaspace?
        switch model {
        case .bpe: (preTokenizer, metaspace) = (try self.preTokenizer(file.preTokenizer, byteLevel: true, source: source), nil)
        case .wordPiece: (preTokenizer, metaspace) = (try self.preTokenizer(file.preTokenizer, byteLevel: false, source: source), nil)
        case .sentencePieceBPE, .unigram: (preTokenizer, metaspace) = try sentencePiecePreTokenizer(file.preTokenizer, source: source)
        }
        var parts = TokenizerParts(source: source, tokens: tokens, model: model, addedTokens: added, preTokenizer: preTokenizer)
        parts.normalizer = try normalizer(file.normalizer, source: source)
        parts.metaspace = metaspace
        parts.decoder = try decoder(file.decoder, model: model, source: source)

        // Ids by token text, added tokens first (as `tokenizers`' token_to_id).
        var ids = Dictionary(added.map { ($0.content, $0.id) }, uniquingKeysWith: { first, _ in first })
        ids.merge(vocab) { added, _ in added }
        func id(of name: String?, _ key: String, in source: String) throws -> Int32? {
            guard let name else { return nil }
            guard let id = ids[name] else {
                throw TokenizerError.invalid(source: source, reason: "\(key) '\(name)' is not in the vocabulary")
            }
            return id
        }
        if isUnigram {
            parts.unknownID = file.model.unkID
        }
        if !isWordPiece {
            parts.unknownID = try parts.unknownID ?? id(of: file.model.unkToken, "model.unk_token", in: source)
            let template = try postProcessorTemplate(file.postProcessor, source: source, ids: ids)
            parts.bosID = template.bos
            parts.eosID = template.eos
            parts.addBOS = template.bos != nil
            parts.addEOS = template.eos != nil
        } else {
            // WordPiece looks its unknown token up in the model's own vocabulary.
            guard let unknown = file.model.unkToken else { throw TokenizerError.missing(source: source, key: "model.unk_token") }
            guard let unknownID = file.model.vocab[unknown] else {
                throw TokenizerError.invalid(source: source, reason: "model.unk_token '\(unknown)' is not in the WordPiece vocabulary")
            }
            parts.unknownID = unknownID
            let processor = try wordPiecePostProcessor(file.postProcessor, source: source, ids: ids)
            parts.postProcessor = processor.template
            parts.clsID = processor.cls
            parts.sepID = processor.sep
        }
        if let (data, configSource) = config {
            let settings = try decodeJSON(TokenizerConfigJSON.self, from: data, source: configSource)
            parts.bosID = try parts.bosID ?? id(of: settings.bosToken?.content, "bos_token", in: configSource)
            parts.eosID = try parts.eosID ?? id(of: settings.eosToken?.content, "eos_token", in: configSource)
            parts.padID = try id(of: settings.padToken?.content, "pad_token", in: configSource)
            parts.unknownID = try parts.unknownID ?? id(of: settings.unkToken?.content, "unk_token", in: configSource)
            parts.clsID = try id(of: settings.clsToken?.content, "cls_token", in: configSource) ?? parts.clsID
            parts.sepID = try id(of: settings.sepToken?.content, "sep_token", in: configSource) ?? parts.sepID
            parts.maskID = try id(of: settings.maskToken?.content, "mask_token", in: configSource)
            if !isWordPiece {
                // transformers rebuilds the post-processor from these flags when the config sets them.
                if let addBOS = settings.addBOSToken { parts.addBOS = addBOS && parts.bosID != nil }
                if let addEOS = settings.addEOSToken { parts.addEOS = addEOS && parts.eosID != nil }
            } else {
                // transformers 5 ignores this for BPE, whose spaces before punctuation are real.
                parts.cleansUpSpaces = settings.cleanUpTokenizationSpaces ?? false
            }
        }
        return parts
    }

    /// The vocabulary as an array by id (nil where no token has the id), from `model.vocab`'s
    /// (token, id) pairs.
    private static func tokensByID(_ vocab: [(token: String, id: Int32)], source: String) throws -> [String?] {
        for (token, id) in vocab { try checkID(id, of: token, named: vocab.count, source: source) }
        var tokens = [String?](repeating: nil, count: Int(vocab.map(\.id).max() ?? -1) + 1)
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
}
