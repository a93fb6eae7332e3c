// Errors from loading a tokenizer: each names the file (or GGUF key) and what is wrong with it.

/// A tokenizer description that cannot be loaded. Encoding and decoding never throw.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    /// The file cannot be read or is not valid JSON.
    case unreadable(source: String, reason: String)
    /// A required field or key is absent or has the wrong type.
    case missing(source: String, key: String)
    /// The description is well-formed but asks for something this library does not implement
    /// (another model type, normalizer, pre-tokenizer, post-processor or decoder).
    case unsupported(source: String, what: String)
    /// The content contradicts itself (a merge naming an unknown token, an id out of range...).
    case invalid(source: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(source, reason): "\(source): cannot read tokenizer: \(reason)"
        case let .missing(source, key): "\(source): missing or mistyped '\(key)'"
        case let .unsupported(source, what): "\(source): unsupported \(what)"
        case let .invalid(source, reason): "\(source): \(reason)"
        }
    }
}
