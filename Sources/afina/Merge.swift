// afina merge: fold a LoRA adapter into its base and write a Hugging Face directory.
import AfinaModels
import ArgumentParser
import Foundation

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Merge a LoRA adapter into its base model and write a Hugging Face safetensors directory.",
        discussion: """
            Each adapted weight becomes W + scale * B A (float32). The directory holds config.json, \
            model.safetensors and, when the base is a Hugging Face directory, its tokenizer files; \
            from a GGUF base, afina.json names the base, whose tokenizer Afina then uses.

            Example: afina merge smollm2-135m-instruct runs/spelling-lora/adapter merged/
            """)

    @Argument(help: "Base model: a pulled name, a .gguf file or a Hugging Face directory.") var base: String
    @Argument(help: "Adapter directory in peft's layout (adapter_config.json + adapter_model.safetensors).")
    var adapter: String
    @Argument(help: "Output directory.") var output: String

    func run() throws {
        let loaded = try ModelLoader.load(base, adapter: URL(fileURLWithPath: adapter))
        guard let llama = loaded.model as? Llama else {
            throw ValidationError("\(loaded.info.architecture) models cannot be merged yet")
        }
        let source = URL(fileURLWithPath: loaded.info.path)
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: source.path, isDirectory: &isDirectory)
        try llama.merged().writeHuggingFace(to: URL(fileURLWithPath: output), tokenizer: loaded.tokenizer,
                                            tokenizerDirectory: exists && isDirectory.boolValue ? source : nil,
                                            tokenizerFrom: base)
        print("wrote \(output)")
        if !isDirectory.boolValue {
            printError("note: the base is a GGUF file, so \(output) has no tokenizer files (Afina uses the base's, "
                + "named in afina.json); for other tools copy tokenizer.json and tokenizer_config.json from the "
                + "model's Hugging Face repository")
        }
    }
}
