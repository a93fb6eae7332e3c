// What each fuzz target feeds its input to. A reader may refuse an input with an error (that is
// its job); a crash, a hang or an allocation the input did not pay for is the bug being looked
// for. Inputs to the file readers go through a file, as users' inputs do (the readers map it).
import AfinaData
import AfinaFormats
import AfinaServing
import AfinaTemplates
import AfinaTokenizers
import AfinaTraining
import Foundation

enum FuzzTarget: String, CaseIterable {
    /// GGUF header, metadata and tensor table, then the tokenizer the metadata describes.
    case gguf
    /// A safetensors header and its tensor table.
    case safetensors
    /// tokenizer.json, then encoding and decoding a few strings with it.
    case tokenizer
    /// A chat template parsed, then rendered for a small conversation.
    case template
    /// JSONL training and task records.
    case jsonl
    /// A training config in YAML, with an override.
    case yaml
    /// An OpenAI request body (the first byte picks chat or text completions), decoded and
    /// checked as the server does before it needs a model, then its messages rendered.
    case openai

    /// One run on `data`.
    func run(_ data: Data) {
        switch self {
        case .gguf:
            guard let file = try? GGUFFile(url: Self.file(holding: data)) else { return }
            _ = try? Tokenizer(gguf: file)
        case .safetensors:
            _ = try? SafetensorsFile(url: Self.file(holding: data))
        case .tokenizer:
            guard let tokenizer = try? Tokenizer(tokenizerJSON: data) else { return }
            for text in Self.texts {
                _ = tokenizer.decode(tokenizer.encode(text))
            }
        case .template:
            guard let template = try? ChatTemplate(String(decoding: data, as: UTF8.self), maxSteps: 100_000) else { return }
            _ = try? template.render(messages: Self.conversation, addGenerationPrompt: true,
                                     extra: ["bos_token": .string("<s>"), "eos_token": .string("</s>")])
        case .jsonl:
            _ = try? TrainingRecord.parse(jsonl: data, file: "input.jsonl")
        case .yaml:
            _ = try? TrainingConfig(yaml: String(decoding: data, as: UTF8.self), overrides: ["lora.rank=4"], source: "input.yaml")
        case .openai:
            guard let first = data.first else { return }
            let route: RequestBodies.Route = first % 2 == 0 ? .chatCompletions : .completions
            guard let texts = try? RequestBodies.check(data.dropFirst(), as: route) else { return }
            _ = try? Self.chatML.render(messages: texts.map { ChatMessage(role: "user", content: $0) }, addGenerationPrompt: true,
                                        extra: [:])
        }
    }

    private static let texts = ["Hello world", "  spaces\tand\nnewlines  ", "ünïcödé 日本語 😀 e\u{301}", ""]
    private static let conversation = [ChatMessage(role: "system", content: "Be brief."),
                                       ChatMessage(role: "user", content: "Hi"),
                                       ChatMessage(role: "assistant", content: "Hello."),
                                       ChatMessage(role: "user", content: "Bye")]

    /// The served models' template shape (SmolLM2's ChatML), for what a request's messages become.
    private static let chatML = try! ChatTemplate(
        "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
            + "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")

    /// A file of this process holding `data`, rewritten for each input.
    private static func file(holding data: Data) -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("afina-fuzz-\(getpid()).bin")
        FileManager.default.createFile(atPath: url.path, contents: data)
        return url
    }
}
