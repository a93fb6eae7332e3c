// GKD's on-policy batches (Agarwal et al. 2024): the student answers the prompts itself, so
// it learns from the teacher on the sequences it actually produces rather than only on the
// teacher's or the data's, which removes the train/inference mismatch of imitation.
import AfinaModels
import Foundation

public struct OnPolicySampling: Sendable {
    /// Longest sampled answer.
    public var maxNewTokens: Int
    /// Tokens that end an answer (the chat template's end of turn); they are trained on too.
    public var stopTokens: Set<Int32>
    /// The student's own distribution: temperature 1, no truncation.
    public var temperature: Float = 1

    public init(maxNewTokens: Int, stopTokens: Set<Int32>) {
        (self.maxNewTokens, self.stopTokens) = (maxNewTokens, stopTokens)
    }

    /// Each sequence's answer replaced by one the student samples after the same prompt (the
    /// tokens before the first target).
    func sample(_ batch: [TrainingSequence], student: any TrainableModel, seed: UInt64) throws -> [TrainingSequence] {
        let prompts = batch.map { seq in Array(seq.tokens[..<(seq.targets.firstIndex(of: true) ?? seq.tokens.count)]) }
        let requests = prompts.enumerated().map { i, prompt in
            GenerationRequest(prompt: prompt, maxTokens: maxNewTokens,
                              sampling: SamplingParameters(temperature: temperature, seed: seed &+ UInt64(i) &* 0x9E37_79B9),
                              stopTokens: stopTokens)
        }
        let results = try Generator(model: student, decode: { _ in "" }).generate(requests)
        return zip(prompts, results).map { prompt, result in
            TrainingSequence(tokens: prompt + result.ids,
                             targets: Array(repeating: false, count: prompt.count) + Array(repeating: true, count: result.ids.count))
        }
    }
}
