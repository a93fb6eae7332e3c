// Fixtures of Tests/Fixtures/data (written by scripts/make_data_fixtures.py) and the SmolLM2
// tokenizer of Tests/Fixtures/tokenizer.
import AfinaTemplates
import AfinaTokenizers
import Foundation

enum Fixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    /// A conversation as transformers tokenized it, with its `return_assistant_tokens_mask`.
    struct Conversation: Decodable {
        struct Message: Decodable { var role: String; var content: String }
        var messages: [Message]
        var ids: [Int32]
        var targets: [Bool]
        /// The first user turn rendered with the generation prompt, tokenized.
        var firstPromptIDs: [Int32]

        enum CodingKeys: String, CodingKey {
            case messages, ids, targets
            case firstPromptIDs = "first_prompt_ids"
        }

        var chatMessages: [ChatMessage] { messages.map { ChatMessage(role: $0.role, content: $0.content) } }
    }

    struct Text: Decodable { var text: String; var ids: [Int32] }

    struct SmolLM2Examples: Decodable {
        var template: String
        var conversations: [String: Conversation]
        var texts: [Text]
    }

    static func smollm2Examples() throws -> SmolLM2Examples {
        let data = try Data(contentsOf: folder.appendingPathComponent("data/smollm2_examples.json"))
        return try JSONDecoder().decode(SmolLM2Examples.self, from: data)
    }

    private static let smollm2 = Result { try Tokenizer(directory: folder.appendingPathComponent("tokenizer/smollm2")) }

    static func smollm2Tokenizer() throws -> Tokenizer { try smollm2.get() }

    /// A fresh empty directory under the temporary folder.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("afina-data-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
