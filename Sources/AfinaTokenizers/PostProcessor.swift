// Post-processing: the special tokens put around one sequence or a pair, and the type id of
// each token (Hugging Face `tokenizers` processors/template.rs). BertProcessing and
// RobertaProcessing are fixed templates of the same kind.

/// Token ids and, for each, the segment it belongs to (BERT's `token_type_ids`).
public struct Encoding: Sendable, Equatable {
    public var ids: [Int32]
    public var typeIDs: [Int32]

    public init(ids: [Int32], typeIDs: [Int32]) {
        self.ids = ids
        self.typeIDs = typeIDs
    }
}

/// A TemplateProcessing: the pieces of one sequence, and of a pair.
struct PostProcessor: Sendable, Equatable {
    enum Piece: Sendable, Equatable {
        /// The tokens of the first (0) or second (1) text.
        case sequence(Int, typeID: Int32)
        /// Tokens added only when special tokens are asked for.
        case special([Int32], typeID: Int32)
    }

    var single: [Piece]
    var pair: [Piece]

    /// No special tokens; a pair's second text has type id 1 (`tokenizers` without a processor).
    static let plain = PostProcessor(single: [.sequence(0, typeID: 0)],
                                     pair: [.sequence(0, typeID: 0), .sequence(1, typeID: 1)])

    /// `[BOS] $A [EOS]`, and for a pair the same again around `$B` with type id 1: what
    /// transformers' `update_post_processor` builds from `add_bos_token`/`add_eos_token`, and
    /// the form of Llama 3's template.
    static func bosEOS(bos: Int32?, eos: Int32?) -> PostProcessor {
        func around(_ sequence: Int) -> [Piece] {
            let typeID = Int32(sequence)
            return (bos.map { [.special([$0], typeID: typeID)] } ?? []) + [.sequence(sequence, typeID: typeID)]
                + (eos.map { [.special([$0], typeID: typeID)] } ?? [])
        }
        return PostProcessor(single: around(0), pair: around(0) + around(1))
    }

    /// BertProcessing: `[CLS] $A [SEP]`, pair `[CLS] $A [SEP] $B:1 [SEP]:1`.
    static func bert(cls: Int32, sep: Int32) -> PostProcessor {
        PostProcessor(single: [.special([cls], typeID: 0), .sequence(0, typeID: 0), .special([sep], typeID: 0)],
                      pair: [.special([cls], typeID: 0), .sequence(0, typeID: 0), .special([sep], typeID: 0),
                             .sequence(1, typeID: 1), .special([sep], typeID: 1)])
    }

    /// RobertaProcessing: `<s> $A </s>`, pair `<s> $A </s> </s> $B </s>`, every type id 0.
    static func roberta(cls: Int32, sep: Int32) -> PostProcessor {
        PostProcessor(single: [.special([cls], typeID: 0), .sequence(0, typeID: 0), .special([sep], typeID: 0)],
                      pair: [.special([cls], typeID: 0), .sequence(0, typeID: 0), .special([sep, sep], typeID: 0),
                             .sequence(1, typeID: 0), .special([sep], typeID: 0)])
    }

    /// The template's pieces filled with `sequences` (one text or two); special tokens only
    /// when `addSpecial`, while the type ids of the texts follow the template either way.
    func apply(_ sequences: [[Int32]], addSpecial: Bool) -> Encoding {
        var result = Encoding(ids: [], typeIDs: [])
        for piece in sequences.count == 1 ? single : pair {
            switch piece {
            case let .sequence(index, typeID):
                result.ids += sequences[index]
                result.typeIDs += repeatElement(typeID, count: sequences[index].count)
            case let .special(ids, typeID) where addSpecial:
                result.ids += ids
                result.typeIDs += repeatElement(typeID, count: ids.count)
            case .special:
                continue
            }
        }
        return result
    }

    /// Why the template cannot be applied: the single one must use the first text only, the
    /// pair one both (as `tokenizers` checks); nil when it is fine.
    var problem: String? {
        func uses(_ pieces: [Piece], _ index: Int) -> Bool {
            pieces.contains { if case .sequence(index, _) = $0 { true } else { false } }
        }
        if !uses(single, 0) || uses(single, 1) { return "the single template must use $A and not $B" }
        if !uses(pair, 0) || !uses(pair, 1) { return "the pair template must use both $A and $B" }
        return nil
    }
}
