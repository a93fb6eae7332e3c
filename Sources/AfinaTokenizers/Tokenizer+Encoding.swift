// Encoding and decoding, in the order of Hugging Face `tokenizers`' pipeline: added tokens,
// normalizer, pre-tokenizer, model, post-processor; and back through the decoder.

extension Tokenizer {
    // MARK: Encoding

    /// The token ids of `text`, as Hugging Face `tokenizer(text)["input_ids"]`.
    /// - Parameters:
    ///   - addSpecial: add the special tokens the model's post-processor adds (BOS/EOS as
    ///     `addBOS`/`addEOS` say; `[CLS] ... [SEP]` for BERT).
    ///   - parseSpecial: match special tokens written in the text (`<|im_start|>`, `[MASK]`) as
    ///     those tokens; false encodes them as plain text (for untrusted input).
    public func encode(_ text: String, addSpecial: Bool = true, parseSpecial: Bool = true) -> [Int32] {
        postProcessor.apply([encodeText(text, parseSpecial: parseSpecial)], addSpecial: addSpecial).ids
    }

    /// The token ids and type ids of `text` and, when given, a second text `pair` (BERT's
    /// sentence pairs), as Hugging Face `tokenizer(text, pair)`; tokenizer.json's `truncation`
    /// and `padding` are not applied.
    ///
    /// The post-processor decides the pair's layout: BERT's is `[CLS] A [SEP] B [SEP]` with type
    /// ids 0 up to the first `[SEP]` and 1 after. Byte-level BPE tokenizers repeat their
    /// single-text form for `pair` with type id 1 (`[BOS] A [EOS] [BOS] B [EOS]`, as the
    /// template transformers builds from `add_bos_token`/`add_eos_token`). An empty `pair` is a
    /// second text with no tokens, as in `tokenizers` (transformers takes it for no pair).
    public func encode(_ text: String, pair: String?, addSpecial: Bool = true, parseSpecial: Bool = true) -> Encoding {
        let texts = [text] + (pair.map { [$0] } ?? [])
        return postProcessor.apply(texts.map { encodeText($0, parseSpecial: parseSpecial) }, addSpecial: addSpecial)
    }

    /// `encode(_:pair:)` cut to at most `maxLength` tokens with the special tokens kept, as
    /// `tokenizers`' LongestFirst truncation (utils/truncation.rs): a single text keeps its
    /// first tokens; of a pair, the shorter text stays whole when the longer one can take the
    /// rest of the budget, else each keeps half (the longer one, or the second, the odd token). Returns
    /// whether anything was cut.
    public func encode(_ text: String, pair: String?, maxLength: Int) -> (encoding: Encoding, truncated: Bool) {
        var texts = ([text] + (pair.map { [$0] } ?? [])).map { encodeText($0, parseSpecial: true) }
        let budget = max(maxLength - postProcessor.apply(texts.map { _ in [] }, addSpecial: true).ids.count, 0)
        let truncated = texts.map(\.count).reduce(0, +) > budget
        if truncated, texts.count == 1 {
            texts[0].removeLast(texts[0].count - budget)
        } else if truncated {
            let longer = texts[0].count > texts[1].count ? 0 : 1     // on a tie, the second text
            let shorter = texts[1 - longer].count
            var keep = (shorter: shorter, longer: shorter > budget ? shorter : max(shorter, budget - shorter))
            if keep.shorter + keep.longer > budget { keep = (budget / 2, budget / 2 + budget % 2) }
            texts[longer] = Array(texts[longer].prefix(keep.longer))
            texts[1 - longer] = Array(texts[1 - longer].prefix(keep.shorter))
        }
        return (postProcessor.apply(texts, addSpecial: true), truncated)
    }

    /// The ids of one text, before the post-processor: added tokens matched in the raw text,
    /// then the normalized rest, in which normalized added tokens are matched in turn.
    private func encodeText(_ text: String, parseSpecial: Bool) -> [Int32] {
        var ids: [Int32] = []
        ids.reserveCapacity(text.utf8.count / 3 + 2)
        splitAddedTokens(text, rawMatcher, parseSpecial: parseSpecial, into: &ids) { raw, rawAtStart, ids in
            splitAddedTokens(normalizer.normalize(raw), normalizedMatcher, parseSpecial: parseSpecial, into: &ids) { text, atStart, ids in
                encodeWords(text, atStart: rawAtStart && atStart, into: &ids)
            }
        }
        return ids
    }

    /// Appends the ids of the added tokens `matcher` finds in `text`, and gives the text
    /// between them to `encode`, saying whether it starts `text`.
    private func splitAddedTokens(_ text: String, _ matcher: AddedTokenMatcher, parseSpecial: Bool, into ids: inout [Int32],
                                  _ encode: (String, Bool, inout [Int32]) -> Void) {
        guard !matcher.tokens.isEmpty else { return encode(text, true, &ids) }
        let bytes = Array(text.utf8)
        for piece in matcher.split(bytes, parseSpecial: parseSpecial) {
            switch piece {
            case let .token(id): ids.append(id)
            case let .text(range): encode(String(decoding: bytes[range], as: UTF8.self), range.lowerBound == 0, &ids)
            }
        }
    }

    /// Normalized text with no added tokens in it: rewrite spaces as Metaspace says (`atStart`
    /// when the text begins the input), pre-tokenize, then run the model on each word.
    private func encodeWords(_ text: String, atStart: Bool, into ids: inout [Int32]) {
        // An empty text stays empty: `tokenizers` prepends nothing to it.
        guard !text.isEmpty else { return }
        guard let metaspace, metaspace.afterWhitespaceSplit else {
            return encodeWords(ScalarText(metaspace?.apply(text, atStart: atStart) ?? text), into: &ids)
        }
        for (i, word) in text.unicodeScalars.split(whereSeparator: \.properties.isWhitespace).enumerated() {
            encodeWords(ScalarText(metaspace.apply(String(word), atStart: atStart && i == 0)), into: &ids)
        }
    }

    /// Pre-tokenized and run through the model, word by word.
    private func encodeWords(_ scalars: ScalarText, into ids: inout [Int32]) {
        for word in preTokenizer.split(scalars) {
            let key = String(decoding: scalars.bytes(word), as: UTF8.self)
            if let cached = cache.ids(of: key) {
                ids += cached
            } else {
                let wordIDs = model.encode(scalars, word)
                cache.store(wordIDs, for: key)
                ids += wordIDs
            }
        }
    }

    // MARK: Decoding

    /// The text of `ids`, as Hugging Face `tokenizer.decode(ids)`; ids outside the vocabulary
    /// are skipped. Byte-level BPE joins token bytes and replaces invalid UTF-8 by U+FFFD;
    /// WordPiece joins words with spaces and glues "##" continuations.
    /// - Parameter skipSpecial: leave out special tokens (`skip_special_tokens=True`).
    public func decode(_ ids: [Int32], skipSpecial: Bool = false) -> String {
        var bytes: [UInt8] = []
        var isFirst = true
        for id in ids {
            if appendPiece(of: id, skipSpecial: skipSpecial, isFirst: isFirst, to: &bytes) { isFirst = false }
        }
        return String(decoding: cleansUpSpaces ? SpaceCleanup.transformers.apply(to: bytes) : bytes, as: UTF8.self)
    }

    /// Appends what token `id` adds to the decoded bytes; `isFirst` when nothing was appended
    /// before it. Returns false, appending nothing, for an unknown id, or for a special token
    /// when `skipSpecial`.
    func appendPiece(of id: Int32, skipSpecial: Bool, isFirst: Bool, to bytes: inout [UInt8]) -> Bool {
        guard id >= 0 && Int(id) < vocabularySize, tokens[Int(id)] != nil, !(skipSpecial && specialFlags[Int(id)]) else {
            return false
        }
        decoder.append(tokenBytes[byteOffsets[Int(id)]..<byteOffsets[Int(id) + 1]], isFirst: isFirst, to: &bytes)
        return true
    }
}
