// The JSONL record shapes people train on, told apart by their keys:
//   {"messages": [{"role": ..., "content": ...}, ...]}     chat (OpenAI / TRL "messages")
//   {"prompt": ..., "completion": ...}                      prompt-completion
//   {"instruction": ..., "input": ... (optional), "output": ...}   Alpaca
//   {"input": ..., "output": ...}                           input-output (Alpaca without instruction)
//   {"src": ..., "tgt": ...}                                CoEdIT's source and target
//   {"text": ...}                                           raw text
// Other keys (ids, metadata) are ignored; keys of two shapes in one record are an error.
import AfinaTemplates
import Foundation

enum RecordShape {
    /// What is wrong with one record, without its location.
    struct Problem: Error {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }

    static func record(fromJSON line: Data) throws -> TrainingRecord {
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: line) as? [String: Any] else {
                throw Problem("expected a JSON object")
            }
            object = parsed
        } catch let problem as Problem {
            throw problem
        } catch {
            throw Problem("invalid JSON")
        }
        let shapes = [("messages", ["messages"]), ("prompt/completion", ["prompt", "completion"]),
                      ("instruction/output", ["instruction", "input", "output"]), ("src/tgt", ["src", "tgt"]), ("text", ["text"])]
            .filter { _, keys in keys.contains { object[$0] != nil } }
        guard shapes.count == 1 else {
            if shapes.isEmpty {
                let keys = object.isEmpty ? "an empty object" : "keys: " + object.keys.sorted().joined(separator: ", ")
                throw Problem("unknown record shape (\(keys)); expected \"messages\", \"prompt\"+\"completion\", "
                    + "\"instruction\"+\"output\", \"input\"+\"output\", \"src\"+\"tgt\" or \"text\"")
            }
            throw Problem("keys of several record shapes (\(shapes.map(\.0).joined(separator: ", "))); use one")
        }
        switch shapes[0].0 {
        case "messages": return .messages(try messages(object))
        case "prompt/completion":
            return .messages([ChatMessage(role: "user", content: try string(object, "prompt")),
                              ChatMessage(role: "assistant", content: try string(object, "completion", nonEmpty: true))])
        case "instruction/output":
            let input = object["input"] == nil || object["input"] is NSNull ? "" : try string(object, "input")
            // Without an instruction the input is the whole prompt ({"input", "output"}).
            var user = object["instruction"] == nil && !input.isEmpty ? input : try string(object, "instruction")
            if object["instruction"] != nil && !input.isEmpty { user += "\n\n" + input }
            return .messages([ChatMessage(role: "user", content: user),
                              ChatMessage(role: "assistant", content: try string(object, "output", nonEmpty: true))])
        case "src/tgt":
            return .messages([ChatMessage(role: "user", content: try string(object, "src")),
                              ChatMessage(role: "assistant", content: try string(object, "tgt", nonEmpty: true))])
        default: return .text(try string(object, "text", nonEmpty: true))
        }
    }

    private static func messages(_ object: [String: Any]) throws -> [ChatMessage] {
        guard let list = object["messages"] as? [Any] else { throw Problem("\"messages\" must be an array") }
        guard !list.isEmpty else { throw Problem("\"messages\" is empty") }
        let messages = try list.enumerated().map { index, item in
            guard let turn = item as? [String: Any] else { throw Problem("messages[\(index)] must be an object") }
            guard let role = turn["role"] as? String else { throw Problem("messages[\(index)].role must be a string") }
            guard let content = turn["content"] as? String else {
                throw Problem("messages[\(index)].content must be a string")
            }
            if role == "assistant" && content.isEmpty { throw Problem("messages[\(index)] is an empty assistant turn") }
            return ChatMessage(role: role, content: content)
        }
        guard messages.contains(where: { $0.role == "assistant" }) else {
            throw Problem("no assistant turn in \"messages\" (nothing to learn)")
        }
        return messages
    }

    private static func string(_ object: [String: Any], _ key: String, nonEmpty: Bool = false) throws -> String {
        guard let value = object[key] else { throw Problem("missing \"\(key)\"") }
        guard let text = value as? String else { throw Problem("\"\(key)\" must be a string") }
        if nonEmpty && text.isEmpty { throw Problem("\"\(key)\" is empty") }
        return text
    }
}
