// Task files: JSONL, one {"prompt": String, "reference": String or [String]} per line.
// Other keys (ids, tags) are allowed and ignored; blank lines are skipped.
import Foundation

/// One question of a task and the answers that count as right.
public struct TaskExample: Equatable, Sendable {
    public var prompt: String
    /// At least one; a prediction matching any of them is right.
    public var references: [String]

    public init(prompt: String, references: [String]) {
        self.prompt = prompt
        self.references = references
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
            func fail(_ message: String) -> EvalError { .malformedLine(path: path, line: index + 1, message: message) }
            guard line.contains(where: { !Set(" \t\r".utf8).contains($0) }) else { continue }
            guard let json = try? JSONSerialization.jsonObject(with: Data(line), options: [.fragmentsAllowed]) else {
                throw fail("not valid JSON")
            }
            guard let object = json as? [String: Any] else { throw fail("expected a JSON object") }
            guard let prompt = object["prompt"] as? String else { throw fail("\"prompt\" must be a string") }
            let references: [String]
            switch object["reference"] {
            case let text as String: references = [text]
            case let list as [Any] where !list.isEmpty && list.allSatisfy({ $0 is String }):
                references = list.map { $0 as! String }
            case nil: throw fail("missing \"reference\"")
            default: throw fail("\"reference\" must be a string or a non-empty list of strings")
            }
            examples.append(TaskExample(prompt: prompt, references: references))
        }
        return examples
    }
}
