// The parts of Hugging Face `tokenizer.json` (the `tokenizers` serialization) and
// `tokenizer_config.json` (transformers) that byte-level BPE, WordPiece and SentencePiece (BPE
// with byte fallback, Unigram) tokenizers need.
// `truncation` and `padding` are not read: the model layer truncates and pads.

/// `tokenizer.json`.
struct TokenizerJSON: Decodable {
    var model: Model
    var addedTokens: [Added]?
    var normalizer: Component?
    var preTokenizer: Component?
    var postProcessor: Component?
    var decoder: Component?

    enum CodingKeys: String, CodingKey {
        case model, normalizer, decoder
        case addedTokens = "added_tokens", preTokenizer = "pre_tokenizer", postProcessor = "post_processor"
    }

    /// A BPE, WordPiece or Unigram model (`type` absent means BPE, as in old files).
    struct Model: Decodable {
        var type: String?
        var vocab: [String: Int32]
        var merges: [Merge]
        /// Unigram's vocabulary: `[piece, score]` by id, and the id of its unknown token.
        var pieces: [Piece]
        var unkID: Int32?
        var unkToken: String?
        var ignoreMerges: Bool?
        var byteFallback: Bool?
        var fuseUnk: Bool?
        var dropout: Double?
        var continuingSubwordPrefix: String?
        var endOfWordSuffix: String?
        var maxInputCharsPerWord: Int?

        enum CodingKeys: String, CodingKey {
            case type, vocab, merges, dropout
            case unkToken = "unk_token", ignoreMerges = "ignore_merges", byteFallback = "byte_fallback"
            case unkID = "unk_id", fuseUnk = "fuse_unk"
            case continuingSubwordPrefix = "continuing_subword_prefix", endOfWordSuffix = "end_of_word_suffix"
            case maxInputCharsPerWord = "max_input_chars_per_word"
        }

        /// Another model type (WordLevel) keeps its vocabulary unread, so the loader can name
        /// the type rather than a mistyped `vocab`.
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            type = try container.decodeIfPresent(String.self, forKey: .type)
            let isBPE = type == nil || type == "BPE"
            vocab = isBPE || type == "WordPiece" ? try container.decode([String: Int32].self, forKey: .vocab) : [:]
            merges = isBPE ? try container.decode([Merge].self, forKey: .merges) : []
            pieces = type == "Unigram" ? try container.decode([Piece].self, forKey: .vocab) : []
            unkID = try container.decodeIfPresent(Int32.self, forKey: .unkID)
            unkToken = try container.decodeIfPresent(String.self, forKey: .unkToken)
            ignoreMerges = try container.decodeIfPresent(Bool.self, forKey: .ignoreMerges)
            byteFallback = try container.decodeIfPresent(Bool.self, forKey: .byteFallback)
            fuseUnk = try container.decodeIfPresent(Bool.self, forKey: .fuseUnk)
            dropout = try container.decodeIfPresent(Double.self, forKey: .dropout)
            continuingSubwordPrefix = try container.decodeIfPresent(String.self, forKey: .continuingSubwordPrefix)
            endOfWordSuffix = try container.decodeIfPresent(String.self, forKey: .endOfWordSuffix)
            maxInputCharsPerWord = try container.decodeIfPresent(Int.self, forKey: .maxInputCharsPerWord)
        }
    }

    /// A Unigram piece, written `["▁the", -3.4]`.
    struct Piece: Decodable {
        var piece: String
        var score: Double

        init(from decoder: any Decoder) throws {
            var container = try decoder.unkeyedContainer()
            piece = try container.decode(String.self)
            score = try container.decode(Double.self)
        }
    }

    /// A merge, written `"a b"` (older files) or `["a", "b"]` (tokenizers 0.20 and later).
    enum Merge: Decodable {
        case joined(String)
        case pair([String])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let joined = try? container.decode(String.self) {
                self = .joined(joined)
            } else {
                self = .pair(try container.decode([String].self))
            }
        }

        /// The two tokens, or nil if the merge does not name exactly two.
        var parts: (String, String)? {
            let parts = switch self {
            case let .joined(text): text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            case let .pair(pair): pair
            }
            return parts.count == 2 ? (parts[0], parts[1]) : nil
        }
    }

    struct Added: Decodable {
        var id: Int32
        var content: String
        var special: Bool?
        var lstrip: Bool?
        var rstrip: Bool?
        var singleWord: Bool?
        var normalized: Bool?

        enum CodingKeys: String, CodingKey {
            case id, content, special, lstrip, rstrip, normalized
            case singleWord = "single_word"
        }
    }

    /// A normalizer, pre-tokenizer, post-processor or decoder: `type` says which, and only the
    /// fields of the supported kinds are read.
    struct Component: Decodable {
        var type: String
        var normalizers: [Component]?
        var pretokenizers: [Component]?
        var processors: [Component]?
        var decoders: [Component]?
        var individualDigits: Bool?
        var addPrefixSpace: Bool?
        var useRegex: Bool?
        var pattern: Pattern?
        var behavior: String?
        var invert: Bool?
        var single: [TemplatePiece]?
        var pair: [TemplatePiece]?
        var specialTokens: [String: TemplateSpecial]?
        /// BertNormalizer's switches (`strip_accents` null: as `lowercase`).
        var cleanText: Bool?
        var handleChineseChars: Bool?
        var stripAccents: Bool?
        var lowercase: Bool?
        /// BertProcessing's and RobertaProcessing's tokens, written `["[SEP]", 102]`.
        var sep: NamedID?
        var cls: NamedID?
        /// The WordPiece decoder's continuation prefix and cleanup switch.
        var prefix: String?
        var cleanup: Bool?
        /// Metaspace: the character spaces become, when it is prepended, and whether it splits
        /// (older files say `add_prefix_space` instead of `prepend_scheme`).
        var replacement: String?
        var prependScheme: String?
        var split: Bool?
        /// Replace's replacement and Prepend's prefix; Strip's character and counts.
        var content: String?
        var prepend: String?
        /// Precompiled's rules, base64.
        var precompiledCharsmap: String?
        var start: Int?
        var stop: Int?

        enum CodingKeys: String, CodingKey {
            case type, normalizers, pretokenizers, processors, decoders, pattern, behavior, invert, single, pair
            case lowercase, sep, cls, prefix, cleanup, replacement, split, content, prepend, start, stop
            case prependScheme = "prepend_scheme"
            case individualDigits = "individual_digits", addPrefixSpace = "add_prefix_space", useRegex = "use_regex"
            case specialTokens = "special_tokens", cleanText = "clean_text", handleChineseChars = "handle_chinese_chars"
            case stripAccents = "strip_accents", precompiledCharsmap = "precompiled_charsmap"
        }

        /// What this component is, for error messages: `Sequence[Split(...), ByteLevel]`.
        var summary: String {
            let children = normalizers ?? pretokenizers ?? processors ?? decoders
            if let children { return "\(type)[\(children.map(\.summary).joined(separator: ", "))]" }
            var fields: [String] = []
            if let pattern { fields.append("pattern: \(pattern.regex ?? pattern.string ?? "?")") }
            if let individualDigits { fields.append("individual_digits: \(individualDigits)") }
            if let addPrefixSpace { fields.append("add_prefix_space: \(addPrefixSpace)") }
            if let useRegex { fields.append("use_regex: \(useRegex)") }
            if let behavior { fields.append("behavior: \(behavior)") }
            if let content { fields.append("content: \(content)") }
            if let prependScheme { fields.append("prepend_scheme: \(prependScheme)") }
            return fields.isEmpty ? type : "\(type)(\(fields.joined(separator: ", ")))"
        }
    }

    /// A Split pattern: `{"Regex": "..."}` or `{"String": "..."}`.
    struct Pattern: Decodable {
        var regex: String?
        var string: String?

        enum CodingKeys: String, CodingKey {
            case regex = "Regex", string = "String"
        }
    }

    /// One item of a TemplateProcessing template: `{"SpecialToken": {"id": "[CLS]", "type_id": 0}}`
    /// or `{"Sequence": {"id": "A", "type_id": 0}}`.
    enum TemplatePiece: Decodable {
        case specialToken(String, typeID: Int32)
        /// "A" or "B".
        case sequence(String, typeID: Int32)

        private enum CodingKeys: String, CodingKey {
            case specialToken = "SpecialToken", sequence = "Sequence"
        }

        private struct Named: Decodable {
            var id: String
            var typeID: Int32?

            enum CodingKeys: String, CodingKey {
                case id
                case typeID = "type_id"
            }
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            if let special = try container.decodeIfPresent(Named.self, forKey: .specialToken) {
                self = .specialToken(special.id, typeID: special.typeID ?? 0)
            } else {
                let sequence = try container.decode(Named.self, forKey: .sequence)
                self = .sequence(sequence.id, typeID: sequence.typeID ?? 0)
            }
        }
    }

    /// A token named with its id, written as a two-element array `["[SEP]", 102]`.
    struct NamedID: Decodable {
        var name: String
        var id: Int32

        init(from decoder: any Decoder) throws {
            var container = try decoder.unkeyedContainer()
            name = try container.decode(String.self)
            id = try container.decode(Int32.self)
        }
    }

    struct TemplateSpecial: Decodable {
        var ids: [Int32]
    }
}

/// `tokenizer_config.json` (transformers): special token names, BOS/EOS flags, and whether
/// decoding cleans up spaces.
struct TokenizerConfigJSON: Decodable {
    var bosToken: TokenName?
    var eosToken: TokenName?
    var padToken: TokenName?
    var unkToken: TokenName?
    var clsToken: TokenName?
    var sepToken: TokenName?
    var maskToken: TokenName?
    var addBOSToken: Bool?
    var addEOSToken: Bool?
    var cleanUpTokenizationSpaces: Bool?

    enum CodingKeys: String, CodingKey {
        case bosToken = "bos_token", eosToken = "eos_token", padToken = "pad_token", unkToken = "unk_token"
        case clsToken = "cls_token", sepToken = "sep_token", maskToken = "mask_token"
        case addBOSToken = "add_bos_token", addEOSToken = "add_eos_token"
        case cleanUpTokenizationSpaces = "clean_up_tokenization_spaces"
    }

    /// A token written as its text or as an AddedToken object `{"content": ...}`.
    struct TokenName: Decodable {
        var content: String

        private struct Object: Decodable {
            var content: String
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                content = text
            } else {
                content = try container.decode(Object.self).content
            }
        }
    }
}
