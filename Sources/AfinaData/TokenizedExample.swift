// A training sequence: token ids and which of them get loss.

/// Token ids with a loss mask: `targets[i]` is true when token `i` is predicted from
/// `tokens[0..<i]` and counts in the loss. `targets[0]` is always false (nothing predicts it).
public struct TokenizedExample: Codable, Sendable, Equatable {
    public var tokens: [Int32]
    public var targets: [Bool]

    public init(tokens: [Int32], targets: [Bool]) {
        self.tokens = tokens
        self.targets = targets
    }

    /// The number of tokens that get loss.
    public var targetCount: Int { targets.lazy.filter { $0 }.count }

    /// The first `maxLength` tokens (the beginning is kept: it holds the prompt).
    func truncated(to maxLength: Int) -> TokenizedExample {
        TokenizedExample(tokens: Array(tokens.prefix(maxLength)), targets: Array(targets.prefix(maxLength)))
    }
}
