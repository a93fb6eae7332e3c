// Writing a Llama-family model as a GGUF file that llama.cpp loads, following
// convert_hf_to_gguf.py: arch "llama" (also for Mistral) or "qwen2", its `<arch>.*` keys,
// llama.cpp's tensor names, and for arch "llama" the q/k row permutation that makes RoPE
// rotate adjacent pairs (the exact inverse of `unpermuteRotaryRows`, which loading applies).
// Norms and biases stay F32 as llama.cpp keeps them; weights whose rows are not whole
// blocks fall back to F16, as the converter does.
import AfinaFormats
import AfinaTensor
import AfinaTokenizers
import Foundation

extension Llama {
    /// Writes the model (its float32 values, quantized to `type`, one of
    /// `Quant.quantizableTypes`) with the tokenizer and chat template to `url`.
    public func writeGGUF(to url: URL, type: DType, tokenizer: GGUFTokenizerMetadata, chatTemplate: String?,
                          name: String) throws {
        guard Quant.quantizableTypes.contains(type) else {
            throw ModelError.invalidArgument("cannot write GGUF tensors as \(type) (supported: "
                + Quant.quantizableTypes.map(\.description).joined(separator: ", ") + ")")
        }
        let arch = try ggufArchitecture()
        guard tokenizer.tokens.count == config.vocabularySize else {
            throw ModelError.invalidArgument("the tokenizer has \(tokenizer.tokens.count) tokens but the model "
                + "\(config.vocabularySize) embedding rows; llama.cpp needs them equal")
        }
        var metadata = ggufMetadata(arch: arch, type: type, name: name)
        metadata += tokenizer.ggufMetadata
        if let chatTemplate { metadata.append(("tokenizer.chat_template", .string(chatTemplate))) }
        try GGUFWriter.write(metadata: metadata, tensors: try ggufTensors(arch: arch, type: type), to: url)
    }

    /// llama.cpp's architecture name for this model.
    func ggufArchitecture() throws -> String {
        switch config.modelType {
        case "llama", "mistral": return "llama"
        case "qwen2": return "qwen2"
        default: throw ModelError.invalidArgument("cannot write '\(config.modelType)' models as GGUF (supported: llama, mistral, qwen2)")
        }
    }

    private func ggufMetadata(arch: String, type: DType, name: String) -> [(key: String, value: GGUFValue)] {
        // llama.cpp's LLAMA_FTYPE numbering of "mostly <type>" files.
        let fileType: [DType: UInt32] = [.f32: 0, .f16: 1, .q4_0: 2, .q8_0: 7]
        func count(_ n: Int) -> GGUFValue { .uint32(UInt32(n)) }
        var pairs: [(key: String, value: GGUFValue)] = [
            ("general.architecture", .string(arch)), ("general.type", .string("model")), ("general.name", .string(name)),
            ("\(arch).block_count", count(config.layerCount)), ("\(arch).context_length", count(config.contextLength)),
            ("\(arch).embedding_length", count(config.hiddenSize)),
            ("\(arch).feed_forward_length", count(config.intermediateSize)),
            ("\(arch).attention.head_count", count(config.headCount)),
            ("\(arch).attention.head_count_kv", count(config.kvHeadCount)),
            ("\(arch).rope.freq_base", .float32(Float(config.rope.theta))),
            ("\(arch).attention.layer_norm_rms_epsilon", .float32(config.rmsNormEps)),
            ("general.file_type", .uint32(fileType[type]!)), ("\(arch).vocab_size", count(config.vocabularySize)),
            ("\(arch).rope.dimension_count", count(config.headDim)),
        ]
        if config.headDim * config.headCount != config.hiddenSize {
            pairs += [("\(arch).attention.key_length", count(config.headDim)),
                      ("\(arch).attention.value_length", count(config.headDim))]
        }
        if case .linear(let factor) = config.rope.scaling {
            pairs += [("\(arch).rope.scaling.type", .string("linear")), ("\(arch).rope.scaling.factor", .float32(factor))]
        }
        if type.isQuantized { pairs.append(("general.quantization_version", .uint32(2))) }
        return pairs
    }

    private func ggufTensors(arch: String, type: DType) throws -> [GGUFWriter.Tensor] {
        var tensors: [GGUFWriter.Tensor] = []
        if let divisors = ropeFrequencyDivisors() {
            tensors.append(GGUFWriter.Tensor(name: "rope_freqs.weight", dtype: .f32, shape: [divisors.count]) {
                Quant.quantize(divisors, as: .f32)
            })
        }
        let b = backend
        for p in parameters(.all) {
            let value = p.value, shape = value.shape
            let heads = arch == "llama" ? [".q_proj.": config.headCount, ".k_proj.": config.kvHeadCount]
                .first(where: { p.name.contains($0.key) })?.value : nil
            let dtype: DType = shape.count < 2 ? .f32 : shape.last! % type.blockSize == 0 ? type : .f16
            tensors.append(GGUFWriter.Tensor(name: try Self.ggufName(huggingFace: p.name), dtype: dtype, shape: shape) {
                let values = b.floats(value)
                return Quant.quantize(heads.map { permuteRotaryRows(values, rows: shape[0], heads: $0) } ?? values, as: dtype)
            })
        }
        return tensors
    }

    /// Llama 3 scaling as the per-frequency divisors llama.cpp reads from `rope_freqs.weight`.
    private func ropeFrequencyDivisors() -> [Float]? {
        switch config.rope.scaling {
        case .none, .linear: return nil
        case .divisors(let divisors): return divisors
        case .llama3:
            let base = RoPEConfig(theta: config.rope.theta).inverseFrequencies(headDim: config.headDim)
            return zip(base, config.rope.inverseFrequencies(headDim: config.headDim)).map { $0 / $1 }
        }
    }

    /// Hugging Face tensor name -> GGUF name, the inverse of `huggingFaceName(gguf:source:)`.
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

/// llama.cpp's permutation of q/k rows (convert_hf_to_gguf.py `LlamaModel.permute`): within
/// each head, GGUF row 2i + j takes Hugging Face row j * headDim/2 + i.
func permuteRotaryRows(_ values: [Float], rows: Int, heads: Int) -> [Float] {
    let rowLength = values.count / rows, headDim = rows / heads, half = headDim / 2
    var out = values
    for h in 0..<heads {
        for i in 0..<half {
            for j in 0..<2 {
                let to = (h * headDim + 2 * i + j) * rowLength, from = (h * headDim + j * half + i) * rowLength
                out[to..<to + rowLength] = values[from..<from + rowLength]
            }
        }
    }
    return out
}
