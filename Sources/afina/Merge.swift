// afina merge: fold a LoRA adapter into its base and write a Hugging Face directory.
import AfinaModels
import ArgumentParser
import Foundation

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Merge a LoRA adapter into its base model and write a Hugging Face safetensors directory.",
        discussion: """
            Each adapted weight becomes W + scale * B A (float32). The directory holds config.json, \
            model.safetensors and tokenizer files (copied from a Hugging Face base, made from a GGUF \
            base's metadata), as `afina export --to hf` writes.

            Example: afina merge smollm2-135m-instruct runs/spelling-lora/adapter merged/
            """)

    @Argument(help: "Base model: a pulled name, a .gguf file or a Hugging Face directory.") var base: String
    @Argument(help: "Adapter directory in peft's layout (adapter_config.json + adapter_model.safetensors).")
    var adapter: String
    @Argument(help: "Output directory.") var output: String
    @OptionGroup var backendOptions: BackendOptions

    func run() throws {
        let loaded = try ModelLoader.loadNetwork(base, adapter: URL(fileURLWithPath: adapter), backend: backendOptions.make())
        guard let model = loaded.network as? any ExportableModel else {
            throw ValidationError("\(loaded.info.architecture) models cannot be merged yet")
        }
        try ModelExport.writeHuggingFace(try model.merged(), source: loaded, to: URL(fileURLWithPath: output))
        print("wrote \(output)")
    }
}
