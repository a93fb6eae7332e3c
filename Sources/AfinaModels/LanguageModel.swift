// The model seams, by capability (as transformers' AutoModelFor*): every network maps token
// ids to hidden states; heads on top make it a causal LM (CausalLM.swift), a masked LM, a
// sequence classifier, or a sentence embedder (TextEncoder.swift). Commands ask for the
// capability they need, never for a concrete architecture.
import AfinaTensor

/// What every network offers, whatever its heads.
public protocol LanguageModel: AnyObject, Sendable {
    var backend: any Backend { get }
    var vocabularySize: Int { get }
    /// The most positions one sequence may hold.
    var contextLength: Int { get }
}

extension LanguageModel {
    /// The backend as one that trains: a programming error where it cannot (every trainable
    /// architecture reaches its backend's training ops through this).
    public var trainingBackend: any TrainingBackend {
        guard let b = backend as? any TrainingBackend else { preconditionFailure("\(backend.name) cannot train") }
        return b
    }
}

/// The capabilities a command may ask of a loaded network, for error messages.
public enum ModelCapability: String, Sendable {
    case causalLM = "a causal language model (generation, chat, decoder training)"
    case encoder = "an encoder (embeddings, classification, masked-LM tuning)"
    case sequenceClassifier = "a sequence classifier (a classification head)"
    case maskedLM = "a masked language model (an MLM head)"
}

/// `network` as `type`, or an error naming what it is and the capability that was asked for.
func require<Capability>(_ network: any LanguageModel, as type: Capability.Type, _ capability: ModelCapability,
                         architecture: String) throws -> Capability {
    guard let model = network as? Capability else {
        throw ModelError.invalidArgument("this \(architecture) model is not \(capability.rawValue)")
    }
    return model
}
