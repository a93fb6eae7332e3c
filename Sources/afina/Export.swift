// afina export: a model (with its LoRA merged) as a Hugging Face directory or a GGUF file.
import AfinaModels
import AfinaTensor
import ArgumentParser
import Foundation

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a model, with its adapter merged, as a Hugging Face directory or a GGUF file.",
        discussion: """
            --to hf writes config.json, model.safetensors (float32) and tokenizer files \
            (tokenizer.json and tokenizer_config.json with the chat template, made from the GGUF metadata \
            when the source is a GGUF file) that transformers loads. --to gguf writes a GGUF v3 file for \
            llama.cpp with the tokenizer and chat template; --type sets the weights' type (norms and \
            biases stay F32).

            Examples:
              afina export smollm2-135m-instruct --to hf smollm2-hf/
              afina export smollm2-135m-instruct --adapter runs/spelling-lora/adapter --to gguf speller.gguf --type q8_0
              afina export runs/spelling-lora/adapter --to gguf speller-q4.gguf --type q4_0
            """)

    enum Target: String, ExpressibleByArgument, CaseIterable { case hf, gguf }

    @Argument(help: "A pulled model name, a .gguf file, a Hugging Face directory, or an adapter directory.")
    var model: String
    @Option(help: "A LoRA adapter directory in peft's layout, merged into the model before export.")
    var adapter: String?
    @Option(help: "What to write: hf (a Hugging Face directory) or gguf (a GGUF file).") var to: Target
    @Argument(help: "Output directory (hf) or file (gguf).") var output: String
    @Option(help: "GGUF weight type: f32, f16, q8_0 or q4_0 (gguf only).") var type: String?
    @OptionGroup var backendOptions: BackendOptions

    /// The GGUF weight type --type names (f16 when not given).
    private var weightType: DType {
        get throws {
            let name = type ?? "f16"
            guard let t = Quant.quantizableTypes.first(where: { $0.description.lowercased() == name.lowercased() }) else {
                throw ValidationError("unknown --type '\(name)' (supported: "
                    + Quant.quantizableTypes.map { $0.description.lowercased() }.joined(separator: ", ") + ")")
            }
            return t
        }
    }

    func validate() throws {
        if to == .hf && type != nil { throw ValidationError("--type applies to --to gguf only (hf is float32)") }
        _ = try weightType
    }

    func run() throws {
        let loaded = try ModelLoader.loadNetwork(model, adapter: adapter.map { URL(fileURLWithPath: $0) },
                                                 backend: backendOptions.make())
        guard let exportable = loaded.network as? any ExportableModel else {
            throw ValidationError("\(loaded.info.architecture) models cannot be exported yet")
        }
        let merged = try exportable.withAdaptersMerged()
        let url = URL(fileURLWithPath: output)
        switch to {
        case .hf:
            try ModelExport.writeHuggingFace(merged, source: loaded, to: url)
        case .gguf:
            let name = URL(fileURLWithPath: adapter ?? model).deletingPathExtension().lastPathComponent
            try ModelExport.writeGGUF(merged, source: loaded, type: try weightType, name: name, to: url)
        }
        print("wrote \(output)")
    }
}
