// Writing a decoder as a GGUF file that llama.cpp loads, following convert_hf_to_gguf.py: the
// `general.*` and `<arch>.*` keys every decoder has, llama.cpp's tensor names (the inverse of
// loading's table), the tokenizer and the chat template. Norms and biases stay F32 as llama.cpp
// keeps them; weights whose rows are not whole blocks fall back to F16, as the converter does.
// What differs by architecture (extra keys, tensor transforms) is in Llama+GGUF.swift and
// Gemma3+Export.swift.
import AfinaFormats
import AfinaTensor
import AfinaTokenizers
import Foundation

/// A decoder that writes itself as a GGUF file.
protocol GGUFDecoder: TrainableDecoder {
    /// GGUF tensor stems and their Hugging Face names (as loading reads them).
    static var ggufGlobalNames: [String: String] { get }
    static var ggufLayerNames: [String: String] { get }
    /// llama.cpp's architecture name, or an error saying why this model cannot be written.
    func ggufArchitecture() throws -> String
    /// RoPE of the (global) attention layers.
    var ggufRoPE: RoPEConfig { get }
    /// The `<arch>.*` keys beyond the ones every decoder writes.
    func ggufExtraMetadata(arch: String) -> [(key: String, value: GGUFValue)]
    /// Tensors written before the parameters (llama.cpp's rope_freqs).
    var ggufExtraTensors: [GGUFWriter.Tensor] { get }
    /// A parameter's values as llama.cpp stores them.
    func ggufValues(_ p: Parameter, arch: String) -> [Float]
}

extension GGUFDecoder {
    /// Writes the model (its float32 values, quantized to `type`, one of
    /// `Quant.quantizableTypes`) with the tokenizer and chat template to `url`.
    public func writeGGUF(to url: URL, type: DType, tokenizer: GGUFTokenizerMetadata, chatTemplate: String?,
                          name: String) throws {
        guard Quant.quantizableTypes.contains(type) else {
            throw ModelError.invalidArgument("cannot write GGUF tensors as \(type) (supported: "
                + Quant.quantizableTypes.map(\.description).joined(separator: ", ") + ")")
        }
        let arch = try ggufArchitecture()
        guard tokenizer.tokens.count == vocabularySize else {
            throw ModelError.invalidArgument("the tokenizer has \(tokenizer.tokens.count) tokens but the model "
                + "\(vocabularySize) embedding rows; llama.cpp needs them equal")
        }
        var metadata = ggufMetadata(arch: arch, type: type, name: name)
        metadata += tokenizer.ggufMetadata
        if let chatTemplate { metadata.append(("tokenizer.chat_template", .string(chatTemplate))) }
        try GGUFWriter.write(metadata: metadata, tensors: try ggufTensors(arch: arch, type: type), to: url)
    }

    private func ggufMetadata(arch: String, type: DType, name: String) -> [(key: String, value: GGUFValue)] {
        // llama.cpp's LLAMA_FTYPE numbering of "mostly <type>" files.
        let fileType: [DType: UInt32] = [.f32: 0, .f16: 1, .q4_0: 2, .q8_0: 7]
        func count(_ n: Int) -> GGUFValue { .uint32(UInt32(n)) }
        let d = dimensions
        var pairs: [(key: String, value: GGUFValue)] = [
            ("general.architecture", .string(arch)), ("general.type", .string("model")), ("general.name", .string(name)),
            ("\(arch).block_count", count(d.layerCount)), ("\(arch).context_length", count(contextLength)),
            ("\(arch).embedding_length", count(d.hiddenSize)),
            ("\(arch).feed_forward_length", count(d.intermediateSize)),
            ("\(arch).attention.head_count", count(d.headCount)),
            ("\(arch).attention.head_count_kv", count(d.kvHeadCount)),
            ("\(arch).rope.freq_base", .float32(Float(ggufRoPE.theta))),
            ("\(arch).attention.layer_norm_rms_epsilon", .float32(normEps)),
            ("general.file_type", .uint32(fileType[type]!)),
        ]
        pairs += ggufExtraMetadata(arch: arch)
        if case .linear(let factor) = ggufRoPE.scaling {
            pairs += [("\(arch).rope.scaling.type", .string("linear")), ("\(arch).rope.scaling.factor", .float32(factor))]
        }
        if type.isQuantized { pairs.append(("general.quantization_version", .uint32(2))) }
        return pairs
    }

    private func ggufTensors(arch: String, type: DType) throws -> [GGUFWriter.Tensor] {
        var tensors = ggufExtraTensors
        for p in parameters(.all) {
            let shape = p.value.shape
            let dtype: DType = shape.count < 2 ? .f32 : shape.last! % type.blockSize == 0 ? type : .f16
            tensors.append(GGUFWriter.Tensor(name: try Self.ggufName(huggingFace: p.name), dtype: dtype, shape: shape) {
                Quant.quantize(self.ggufValues(p, arch: arch), as: dtype)
            })
        }
        return tensors
    }

    /// Hugging Face tensor name -> GGUF name, the inverse of loading's `ggufToHuggingFace`.
    static func ggufName(huggingFace name: String) throws -> String {
        let global = Dictionary(uniqueKeysWithValues: ggufGlobalNames.map { ($1, $0) })
        let perLayer = Dictionary(uniqueKeysWithValues: ggufLayerNames.map { ($1, $0) })
        guard let dot = name.lastIndex(of: ".") else { throw ModelError.unexpectedWeights([name], source: "export") }
        let (stem, suffix) = (String(name[..<dot]), name[dot...])
        if let gguf = global[stem] { return gguf + suffix }
        let parts = stem.split(separator: ".", maxSplits: 3).map(String.init)
        if parts.count == 4, parts[0] == "model", parts[1] == "layers", let layer = Int(parts[2]),
           let gguf = perLayer[parts[3]] {
            return "blk.\(layer).\(gguf)\(suffix)"
        }
        throw ModelError.unexpectedWeights([name], source: "export")
    }
}
