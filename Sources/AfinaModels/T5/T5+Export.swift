// Writing T5 as a Hugging Face directory transformers loads (config.json, model.safetensors
// with the checkpoint's names), adapters folded in first when asked. llama.cpp's T5 GGUF is
// not written.
import AfinaTensor
import AfinaTokenizers
import Foundation

extension T5: ExportableModel {
    public var parameterCount: Int { parameters(.all).map(\.value.count).reduce(0, +) }
    public var hasAdapters: Bool { !parameters(.adapters).isEmpty }

    public func merged() throws -> T5 {
        let (b, copy) = (trainingBackend, try floatCopy())
        for (_, stack, _) in stacks {
            for (i, layer) in self[keyPath: stack].enumerated() {
                for (_, path) in linears(layer) { layer[keyPath: path].foldAdapter(into: copy[keyPath: stack][i][keyPath: path].weight, b) }
            }
        }
        return copy
    }

    public func writeHuggingFace(to directory: URL, tokenizer: Tokenizer, tokenizerDirectory: URL?, tokenizerFrom: String?) throws {
        try HuggingFaceFiles.write(config: config.huggingFaceJSON, tensors: parameters(.all).map { ($0.name, $0.value) },
                                   backend: backend, tokenizerDirectory: tokenizerDirectory, tokenizerFrom: tokenizerFrom,
                                   to: directory)
    }

    public func writeGGUF(to url: URL, type: DType, tokenizer: GGUFTokenizerMetadata, chatTemplate: String?, name: String) throws {
        throw ModelError.invalidArgument("T5 models are written as Hugging Face directories only (afina export --to hf)")
    }
}
