// Learning-rate schedules with linear warmup, as transformers' get_*_schedule_with_warmup:
// update k (1-based) uses multiplier(k - 1), so the first update of a warmup is at zero.
import Foundation

public enum LearningRateSchedule: String, Sendable, CaseIterable {
    case constant, linear, cosine

    /// The factor on the base learning rate at scheduler step `step` (0-based).
    public func multiplier(step: Int, warmupSteps: Int, totalSteps: Int) -> Double {
        if step < warmupSteps { return Double(step) / Double(max(1, warmupSteps)) }
        let progress = Double(step - warmupSteps) / Double(max(1, totalSteps - warmupSteps))
        switch self {
        case .constant: return 1
        case .linear: return max(0, Double(totalSteps - step) / Double(max(1, totalSteps - warmupSteps)))
        case .cosine: return max(0, 0.5 * (1 + cos(Double.pi * progress)))
        }
    }
}
