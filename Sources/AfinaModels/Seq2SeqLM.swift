// What every encoder-decoder architecture offers to generation, evaluation and serving.

/// An encoder-decoder language model (T5): the encoder reads each input once; the decoder,
/// conditioned on the encodings, is a causal LM, so generation and serving run it as they run
/// decoder-only models, prompted with the start token.
public protocol Seq2SeqLM: LanguageModel {
    /// The token every output starts from.
    var decoderStartToken: Int32 { get }
    var eosToken: Int32 { get }
    /// Runs the encoder over `inputs` and returns the decoder over their encodings: cache slot
    /// s reads input s / `slotsPerInput` (the beams of one input share its encoding).
    func decoder(inputs: [[Int32]], slotsPerInput: Int) throws -> any CausalLM
}
