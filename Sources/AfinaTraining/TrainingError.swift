// Errors a training run reports to the user.

public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case badCheckpoint(String)
    case nonFiniteLoss(step: Int, loss: Double, checkpoint: String?)
    case invalidSetup(String)

    public var description: String {
        switch self {
        case .badCheckpoint(let what): "checkpoint: \(what)"
        case let .nonFiniteLoss(step, loss, checkpoint):
            "loss became \(loss) at step \(step); stopped. "
                + (checkpoint.map { "The last good checkpoint is kept at \($0)." } ?? "No checkpoint was written yet.")
                + " Try a lower learning_rate or max_grad_norm."
        case .invalidSetup(let what): what
        }
    }
}
