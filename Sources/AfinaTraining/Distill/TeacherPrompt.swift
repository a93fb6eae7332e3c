// Prompt files for teacher generation: JSONL with `prompt` (one user turn) or `messages` (a
// chat, answered after its last user turn); other keys are ignored, so training files work.
import AfinaData
import AfinaTemplates
import Foundation

/// One prompt for the teacher: the conversation it answers, ending with a user turn.
public struct TeacherPrompt: Sendable, Equatable {
    public var messages: [ChatMessage]
    /// "file:line", for errors.
    public var location: String

    public init(messages: [ChatMessage], location: String) {
        self.messages = messages
        self.location = location
    }

    /// The prompts of a JSONL file, in file order; throws `DataError` naming the first bad line.
    public static func load(from url: URL) throws -> [TeacherPrompt] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw DataError("\(url.path): cannot read (\(error.localizedDescription))")
        }
        let prompts = try parse(jsonl: data, file: url.path)
        guard !prompts.isEmpty else { throw DataError("\(url.path): no prompts") }
        return prompts
    }

    /// One object per line: {"prompt": "..."} (a user turn) or {"messages": [...]} (turns after
    /// the last user turn, such as an existing answer, are dropped). Other keys are ignored, so
    /// training files serve as prompt files. Blank lines are skipped.
    public static func parse(jsonl data: Data, file: String) throws -> [TeacherPrompt] {
        var prompts: [TeacherPrompt] = []
        for (index, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            let location = "\(file):\(index + 1)"
            do {
                prompts.append(TeacherPrompt(messages: try turns(fromJSON: Data(line)), location: location))
            } catch let problem as Problem {
                throw DataError("\(location): \(problem.reason)")
            }
        }
        return prompts
    }

    private struct Problem: Error { let reason: String }

    private static func turns(fromJSON line: Data) throws -> [ChatMessage] {
        guard let json = try? JSONSerialization.jsonObject(with: line) else { throw Problem(reason: "invalid JSON") }
        guard let object = json as? [String: Any] else { throw Problem(reason: "expected a JSON object") }
        switch (object["prompt"], object["messages"]) {
        case (.some, .some): throw Problem(reason: "both \"prompt\" and \"messages\"; use one")
        case (.some(let prompt), nil):
            guard let text = prompt as? String, !text.isEmpty else { throw Problem(reason: "\"prompt\" must be a non-empty string") }
            return [ChatMessage(role: "user", content: text)]
        case (nil, .some(let list)):
            guard let list = list as? [Any] else { throw Problem(reason: "\"messages\" must be an array") }
            let turns = try list.enumerated().map { index, item in
                guard let turn = item as? [String: Any], let role = turn["role"] as? String,
                      let content = turn["content"] as? String else {
                    throw Problem(reason: "messages[\(index)] must be an object with string \"role\" and \"content\"")
                }
                return ChatMessage(role: role, content: content)
            }
            guard let last = turns.lastIndex(where: { $0.role == "user" }) else {
                throw Problem(reason: "no user turn in \"messages\" (nothing to answer)")
            }
            return Array(turns[...last])
        case (nil, nil):
            throw Problem(reason: "expected \"prompt\" or \"messages\" (keys: \(object.keys.sorted().joined(separator: ", ")))")
        }
    }
}
