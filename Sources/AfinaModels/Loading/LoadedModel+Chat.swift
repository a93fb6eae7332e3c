// Chat prompts and stop tokens of a loaded model.
import AfinaTemplates

extension LoadedModel {
    /// Ids that end a reply: the end-of-sequence token and the turn terminators chat
    /// templates use, where the vocabulary has them.
    public var stopTokens: Set<Int32> {
        var ids = Set([tokenizer.eosID].compactMap { $0 })
        for name in ["<|im_end|>", "<|eot_id|>", "<|endoftext|>", "<|end|>", "<end_of_turn>"] {
            if let id = tokenizer.id(of: name), tokenizer.isSpecial(id) { ids.insert(id) }
        }
        return ids
    }

    /// A single-turn conversation rendered with the model's template, ready to generate. A
    /// template that fails names the model file it came from.
    public func chatPrompt(user: String, system: String? = nil) throws -> [Int32] {
        var messages = system.map { [ChatMessage(role: "system", content: $0)] } ?? []
        messages.append(ChatMessage(role: "user", content: user))
        do {
            return tokenizer.encode(try renderChat(messages, addGenerationPrompt: true), addSpecial: false)
        } catch let error as ChatTemplateError {
            throw ModelError.invalidArgument("\(info.path): \(error)")
        }
    }

    /// The conversation as text through the model's chat template (as transformers'
    /// `apply_chat_template(tokenize=False)`).
    public func renderChat(_ messages: [ChatMessage], addGenerationPrompt: Bool) throws -> String {
        guard let source = chatTemplate else {
            throw ModelError.notFound("\(info.path) has no chat template; use --prompt instead of --chat")
        }
        var extra: [String: TemplateValue] = [:]
        if let bos = tokenizer.bosID.flatMap(tokenizer.token(for:)) { extra["bos_token"] = .string(bos) }
        if let eos = tokenizer.eosID.flatMap(tokenizer.token(for:)) { extra["eos_token"] = .string(eos) }
        return try ChatTemplate(source).render(messages: messages, addGenerationPrompt: addGenerationPrompt, extra: extra)
    }
}
