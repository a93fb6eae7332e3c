// Errors a user can cause by pointing Afina at the wrong files or names.

public enum ModelError: Error, CustomStringConvertible {
    case invalidConfig(String)
    case invalidArgument(String)
    case unknownArchitecture(String, supported: [String])
    case missingWeight(String, source: String)
    case unexpectedWeights([String], source: String)
    case shapeMismatch(String, expected: [Int], found: [Int], source: String)
    case contextOverflow(needed: Int, capacity: Int)
    case notFound(String)

    /// A prompt with no room left for one generated token.
    static func promptTooLong(_ tokens: Int, contextLength: Int) -> ModelError {
        .invalidArgument("the prompt has \(tokens) tokens; this model takes at most \(contextLength - 1) "
            + "(context length \(contextLength), one position left to generate)")
    }

    public var description: String {
        switch self {
        case .invalidConfig(let m): "invalid model config: \(m)"
        case .invalidArgument(let m): m
        case let .unknownArchitecture(a, supported):
            "unknown architecture '\(a)' (supported: \(supported.joined(separator: ", ")))"
        case let .missingWeight(n, source): "\(source): missing tensor '\(n)'"
        case let .unexpectedWeights(names, source):
            "\(source): unused tensors \(names.prefix(5).joined(separator: ", "))\(names.count > 5 ? " and \(names.count - 5) more" : "") (is the config right for these weights?)"
        case let .shapeMismatch(n, expected, found, source):
            "\(source): tensor '\(n)' has shape \(found), expected \(expected)"
        case let .contextOverflow(needed, capacity):
            "sequence needs \(needed) positions but the cache holds \(capacity)"
        case .notFound(let m): m
        }
    }
}
