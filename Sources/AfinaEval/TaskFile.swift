// Task files: JSONL, one example per line, in any of these shapes (other keys are ignored,
// blank lines skipped):
//   {"prompt": ..., "reference": "..." or [...]}                the task shape
//   {"messages": [...], "reference": ...}                       a conversation to answer
//   {"messages": [..., {"role": "assistant", ...}]}              its last assistant turn is the reference
//   {"prompt": ..., "completion": ...}                          training shapes: the answer is the reference
//   {"instruction": ..., "input": ... (optional), "output": ...}  (Alpaca, rendered as `afina train` does)
//   {"input": ..., "output": ...}
//   {"src": ..., "tgt": ...}                                    CoEdIT's shape
// `reference` wins over `completion` / `output` / `tgt`. SARI's source sentence is the
// `source` key, else `input` or `src`.
import AfinaTemplates
import Foundation

/// One question of a task and the answers that count as right.
public struct TaskExample: Equatable, Sendable {
    /// The question as shown in reports: the last user turn of `messages`.
    public var prompt: String
    /// The conversation the model answers; it ends with a user turn.
    public var messages: [ChatMessage]
    /// At least one; a prediction matching any of them is right.
    public var references: [String]
    /// The text the answer rewrites (SARI's source), when the record names one.
    public var source: String?

    public init(prompt: String, references: [String], source: String? = nil) {
        self.init(messages: [ChatMessage(role: "user", content: prompt)], references: references, source: source)
    }

    public init(messages: [ChatMessage], references: [String], source: String? = nil) {
        self.messages = messages
        self.prompt = messages.last(where: { $0.role == "user" })?.content ?? messages.last?.content ?? ""
        self.references = references
        self.source = source
    }
}

public enum EvalError: Error, Equatable, CustomStringConvertible {
    /// A task file line that is not a valid example: `file:line: what`.
    case malformedLine(path: String, line: Int, message: String)
    case unreadable(path: String, message: String)
    case emptyTask(path: String)
    case invalidArgument(String)
    /// Generation failed; the message names the examples.
    case generationFailed(String)

    public var description: String {
        switch self {
        case let .malformedLine(path, line, message): "\(path):\(line): \(message)"
        case let .unreadable(path, message): "\(path): \(message)"
        case .emptyTask(let path): "\(path): no examples (expected JSONL lines {\"prompt\": ..., \"reference\": ...})"
        case .invalidArgument(let message): message
        case .generationFailed(let message): message
        }
    }
}

public enum TaskFile {
    /// The examples of the JSONL file at `path`, in file order.
    public static func load(_ path: String) throws -> [TaskExample] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw EvalError.unreadable(path: path, message: error.localizedDescription)
        }
        let examples = try parse(data, path: path)
        guard !examples.isEmpty else { throw EvalError.emptyTask(path: path) }
        return examples
    }

    /// Parses JSONL text; `path` only names the source in errors.
    public static func parse(_ data: Data, path: String) throws -> [TaskExample] {
        var examples: [TaskExample] = []
        for (index, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            guard line.contains(where: { !Set(" \t\r".utf8).contains($0) }) else { continue }
            do {
                guard let json = try? JSONSerialization.jsonObject(with: Data(line), options: [.fragmentsAllowed]) else {
                    throw Problem("not valid JSON")
                }
                guard let object = json as? [String: Any] else { throw Problem("expected a JSON object") }
                examples.append(try example(object))
            } catch let problem as Problem {
                throw EvalError.malformedLine(path: path, line: index + 1, message: problem.reason)
            }
        }
        return examples
    }

    private struct Problem: Error {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }

    private static func example(_ object: [String: Any]) throws -> TaskExample {
        let promptKeys = ["messages", "prompt", "instruction"].filter { object[$0] != nil }
        guard promptKeys.count <= 1 else {
            throw Problem("keys of several prompt shapes (\(promptKeys.joined(separator: ", "))); use one")
        }
        var messages: [ChatMessage]
        var answer: String?     // the reference a training shape carries
        switch promptKeys.first {
        case "messages":
            messages = try conversation(object["messages"])
            if messages.last?.role == "assistant" { answer = messages.removeLast().content }
            guard messages.last?.role == "user" else {
                throw Problem("\"messages\" must end with a user turn (or a user turn and its assistant answer)")
            }
        case "prompt":
            messages = [ChatMessage(role: "user", content: try string(object, "prompt"))]
            answer = try optionalString(object, "completion")
        case "instruction":
            var user = try string(object, "instruction")
            if let input = try optionalString(object, "input"), !input.isEmpty { user += "\n\n" + input }
            messages = [ChatMessage(role: "user", content: user)]
            answer = try optionalString(object, "output")
        default:
            guard let key = ["input", "src"].first(where: { object[$0] != nil }) else {
                throw Problem("missing \"prompt\" (or \"messages\", \"instruction\", \"input\", \"src\")")
            }
            messages = [ChatMessage(role: "user", content: try string(object, key))]
            answer = try optionalString(object, key == "src" ? "tgt" : "output")
        }
        let references: [String]
        switch object["reference"] {
        case let text as String: references = [text]
        case let list as [Any] where !list.isEmpty && list.allSatisfy({ $0 is String }):
            references = list.map { $0 as! String }
        case nil:
            guard let answer else { throw Problem("missing \"reference\"") }
            references = [answer]
        default: throw Problem("\"reference\" must be a string or a non-empty list of strings")
        }
        let source = try optionalString(object, "source") ?? optionalString(object, "input") ?? optionalString(object, "src")
        return TaskExample(messages: messages, references: references, source: source)
    }

    private static func conversation(_ value: Any?) throws -> [ChatMessage] {
        guard let list = value as? [Any], !list.isEmpty else { throw Problem("\"messages\" must be a non-empty array") }
        return try list.enumerated().map { index, item in
            guard let turn = item as? [String: Any], let role = turn["role"] as? String,
                  let content = turn["content"] as? String else {
                throw Problem("messages[\(index)] must be an object with string \"role\" and \"content\"")
            }
            return ChatMessage(role: role, content: content)
        }
    }

    private static func string(_ object: [String: Any], _ key: String) throws -> String {
        guard let text = object[key] as? String else { throw Problem("\"\(key)\" must be a string") }
        return text
    }

    private static func optionalString(_ object: [String: Any], _ key: String) throws -> String? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let text = value as? String else { throw Problem("\"\(key)\" must be a string") }
        return text
    }
}
