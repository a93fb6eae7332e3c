// The export capability: a network that writes itself for other tools (a Hugging Face
// directory for transformers, a GGUF file for llama.cpp) and can fold its LoRA adapters in
// first. `afina export`, `merge`, `student init` and full fine-tuning's output ask for this,
// never for a concrete architecture; the writers themselves live beside each architecture.
import AfinaTensor
import AfinaTokenizers
import Foundation

/// A network that can be written out as a checkpoint other tools load.
public protocol ExportableModel: LanguageModel {
    /// Weights in the model, each counted once (a tied output head is the embedding).
    var parameterCount: Int { get }
    /// Whether LoRA adapters ride on the weights unmerged (an export would drop them).
    var hasAdapters: Bool { get }
    /// A float32 copy with every adapter folded into its base weight.
    func merged() throws -> Self
    /// Writes config.json and model.safetensors into `directory`, copying the tokenizer files
    /// of `tokenizerDirectory` (a Hugging Face base) when given; otherwise `tokenizerFrom` (a
    /// GGUF base's model spec) goes into afina.json so Afina can find the tokenizer.
    func writeHuggingFace(to directory: URL, tokenizer: Tokenizer, tokenizerDirectory: URL?,
                          tokenizerFrom: String?) throws
    /// Writes a GGUF file with weights stored as `type` (one of `Quant.quantizableTypes`), the
    /// tokenizer and the chat template.
    func writeGGUF(to url: URL, type: DType, tokenizer: GGUFTokenizerMetadata, chatTemplate: String?,
                   name: String) throws
}

extension ExportableModel {
    /// This model, or a merged copy when it carries adapters (the copy costs float32 memory,
    /// so a model without adapters is returned as is).
    public func withAdaptersMerged() throws -> Self { hasAdapters ? try merged() : self }
}
