// A model's chat template with the special tokens it refers to, rendering conversations as
// inference does (LoadedModel.renderChat in AfinaModels: `bos_token` and `eos_token` from the
// tokenizer), and the answer-only loss mask derived from the template itself.
import AfinaTemplates
import AfinaTokenizers

struct ChatFormat: Sendable {
    let template: ChatTemplate
    let tokenizer: Tokenizer
    private let extra: [String: TemplateValue]
    /// Tokens that end an assistant turn: EOS and the turn terminators chat templates use.
    private let turnEnds: Set<Int32>

    init(source: String, tokenizer: Tokenizer) throws {
        do { template = try ChatTemplate(source) } catch {
            throw DataError("the chat template does not parse: \(error)")
        }
        self.tokenizer = tokenizer
        var extra: [String: TemplateValue] = [:]
        if let bos = tokenizer.bosID.flatMap(tokenizer.token(for:)) { extra["bos_token"] = .string(bos) }
        if let eos = tokenizer.eosID.flatMap(tokenizer.token(for:)) { extra["eos_token"] = .string(eos) }
        self.extra = extra
        var ends = Set([tokenizer.eosID].compactMap { $0 })
        for name in ["<|im_end|>", "<|eot_id|>", "<|endoftext|>", "<|end|>", "<end_of_turn>"] {
            if let id = tokenizer.id(of: name), tokenizer.isSpecial(id) { ends.insert(id) }
        }
        turnEnds = ends
    }

    /// The token ids of `messages` as the template renders them (special tokens in the text
    /// parsed, nothing added: as inference encodes a chat prompt).
    func encode(_ messages: ArraySlice<ChatMessage>, addGenerationPrompt: Bool) throws -> [Int32] {
        let text: String
        do {
            text = try template.render(messages: Array(messages), addGenerationPrompt: addGenerationPrompt, extra: extra)
        } catch {
            throw DataError("the chat template cannot render this conversation: \(error)")
        }
        return tokenizer.encode(text, addSpecial: false)
    }

    /// The conversation with loss on each assistant turn's content and its end-of-turn token.
    ///
    /// A turn's answer is what the conversation rendered through that turn adds to the
    /// conversation before it rendered with the generation prompt, up to its last turn-end
    /// token; so the tokens before each answer are exactly what inference feeds the model.
    /// Throws when a prefix does not tokenize as the start of the whole conversation. Turns
    /// before `lossFrom` (solved examples shown in the prompt) get no loss.
    func example(_ messages: [ChatMessage], lossFrom: Int = 0) throws -> TokenizedExample {
        let tokens = try encode(messages[...], addGenerationPrompt: false)
        var targets = [Bool](repeating: false, count: tokens.count)
        for turn in messages.indices.dropFirst(lossFrom) where messages[turn].role == "assistant" {
            let prompt = try encode(messages[..<turn], addGenerationPrompt: true)
            let through = turn == messages.count - 1 ? tokens : try encode(messages[...turn], addGenerationPrompt: false)
            guard through.count > prompt.count, through.starts(with: prompt) else {
                throw DataError("assistant turn \(turn): the chat template's generation prompt is not how it renders "
                    + "the start of that turn, so training would not match inference")
            }
            let answer = prompt.count..<answerEnd(through, after: prompt.count)
            guard tokens.starts(with: through[..<answer.upperBound]) else {
                throw DataError("assistant turn \(turn): the conversation up to this turn does not tokenize "
                    + "as the start of the whole conversation")
            }
            for i in answer { targets[i] = true }
        }
        return TokenizedExample(tokens: tokens, targets: targets)
    }

    /// The end of the answer starting at `start`: just past its last turn-end token (the
    /// template's newline after `<|im_end|>` belongs to the next prompt), or the whole rest.
    private func answerEnd(_ tokens: [Int32], after start: Int) -> Int {
        guard let last = tokens[start...].lastIndex(where: turnEnds.contains) else { return tokens.count }
        return last + 1
    }
}
