// What every encoder-decoder architecture offers to generation, evaluation and serving.

/// An encoder-decoder language model (T5), run as a causal LM whose prompt is the encoder's
/// input: a chunk arriving in an empty cache slot is encoded (once), and the decoder starts
/// from the start token and returns the first output token's logits; later chunks are output
/// tokens. So generation, sampling, evaluation, serving and training (the prompt of a
/// prompt/completion example is the input) run it as they run a decoder-only model.
public protocol Seq2SeqLM: CausalLM {
    /// The token every output starts from.
    var decoderStartToken: Int32 { get }
    var eosToken: Int32 { get }
}
