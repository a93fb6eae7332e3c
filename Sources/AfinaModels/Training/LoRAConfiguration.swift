// Settings of low-rank adapters, named as in peft's LoraConfig.

/// Which modules get adapters and how big they are.
public struct LoRAConfiguration: Sendable, Equatable, Codable {
    public var rank: Int
    public var alpha: Double
    public var dropout: Double
    /// Hugging Face module names: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj.
    public var targets: [String]
    /// Scale alpha / sqrt(rank) instead of alpha / rank (rsLoRA).
    public var rsLoRA: Bool

    public init(rank: Int, alpha: Double, dropout: Double = 0, targets: [String], rsLoRA: Bool = false) {
        (self.rank, self.alpha, self.dropout, self.targets, self.rsLoRA) = (rank, alpha, dropout, targets, rsLoRA)
    }

    public static let allLinearModules = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]

    public var scale: Float { LoRA.scale(alpha: alpha, rank: rank, rsLoRA: rsLoRA) }

    /// Throws unless every target is one of a family's `valid` module names (`family` names it
    /// in the message) and the rank is positive.
    func check(targets valid: [String], family: String?) throws {
        if let unknown = targets.first(where: { !valid.contains($0) }) {
            throw ModelError.invalidArgument("unknown LoRA target '\(unknown)'\(family.map { " for \($0)" } ?? ""); choose from "
                + valid.joined(separator: ", "))
        }
        guard rank > 0 else { throw ModelError.invalidArgument("LoRA rank must be positive") }
    }
}
