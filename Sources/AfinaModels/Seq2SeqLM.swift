// What every encoder-decoder architecture offers to generation, evaluation and serving.

/// An encoder-decoder language model (T5).
public protocol Seq2SeqLM: LanguageModel {
    /// The token every output starts from.
    var decoderStartToken: Int32 { get }
    var eosToken: Int32 { get }
    /// The decoder as a causal LM whose prompt is the encoder's input: a chunk arriving in an
    /// empty cache slot is encoded (once), and the decoder starts from the start token and
    /// returns the first output token's logits; later chunks are output tokens. So generation,
    /// sampling, evaluation and serving run an encoder-decoder as they run a decoder-only model.
    var promptedDecoder: any CausalLM { get }
}
