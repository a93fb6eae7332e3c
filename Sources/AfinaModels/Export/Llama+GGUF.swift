// Writing a Llama-family model as a GGUF file (the shared writer: DecoderGGUF.swift), as
// convert_hf_to_gguf.py does: arch "llama" (also for Mistral) or "qwen2", its extra keys, Llama
// 3's rope_freqs, and for arch "llama" the q/k row permutation that makes RoPE rotate adjacent
// pairs (the exact inverse of `unpermuteRotaryRows`, which loading applies).
import AfinaFormats
import AfinaTensor
import AfinaTokenizers
import Foundation

extension Llama: GGUFDecoder {
    /// llama.cpp's architecture name for this model.
    func ggufArchitecture() throws -> String {
        switch config.modelType {
        case "llama", "mistral": return "llama"
        case "qwen2": return "qwen2"
        default: throw ModelError.invalidArgument("cannot write '\(config.modelType)' models as GGUF (supported: llama, mistral, qwen2)")
        }
    }

    var ggufRoPE: RoPEConfig { config.rope }

    func ggufExtraMetadata(arch: String) -> [(key: String, value: GGUFValue)] {
        func count(_ n: Int) -> GGUFValue { .uint32(UInt32(n)) }
        var pairs: [(key: String, value: GGUFValue)] = [("\(arch).vocab_size", count(config.vocabularySize)),
                                                        ("\(arch).rope.dimension_count", count(config.headDim))]
        if config.headDim * config.headCount != config.hiddenSize {
            pairs += [("\(arch).attention.key_length", count(config.headDim)),
                      ("\(arch).attention.value_length", count(config.headDim))]
        }
        return pairs
    }

    /// Llama 3 scaling as the per-frequency divisors llama.cpp reads from `rope_freqs.weight`.
    var ggufExtraTensors: [GGUFWriter.Tensor] {
        let divisors: [Float]
        switch config.rope.scaling {
        case .none, .linear: return []
        case .divisors(let given): divisors = given
        case .llama3:
            let base = RoPEConfig(theta: config.rope.theta).inverseFrequencies(headDim: config.headDim)
            divisors = zip(base, config.rope.inverseFrequencies(headDim: config.headDim)).map { $0 / $1 }
        }
        return [GGUFWriter.Tensor(name: "rope_freqs.weight", dtype: .f32, shape: [divisors.count]) {
            Quant.quantize(divisors, as: .f32)
        }]
    }

    /// For arch "llama", q/k rows permuted so RoPE rotates adjacent pairs.
    func ggufValues(_ p: Parameter, arch: String) -> [Float] {
        let values = backend.floats(p.value)
        let heads = arch == "llama" ? [".q_proj.": config.headCount, ".k_proj.": config.kvHeadCount]
            .first(where: { p.name.contains($0.key) })?.value : nil
        return heads.map { permuteRotaryRows(values, rows: p.value.shape[0], heads: $0) } ?? values
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
