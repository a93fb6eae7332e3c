// Few-shot prompting: the first N examples of a task become solved user/assistant turns in
// front of every other prompt, and are not scored themselves, so an untuned model sees the
// expected answer format before it answers.
import AfinaData
import AfinaTemplates

public enum FewShot {
    /// The examples left to score, each preceded by the first `count` examples answered with
    /// their first reference. A leading system turn of an example stays first; the shots' own
    /// system turns are dropped.
    public static func apply(_ count: Int, to examples: [TaskExample]) throws -> [TaskExample] {
        guard count > 0 else { return examples }
        guard count < examples.count else {
            throw EvalError.invalidArgument("--few-shot \(count) leaves nothing to score: the task has "
                + "\(examples.count) examples and the first \(count) become the shots")
        }
        let turns = examples.prefix(count).flatMap { shot in
            shot.messages.filter { $0.role != "system" } + [ChatMessage(role: "assistant", content: shot.references[0])]
        }
        return examples.dropFirst(count).map { example in
            var scored = example
            scored.messages = example.messages.withExamples(turns)
            return scored
        }
    }
}
