// The public face of the Jinja subset: parse a Hugging Face chat template once, render
// conversations with it exactly as transformers' `apply_chat_template(tokenize=False)`.

/// One turn of a conversation.
public struct ChatMessage: Sendable, Hashable {
    /// "system", "user", "assistant", "tool"...
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }

    /// The message as the template sees it: `{"role": ..., "content": ...}`.
    public var templateValue: TemplateValue {
        ["role": .string(role), "content": .string(content)]
    }
}

/// A parsed chat template (`tokenizer.chat_template` in GGUF, `chat_template` in
/// tokenizer_config.json). Rendering follows Jinja2 as transformers configures it:
/// `trim_blocks`, `lstrip_blocks`, loop controls, `raise_exception`, `strftime_now` and a
/// `tojson` that keeps non-ASCII text and does not escape HTML. Rendering nests at most 200
/// levels (macro recursion included), so a runaway template fails with an error instead of
/// overflowing the stack, even on a 512 KB thread.
public struct ChatTemplate: Sendable {
    /// The template text as given.
    public let source: String
    private let root: Jinja.Frame
    /// Statements and expressions one render may evaluate before it fails: a real template
    /// takes thousands; one that loops for ever stops within seconds.
    public let maxSteps: Int
    public static let defaultMaxSteps = 2_000_000

    /// Parses `source`; throws `ChatTemplateError` (kind `.syntax`) with the line and column
    /// of the first problem.
    public init(_ source: String, maxSteps: Int = ChatTemplate.defaultMaxSteps) throws {
        self.source = source
        self.maxSteps = maxSteps
        root = try Jinja.Parser.parse(source)
    }

    /// Renders plain text messages. Special tokens the template uses (`bos_token`,
    /// `eos_token`...) and any other template variables go in `extra`.
    public func render(messages: [ChatMessage], addGenerationPrompt: Bool,
                       extra: [String: TemplateValue] = [:]) throws -> String {
        try render(conversation: messages.map(\.templateValue), addGenerationPrompt: addGenerationPrompt, extra: extra)
    }

    /// Renders messages given as values, so they can carry more than text (`tool_calls`,
    /// `tool_call_id`, content parts), with optional tool schemas and documents. As in
    /// transformers, `tools` and `documents` are defined but `none` when not given; `extra`
    /// cannot replace `messages`, `add_generation_prompt`, `tools` or `documents`.
    public func render(conversation: [TemplateValue], addGenerationPrompt: Bool, tools: [TemplateValue]? = nil,
                       documents: [TemplateValue]? = nil, extra: [String: TemplateValue] = [:]) throws -> String {
        var context = extra
        context["messages"] = .array(conversation)
        context["add_generation_prompt"] = .bool(addGenerationPrompt)
        context["tools"] = tools.map(TemplateValue.array) ?? .null
        context["documents"] = documents.map(TemplateValue.array) ?? .null
        return try render(context: context)
    }

    /// Renders with exactly these variables and nothing else.
    public func render(context: [String: TemplateValue]) throws -> String {
        try Jinja.Interpreter(maxSteps: maxSteps).render(root, context: context.mapValues(Jinja.Value.init))
    }
}
