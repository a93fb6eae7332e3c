// The parts of Hugging Face `tokenizer.json` (the `tokenizers` serialization) and
// `tokenizer_config.json` (transformers) that a byte-level BPE tokenizer needs.

/// `tokenizer.json`.
struct TokenizerJSON: Decodable {
    var model: BPEModel
    var addedTokens: [Added]?
    var normalizer: Component?
    var preTokenizer: Component?
    var postProcessor: Component?
    var decoder: Component?

    enum CodingKeys: String, CodingKey {
        case model, normalizer, decoder
        case addedTokens = "added_tokens", preTokenizer = "pre_tokenizer", postProcessor = "post_processor"
    }

    struct BPEModel: Decodable {
        var type: String?
        var vocab: [String: Int32]
        var merges: [Merge]
        var unkToken: String?
        var ignoreMerges: Bool?
        var byteFallback: Bool?
        var dropout: Double?
        var continuingSubwordPrefix: String?
        var endOfWordSuffix: String?

        enum CodingKeys: String, CodingKey {
            case type, vocab, merges, dropout
            case unkToken = "unk_token", ignoreMerges = "ignore_merges", byteFallback = "byte_fallback"
            case continuingSubwordPrefix = "continuing_subword_prefix", endOfWordSuffix = "end_of_word_suffix"
        }

        /// Another model type (Unigram, WordPiece) keeps its vocabulary unread, so the loader
        /// can name the type rather than a mistyped `vocab`.
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            type = try container.decodeIfPresent(String.self, forKey: .type)
            let isBPE = type == nil || type == "BPE"
            vocab = isBPE ? try container.decode([String: Int32].self, forKey: .vocab) : [:]
            merges = isBPE ? try container.decode([Merge].self, forKey: .merges) : []
            unkToken = try container.decodeIfPresent(String.self, forKey: .unkToken)
            ignoreMerges = try container.decodeIfPresent(Bool.self, forKey: .ignoreMerges)
            byteFallback = try container.decodeIfPresent(Bool.self, forKey: .byteFallback)
            dropout = try container.decodeIfPresent(Double.self, forKey: .dropout)
            continuingSubwordPrefix = try container.decodeIfPresent(String.self, forKey: .continuingSubwordPrefix)
            endOfWordSuffix = try container.decodeIfPresent(String.self, forKey: .endOfWordSuffix)
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
        var specialTokens: [String: TemplateSpecial]?

        enum CodingKeys: String, CodingKey {
            case type, normalizers, pretokenizers, processors, decoders, pattern, behavior, invert, single
            case individualDigits = "individual_digits", addPrefixSpace = "add_prefix_space", useRegex = "use_regex"
            case specialTokens = "special_tokens"
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

    /// One item of a TemplateProcessing `single` template.
    enum TemplatePiece: Decodable {
        case specialToken(String)
        case sequence

        private enum CodingKeys: String, CodingKey {
            case specialToken = "SpecialToken", sequence = "Sequence"
        }

        private struct Named: Decodable {
            var id: String
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            if let special = try container.decodeIfPresent(Named.self, forKey: .specialToken) {
                self = .specialToken(special.id)
            } else {
                _ = try container.decode(Named.self, forKey: .sequence)
                self = .sequence
            }
        }
    }

    struct TemplateSpecial: Decodable {
        var ids: [Int32]
    }
}

/// `tokenizer_config.json` (transformers): special token names and BOS/EOS flags.
struct TokenizerConfigJSON: Decodable {
    var bosToken: TokenName?
    var eosToken: TokenName?
    var padToken: TokenName?
    var unkToken: TokenName?
    var addBOSToken: Bool?
    var addEOSToken: Bool?

    enum CodingKeys: String, CodingKey {
        case bosToken = "bos_token", eosToken = "eos_token", padToken = "pad_token", unkToken = "unk_token"
        case addBOSToken = "add_bos_token", addEOSToken = "add_eos_token"
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
