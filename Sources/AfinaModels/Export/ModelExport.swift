// Exporting a loaded model for other tools: a Hugging Face directory (transformers) or a GGUF
// file (llama.cpp), each with the tokenizer and chat template of the model it came from.
// The tokenizer travels as files when the source had them (a Hugging Face directory) and as
// GGUF metadata otherwise, converted to whichever form the target needs.
import AfinaFormats
import AfinaTensor
import AfinaTokenizers
import Foundation

public enum ModelExport {
    /// Writes `model` (the network of `source`, or a merged copy of it) as a Hugging Face
    /// directory: config.json, model.safetensors (float32) and tokenizer files.
    public static func writeHuggingFace(_ model: any ExportableModel, source: any ModelSource, to directory: URL) throws {
        switch try tokenizerSource(of: source) {
        case .directory(let url):
            try model.writeHuggingFace(to: directory, tokenizer: source.tokenizer, tokenizerDirectory: url, tokenizerFrom: nil)
        case .gguf(let metadata):
            // Converted first, so a tokenizer that cannot be written stops the export before any file is.
            let files = try metadata.huggingFaceFiles(chatTemplate: source.chatTemplate)
            try model.writeHuggingFace(to: directory, tokenizer: source.tokenizer, tokenizerDirectory: nil, tokenizerFrom: nil)
            for (name, data) in files {
                try data.write(to: directory.appendingPathComponent(name), options: .atomic)
            }
        }
    }

    /// Writes `model` as a GGUF file with weights stored as `type`.
    public static func writeGGUF(_ model: any ExportableModel, source: any ModelSource, type: DType, name: String, to url: URL) throws {
        let metadata = switch try tokenizerSource(of: source) {
        case .directory(let directory):
            try GGUFTokenizerMetadata(huggingFaceDirectory: directory, vocabularySize: model.vocabularySize)
        case .gguf(let metadata): metadata
        }
        try model.writeGGUF(to: url, type: type, tokenizer: metadata, chatTemplate: source.chatTemplate, name: name)
    }

    private enum TokenizerSource {
        /// A Hugging Face directory with tokenizer.json.
        case directory(URL)
        case gguf(GGUFTokenizerMetadata)
    }

    /// The tokenizer files of a Hugging Face source, or the GGUF metadata of a GGUF source (or
    /// of the GGUF base an Afina-written directory names in afina.json).
    private static func tokenizerSource(of source: any ModelSource) throws -> TokenizerSource {
        var url = URL(fileURLWithPath: source.info.path)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            guard let base = ModelLoader.tokenizerSource(of: url) else { return .directory(url) }
            url = try ModelLoader.resolve(base)
        }
        let file = try GGUFFile(url: url)
        return .gguf(try GGUFTokenizerMetadata(metadata: file.metadata, source: url.path))
    }
}
