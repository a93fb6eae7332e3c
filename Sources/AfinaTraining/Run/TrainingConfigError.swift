// What can be wrong with a training config, each case naming the key at fault.

/// A config file or `key=value` override that cannot become a `TrainingConfig`.
public enum TrainingConfigError: Error, Equatable, CustomStringConvertible {
    /// The text is not YAML; `source` is the file or override it came from.
    case syntax(source: String, message: String)
    case unreadable(path: String, message: String)
    /// A key the config does not have, with the valid keys at that level.
    case unknownKey(String, valid: [String])
    case wrongType(key: String, expected: String, found: String)
    case missingKey(String)
    case invalidValue(key: String, reason: String)
    /// A command-line override that is not `key=value`.
    case badOverride(String)

    public var description: String {
        switch self {
        case let .syntax(source, message): "\(source): not valid YAML: \(message)"
        case let .unreadable(path, message): "\(path): \(message)"
        case let .unknownKey(key, valid): "unknown key '\(key)' (valid here: \(valid.joined(separator: ", ")))"
        case let .wrongType(key, expected, found): "\(key): expected \(expected), found \(found)"
        case .missingKey(let key): "missing required key '\(key)'"
        case let .invalidValue(key, reason): "\(key): \(reason)"
        case .badOverride(let text):
            "override '\(text)' is not key=value (e.g. lora.rank=16 or lora.targets=[q_proj,v_proj])"
        }
    }
}
