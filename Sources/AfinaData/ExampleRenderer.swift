// Training records to token sequences with the answer-only loss mask, truncated to the
// context length the run trains with.
import AfinaTemplates
import AfinaTokenizers
import Foundation

/// Tokenizes training records the way the model will see them at inference.
///
/// - Conversations go through the chat template with loss on the assistant turns (their
///   content and end-of-turn token; see `ChatFormat.example`). Without a template the
///   messages' contents are joined as plain text, each assistant turn followed by EOS and
///   getting loss (a prompt/completion record is "prompt + completion").
/// - Text is encoded as `encode(text)` does (the BOS the tokenizer's post-processor adds, if
///   any: none for SmolLM2, `<|begin_of_text|>` for Llama 3) plus EOS, all with loss.
/// - Without `appendEOS`, text and plain answers end where their content ends: a completion
///   that stops mid-sentence (a name after "Today the CEO,") teaches that token alone, not
///   that the text ends there.
public struct ExampleRenderer: Sendable {
    /// Examples of one file, with the counts a caller should warn about.
    public struct Rendered: Sendable {
        public var examples: [TokenizedExample]
        /// Examples longer than `maxLength` tokens, kept with their beginning.
        public var truncated = 0
        /// Examples left out because truncation removed every token with loss.
        public var dropped = 0
    }

    public let tokenizer: Tokenizer
    public let maxLength: Int
    /// Solved example turns placed before every conversation's own turns, without loss (a
    /// teacher's context when distilling what it answers with examples in front).
    public let shots: [ChatMessage]
    /// Whether text records and answers rendered as plain text end with EOS.
    public let appendEOS: Bool
    private let chat: ChatFormat?

    /// - Parameters:
    ///   - chatTemplate: the model's chat template source; nil renders conversations as plain text.
    ///   - maxLength: the most tokens an example keeps (at least 2).
    ///   - shots: solved user/assistant turns shown before each conversation, without loss.
    ///   - appendEOS: end text records and plain-text answers with EOS.
    public init(tokenizer: Tokenizer, chatTemplate: String?, maxLength: Int, shots: [ChatMessage] = [],
                appendEOS: Bool = true) throws {
        guard maxLength >= 2 else { throw DataError("max_length must be at least 2 tokens, got \(maxLength)") }
        self.tokenizer = tokenizer
        self.maxLength = maxLength
        self.shots = shots
        self.appendEOS = appendEOS
        chat = try chatTemplate.map { try ChatFormat(source: $0, tokenizer: tokenizer) }
    }

    /// The examples of a JSONL file; errors name the file and line of the record (malformed,
    /// or one the chat template cannot render or mask).
    public func render(file: URL) throws -> Rendered {
        var rendered = Rendered(examples: [])
        for (line, record) in try TrainingRecord.numberedRecords(in: file) {
            do {
                add(try example(record), to: &rendered)
            } catch let error as DataError {
                throw DataError.record(file.path, line: line, error.description)
            }
        }
        return rendered
    }

    /// The examples of `records`, in order.
    public func render(_ records: [TrainingRecord]) throws -> Rendered {
        var rendered = Rendered(examples: [])
        for record in records { add(try example(record), to: &rendered) }
        return rendered
    }

    /// One record, untruncated.
    public func example(_ record: TrainingRecord) throws -> TokenizedExample {
        switch record {
        case .messages(let own):
            let messages = own.withExamples(shots)
            let lossFrom = messages.count - own.count + own.prefix { $0.role == "system" }.count
            return try chat?.example(messages, lossFrom: lossFrom) ?? plainExample(messages, lossFrom: lossFrom)
        case .text(let text):
            var tokens = tokenizer.encode(text)
            if appendEOS, let eos = tokenizer.eosID, tokens.last != eos { tokens.append(eos) }
            return TokenizedExample(tokens: tokens, targets: tokens.indices.map { $0 > 0 })
        }
    }

    private func plainExample(_ messages: [ChatMessage], lossFrom: Int) -> TokenizedExample {
        var example = TokenizedExample(tokens: [], targets: [])
        if tokenizer.addBOS, let bos = tokenizer.bosID { example = TokenizedExample(tokens: [bos], targets: [false]) }
        for (turn, message) in messages.enumerated() {
            var ids = tokenizer.encode(message.content, addSpecial: false)
            let isAnswer = message.role == "assistant" && turn >= lossFrom
            if isAnswer && appendEOS, let eos = tokenizer.eosID { ids.append(eos) }
            example.tokens += ids
            example.targets += Array(repeating: isAnswer, count: ids.count)
        }
        if !example.targets.isEmpty { example.targets[0] = false }
        return example
    }

    private func add(_ example: TokenizedExample, to rendered: inout Rendered) {
        guard example.tokens.count > maxLength else {
            if example.targetCount > 0 { rendered.examples.append(example) } else { rendered.dropped += 1 }
            return
        }
        let kept = example.truncated(to: maxLength)
        if kept.targetCount > 0 {
            rendered.examples.append(kept)
            rendered.truncated += 1
        } else {
            rendered.dropped += 1
        }
    }
}
