// BERT's masking for masked-LM training (Devlin et al. 2019, as transformers'
// DataCollatorForLanguageModeling): each ordinary token is chosen with probability 0.15; a
// chosen token becomes [MASK] 80% of the time, a random token 10%, and stays 10%; the loss is
// on the chosen tokens only. Drawn from a seed, so a resumed run masks as the unbroken one.
import AfinaData
import AfinaModels

struct MaskedLMMasking: Sendable {
    let maskID: Int32
    let vocabularySize: Int
    /// Ids never chosen ([CLS], [SEP], [PAD] and the other special tokens).
    let specialIDs: Set<Int32>
    var probability = 0.15

    /// The batch with its chosen tokens replaced, and the packed rows and original ids to predict.
    /// At least one token of the batch is chosen when any is ordinary.
    func mask(_ batch: [EncoderInput], seed: UInt64) -> (inputs: [EncoderInput], rows: [Int], targets: [Int32]) {
        var random = SplitMix64(seed: seed)
        var inputs = batch, rows: [Int] = [], targets: [Int32] = []
        var candidates: [(sequence: Int, position: Int, row: Int)] = []
        var row = 0
        for (s, input) in batch.enumerated() {
            for (i, id) in input.ids.enumerated() {
                defer { row += 1 }
                guard !specialIDs.contains(id) else { continue }
                candidates.append((s, i, row))
                guard random.unit() < probability else { continue }
                rows.append(row)
                targets.append(id)
                let choice = random.unit()
                if choice < 0.8 {
                    inputs[s].ids[i] = maskID
                } else if choice < 0.9 {
                    inputs[s].ids[i] = Int32(random.uniform(below: vocabularySize))
                }
            }
        }
        if rows.isEmpty, !candidates.isEmpty {
            let c = candidates[random.uniform(below: candidates.count)]
            rows = [c.row]
            targets = [batch[c.sequence].ids[c.position]]
            inputs[c.sequence].ids[c.position] = maskID
        }
        return (inputs, rows, targets)
    }
}
