// Solved examples shown before a prompt (few-shot prompting, and context distillation where a
// teacher sees them but the student's training record does not): user/assistant turns placed
// after the conversation's leading system turns.
import AfinaTemplates
import Foundation

extension Array where Element == ChatMessage {
    /// This conversation with `examples` (solved user/assistant turns) inserted after its
    /// leading system turns.
    public func withExamples(_ examples: [ChatMessage]) -> [ChatMessage] {
        let system = prefix { $0.role == "system" }
        return Array(system) + examples + dropFirst(system.count)
    }
}

extension TrainingRecord {
    /// The solved example turns of a JSONL training file (`--shots FILE`).
    public static func exampleTurns(inFile path: String) throws -> [ChatMessage] {
        try exampleTurns(load(from: URL(fileURLWithPath: path)), file: path)
    }

    /// The solved example turns of chat records (their system turns dropped): each record's
    /// user turns and answers, in file order. `file` names the records in errors.
    public static func exampleTurns(_ records: [TrainingRecord], file: String) throws -> [ChatMessage] {
        try records.enumerated().flatMap { index, record -> [ChatMessage] in
            guard case .messages(let turns) = record, turns.last?.role == "assistant" else {
                throw DataError("\(file): record \(index + 1) has no answer to show as an example")
            }
            return turns.filter { $0.role != "system" }
        }
    }
}
