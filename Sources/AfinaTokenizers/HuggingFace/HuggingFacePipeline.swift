// The pipeline of a `tokenizer.json` (model, normalizer, pre-tokenizer, post-processor,
// decoder) mapped onto what this library implements; anything else is rejected naming the
// file and the component.
import Foundation

extension Tokenizer {
    /// The BPE merges, WordPiece settings or Unigram scores; other model types and BPE variants
    /// are rejected. A BPE model is SentencePiece BPE (over scalars, not bytes) when it falls
    /// back to byte tokens or its decoder is not ByteLevel.
    static func modelParts(_ model: TokenizerJSON.Model, decoder: TokenizerJSON.Component?, source: String) throws -> ModelParts {
        switch model.type ?? "BPE" {
        case "BPE":
            if (model.dropout ?? 0) > 0 { throw TokenizerError.unsupported(source: source, what: "model with BPE dropout") }
            if !(model.continuingSubwordPrefix ?? "").isEmpty || !(model.endOfWordSuffix ?? "").isEmpty {
                throw TokenizerError.unsupported(source: source, what: "model with a subword prefix or suffix")
            }
            let merges = try model.merges.enumerated().map { rank, merge in
                guard let parts = merge.parts else {
                    throw TokenizerError.invalid(source: source, reason: "merge \(rank) is not two tokens")
                }
                return parts
            }
            if model.byteFallback == true || decoder?.type != "ByteLevel" {
                return .sentencePieceBPE(.list(merges), byteFallback: model.byteFallback ?? false,
                                         fuseUnknown: model.fuseUnk ?? false, ignoreMerges: model.ignoreMerges ?? false)
            }
            return .bpe(merges: merges, ignoreMerges: model.ignoreMerges ?? false)
        case "WordPiece":
            return .wordPiece(prefix: model.continuingSubwordPrefix ?? "##", maxCharacters: model.maxInputCharsPerWord ?? 100)
        case "Unigram":
            return .unigram(scores: model.pieces.map(\.score), byteFallback: model.byteFallback ?? false)
        case let type:
            throw TokenizerError.unsupported(source: source, what: "model type '\(type)' (only BPE, WordPiece and Unigram)")
        }
    }

    /// ByteLevel for byte-level BPE, WordPiece for WordPiece, and for SentencePiece models the
    /// decoders that undo "▁" and byte tokens: `Sequence[Replace("▁", " "), ByteFallback, Fuse]`
    /// with an optional `Strip(" ", 1, 0)` (Gemma, Llama 2), or `Metaspace` (T5).
    static func decoder(_ component: TokenizerJSON.Component?, model: ModelParts, source: String) throws -> TokenDecoder {
        switch (model, component?.type) {
        case (.bpe, "ByteLevel"):
            return .byteLevel
        case (.wordPiece, "WordPiece"):
            return .wordPiece(prefix: component?.prefix ?? "##", cleanup: component?.cleanup ?? true)
        case (.sentencePieceBPE, _), (.unigram, _):
            if let component, let decoder = try sentencePieceDecoder(component, source: source) { return decoder }
            throw TokenizerError.unsupported(source: source, what: "decoder \(component?.summary ?? "null") for a SentencePiece model"
                + " (supported: Sequence[Replace(▁, ' '), ByteFallback, Fuse, Strip(' ', 1, 0)], Metaspace)")
        case (.wordPiece, _):
            throw TokenizerError.unsupported(source: source, what: "decoder \(component?.summary ?? "null") for a WordPiece model (only WordPiece)")
        case (.bpe, _):
            throw TokenizerError.unsupported(source: source, what: "decoder \(component?.summary ?? "null") (only ByteLevel)")
        }
    }

    private static func sentencePieceDecoder(_ component: TokenizerJSON.Component, source: String) throws -> TokenDecoder? {
        var spacesRestored = false, byteFallback = false, fused = false
        var firstToken = TokenDecoder.FirstTokenSpaces.kept
        for step in component.type == "Sequence" ? component.decoders ?? [] : [component] {
            switch step.type {
            case "Replace" where step.pattern?.string == Metaspace.replacement && step.content == " ":
                spacesRestored = true
            case "Metaspace" where (step.replacement ?? Metaspace.replacement) == Metaspace.replacement:
                spacesRestored = true
                if try metaspacePrependScheme(step, source: source) != .never { firstToken = .all }
            case "ByteFallback":
                byteFallback = true
            case "Fuse":
                fused = true
            // Without Fuse before it, Strip would apply to every token.
            case "Strip" where fused && step.content == " " && step.start == 1 && (step.stop ?? 0) == 0:
                firstToken = .leading
            default:
                return nil
            }
        }
        return spacesRestored ? .sentencePiece(byteFallback: byteFallback, firstToken: firstToken) : nil
    }

    /// Metaspace's `prepend_scheme`, or `add_prefix_space` in files older than it.
    private static func metaspacePrependScheme(_ component: TokenizerJSON.Component, source: String) throws -> PrependScheme {
        if let name = component.prependScheme {
            guard let scheme = PrependScheme(rawValue: name) else {
                throw TokenizerError.unsupported(source: source, what: "Metaspace prepend_scheme '\(name)' (supported: first, always, never)")
            }
            return scheme
        }
        return component.addPrefixSpace == false ? .never : .always
    }

    /// The normalizer's steps, a `Sequence` flattened.
    static func normalizer(_ component: TokenizerJSON.Component?, source: String) throws -> [NormalizerStep] {
        guard let component else { return [] }
        switch component.type {
        case "Sequence":
            return try (component.normalizers ?? []).flatMap { try normalizer($0, source: source) }
        case "NFC": return [.nfc]
        case "NFD": return [.nfd]
        case "Lowercase": return [.lowercase]
        case "StripAccents": return [.stripAccents]
        case "Replace" where component.pattern?.string != nil && component.content != nil:
            return [.replace(component.pattern!.string!, with: component.content!)]
        case "Prepend" where component.prepend != nil:
            return [.prepend(component.prepend!)]
        case "Precompiled":
            guard let encoded = component.precompiledCharsmap else {
                throw TokenizerError.missing(source: source, key: "normalizer.precompiled_charsmap")
            }
            guard let blob = Data(base64Encoded: encoded) else {
                throw TokenizerError.invalid(source: source, reason: "normalizer Precompiled: precompiled_charsmap is not base64")
            }
            return [.precompiled(try PrecompiledCharsmap(Array(blob), source: source))]
        case "BertNormalizer":
            let lowercase = component.lowercase ?? true
            return [.bert(BertNormalization(cleanText: component.cleanText ?? true,
                                            handleChineseChars: component.handleChineseChars ?? true,
                                            stripAccents: component.stripAccents ?? lowercase, lowercase: lowercase))]
        default:
            throw TokenizerError.unsupported(source: source, what: "normalizer \(component.summary)"
                + " (supported: NFC, NFD, Lowercase, StripAccents, BertNormalizer, Replace with a String pattern, Prepend,"
                + " Precompiled, and Sequence of these)")
        }
    }

    /// Maps the pre-tokenizer configurations real models use onto the scanners: the byte-level
    /// ones for BPE, the whitespace-dropping ones for WordPiece.
    static func preTokenizer(_ component: TokenizerJSON.Component?, byteLevel: Bool, source: String) throws -> PreTokenizer {
        let steps = component.map { $0.type == "Sequence" ? $0.pretokenizers ?? [] : [$0] } ?? []
        if byteLevel, let rule = byteLevelPreTokenizer(steps) { return rule }
        if !byteLevel && steps.count == 1 {
            switch steps[0].type {
            case "BertPreTokenizer": return .bert
            case "Whitespace": return .whitespace
            case "WhitespaceSplit": return .whitespaceSplit
            default: break
            }
        }
        let supported = byteLevel
            ? "ByteLevel; Sequence[Digits(individual_digits), ByteLevel]; Sequence[Split(Qwen2 or Llama 3 regex), ByteLevel(use_regex: false)]"
            : "BertPreTokenizer, Whitespace, WhitespaceSplit"
        throw TokenizerError.unsupported(source: source, what: "pre_tokenizer \(component?.summary ?? "null")"
            + (byteLevel ? "" : " for a WordPiece model") + " (supported: \(supported))")
    }

    /// A SentencePiece model's word splitting, and the Metaspace rewrite before it: none (Llama 2,
    /// whose normalizer writes the "▁"), `Metaspace`, or Gemma's `Split(" ", MergedWithPrevious)`.
    static func sentencePiecePreTokenizer(_ component: TokenizerJSON.Component?, source: String) throws -> (PreTokenizer, Metaspace?) {
        guard let component else { return (.sentencePiece, nil) }
        if component.type == "Sequence", let steps = component.pretokenizers, steps.count == 2, steps[0].type == "WhitespaceSplit",
           case let (splitter, metaspace?) = try sentencePiecePreTokenizer(steps[1], source: source) {
            // T5 and Flan-T5: words between whitespace, then Metaspace on each.
            return (splitter, Metaspace(prependScheme: metaspace.prependScheme, afterWhitespaceSplit: true))
        }
        switch component.type {
        case "Metaspace" where (component.replacement ?? Metaspace.replacement) == Metaspace.replacement:
            let metaspace = Metaspace(prependScheme: try metaspacePrependScheme(component, source: source))
            return (component.split ?? true ? .metaspace : .sentencePiece, metaspace)
        case "Split" where component.pattern?.string == " " && component.behavior == "MergedWithPrevious" && component.invert != true:
            return (.spaceEnded, nil)
        default:
            throw TokenizerError.unsupported(source: source, what: "pre_tokenizer \(component.summary) for a SentencePiece model"
                + " (supported: none, Metaspace(replacement ▁), Split(' ', MergedWithPrevious), Sequence[WhitespaceSplit, Metaspace])")
        }
    }

    private static func byteLevelPreTokenizer(_ steps: [TokenizerJSON.Component]) -> PreTokenizer? {
        func isByteLevel(_ c: TokenizerJSON.Component, regex: Bool) -> Bool {
            c.type == "ByteLevel" && c.addPrefixSpace != true && (c.useRegex ?? true) == regex
        }
        switch steps.count {
        case 1 where isByteLevel(steps[0], regex: true):
            return .gpt2
        case 2 where steps[0].type == "Digits" && steps[0].individualDigits == true && isByteLevel(steps[1], regex: true):
            return .smollm
        case 2 where steps[0].type == "Split" && steps[0].behavior == "Isolated" && steps[0].invert != true
            && isByteLevel(steps[1], regex: false):
            return PreTokenizer.allCases.first { $0.splitRegex != nil && $0.splitRegex == steps[0].pattern?.regex }
        default:
            return nil
        }
    }

    /// The special tokens a byte-level BPE post-processor puts around a single sequence: a
    /// TemplateProcessing `single` of the form [BOS] $A [EOS]; ByteLevel adds nothing.
    static func postProcessorTemplate(_ component: TokenizerJSON.Component?, source: String,
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
                    guard case let .specialToken(name, _) = piece else { return nil }
                    return try specialTokenIDs(name, of: step, source: source, ids: ids).first
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

    /// A WordPiece model's post-processor, and the CLS and SEP tokens it names (BertProcessing,
    /// RobertaProcessing); none adds no special tokens.
    static func wordPiecePostProcessor(_ component: TokenizerJSON.Component?, source: String,
                                       ids: [String: Int32]) throws -> (template: PostProcessor, cls: Int32?, sep: Int32?) {
        guard let component else { return (.plain, nil, nil) }
        switch component.type {
        case "TemplateProcessing":
            func pieces(_ template: [TokenizerJSON.TemplatePiece]?, _ key: String) throws -> [PostProcessor.Piece] {
                guard let template else { throw TokenizerError.missing(source: source, key: "post_processor.\(key)") }
                return try template.map { piece in
                    switch piece {
                    case let .specialToken(name, typeID):
                        return .special(try specialTokenIDs(name, of: component, source: source, ids: ids), typeID: typeID)
                    case let .sequence(name, typeID):
                        guard let index = ["A", "B"].firstIndex(of: name) else {
                            throw TokenizerError.invalid(source: source, reason: "post_processor sequence '\(name)' is neither A nor B")
                        }
                        return .sequence(index, typeID: typeID)
                    }
                }
            }
            return (PostProcessor(single: try pieces(component.single, "single"), pair: try pieces(component.pair, "pair")), nil, nil)
        case "BertProcessing", "RobertaProcessing":
            guard let cls = component.cls else { throw TokenizerError.missing(source: source, key: "post_processor.cls") }
            guard let sep = component.sep else { throw TokenizerError.missing(source: source, key: "post_processor.sep") }
            let template: PostProcessor = component.type == "BertProcessing"
                ? .bert(cls: cls.id, sep: sep.id) : .roberta(cls: cls.id, sep: sep.id)
            return (template, cls.id, sep.id)
        default:
            throw TokenizerError.unsupported(source: source, what: "post_processor \(component.summary) for a WordPiece model"
                + " (supported: TemplateProcessing, BertProcessing, RobertaProcessing)")
        }
    }

    /// The ids of a TemplateProcessing special token: its `special_tokens` entry, or else the
    /// vocabulary's token of that name.
    private static func specialTokenIDs(_ name: String, of step: TokenizerJSON.Component, source: String,
                                        ids: [String: Int32]) throws -> [Int32] {
        if let entry = step.specialTokens?[name] { return entry.ids }
        guard let id = ids[name] else {
            throw TokenizerError.invalid(source: source, reason: "post_processor token '\(name)' is not in the vocabulary")
        }
        return [id]
    }
}
