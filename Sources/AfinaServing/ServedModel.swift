// A model as the server offers it: a name clients ask for, the network, and the text side
// (tokenizer, chat template, stop tokens) reduced to the functions serving needs, so tests
// can serve a tiny network with a toy tokenizer.
import AfinaModels
import AfinaTemplates

/// One model id of `GET /v1/models`: the base model, or the base with one adapter applied.
public struct ServedModel: Sendable {
    /// The name clients put in `"model"`.
    public let id: String
    public let network: any CausalLM
    public let encode: @Sendable (String) -> [Int32]
    public let decode: @Sendable ([Int32]) -> String
    /// The conversation through the model's chat template, ending with the assistant's turn.
    public let renderChat: @Sendable ([ChatMessage]) throws -> [Int32]
    /// Token ids that end a reply.
    public let stopTokens: Set<Int32>

    public init(id: String, network: any CausalLM, encode: @escaping @Sendable (String) -> [Int32],
                decode: @escaping @Sendable ([Int32]) -> String,
                renderChat: @escaping @Sendable ([ChatMessage]) throws -> [Int32], stopTokens: Set<Int32>) {
        (self.id, self.network, self.encode, self.decode) = (id, network, encode, decode)
        (self.renderChat, self.stopTokens) = (renderChat, stopTokens)
    }

    /// A loaded model (with its adapter, if any) under the name `id`.
    public init(id: String, loaded: LoadedModel) {
        let tokenizer = loaded.tokenizer
        self.init(id: id, network: loaded.model,
                  encode: { tokenizer.encode($0) },
                  decode: { tokenizer.decode($0) },
                  renderChat: { messages in
                      tokenizer.encode(try loaded.renderChat(messages, addGenerationPrompt: true), addSpecial: false)
                  },
                  stopTokens: loaded.stopTokens)
    }
}
