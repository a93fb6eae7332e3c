// Building T5 from a Hugging Face directory (`t5`: T5, T5 v1.1, Flan-T5). llama.cpp's GGUF
// form of T5 is not read.
import AfinaFormats
import AfinaTensor

extension T5: Architecture {
    public static func load(huggingFace config: [String: Any], weights: WeightTable,
                            backend: any Backend) throws -> any LanguageModel {
        try T5(config: T5Config(huggingFace: config), weights: weights, backend: backend)
    }

    public static func load(gguf file: GGUFFile, backend: any Backend) throws -> any LanguageModel {
        throw ModelError.invalidArgument("\(file.url.lastPathComponent): T5 GGUF files are not supported; use the Hugging Face directory")
    }
}
