// SARI (Xu et al. 2016, "Optimizing Statistical Machine Translation for Text
// Simplification"), exactly as HuggingFace evaluate 0.4.6's "sari" metric (itself EASSE's
// and tensor2tensor's variant): for word n-grams of orders 1-4 it rewards n-grams the
// prediction keeps from the source (F1), deletes from it (precision only, so deleting too
// little is not punished twice) and adds to it (F1), each judged against the references;
// SARI = (mean keep F1 + mean delete precision + mean add F1) / 3 over the four orders.
// As that implementation: 0/0 counts as 1 (an order with nothing to keep, delete or add
// scores full marks, so a prediction equal to its reference scores high); source and
// prediction counts are multiplied by the number of references while reference counts are
// summed over them; the keep recall divides by the total, not the distinct, kept count
// (the fix of cocoxu/simplification#6). Text is lowercased (Python's str.lower) and
// tokenized with 13a, then split on single spaces, so an empty text is one empty token.
// Scores are 0-100. Checked against evaluate in MetricTests.

public enum SARI {
    public static let maxOrder = 4
    typealias Gram = [Unicode.Scalar]  // the n-gram's tokens joined by spaces, as evaluate's strings

    /// 100 times the mean over examples of each example's SARI; 0 for no examples.
    public static func corpusScore(sources: [String], predictions: [String], references: [[String]]) -> Double {
        guard !predictions.isEmpty else { return 0 }
        var sum = 0.0
        for ((source, prediction), refs) in zip(zip(sources, predictions), references) {
            sum += sentenceSARI(source: source, prediction: prediction, references: refs)
        }
        return 100 * (sum / Double(predictions.count))
    }

    /// One example's SARI (0-100).
    public static func sentenceScore(source: String, prediction: String, references: [String]) -> Double {
        100 * sentenceSARI(source: source, prediction: prediction, references: references)
    }

    /// evaluate's `SARIsent` (0...1) on normalized text.
    static func sentenceSARI(source: String, prediction: String, references: [String]) -> Double {
        let sourceTokens = normalizedTokens(source), predictionTokens = normalizedTokens(prediction)
        let referenceTokens = references.map(normalizedTokens)
        var keep = 0.0, delete = 0.0, add = 0.0
        for n in 1...maxOrder {
            let scores = ngramScores(source: ngrams(sourceTokens, n), prediction: ngrams(predictionTokens, n),
                                     references: referenceTokens.map { ngrams($0, n) })
            keep += scores.keep
            delete += scores.delete
            add += scores.add
        }
        let order = Double(maxOrder)
        return (keep / order + delete / order + add / order) / 3
    }

    /// Keep F1, delete precision and add F1 for the n-grams of one order (evaluate's `SARIngram`).
    static func ngramScores(source: [Gram], prediction: [Gram], references: [[Gram]]) -> (keep: Double, delete: Double, add: Double) {
        let referenceCount = references.count
        let sourceCounts = OrderedCounts(source), predictionCounts = OrderedCounts(prediction)
        let referenceCounts = OrderedCounts(references.flatMap { $0 })

        // Keep and delete iterate over the source's n-grams in first-seen order, as Python's
        // Counter arithmetic does, so the floating-point sums add in the same order.
        var keepGrams = 0, keepPrecisionSum = 0.0, keepGood = 0, keepAllGrams = 0, keepAll = 0
        var deleteGrams = 0, deletePrecisionSum = 0.0
        for gram in sourceCounts.keys {
            let sourceCount = sourceCounts[gram] * referenceCount
            let predictionCount = predictionCounts[gram] * referenceCount
            let referenceCountOfGram = referenceCounts[gram]
            let kept = min(sourceCount, predictionCount)
            if kept > 0 {
                keepGrams += 1
                let good = min(kept, referenceCountOfGram)
                if good > 0 {
                    keepPrecisionSum += Double(good) / Double(kept)
                    keepGood += good
                }
            }
            let keptByReferences = min(sourceCount, referenceCountOfGram)
            if keptByReferences > 0 {
                keepAllGrams += 1
                keepAll += keptByReferences
            }
            let deleted = sourceCount - predictionCount
            if deleted > 0 {
                deleteGrams += 1
                let good = deleted - referenceCountOfGram
                if good > 0 { deletePrecisionSum += Double(good) / Double(deleted) }
            }
        }
        let keepPrecision = keepGrams > 0 ? keepPrecisionSum / Double(keepGrams) : 1
        let keepRecall = keepAllGrams > 0 ? Double(keepGood) / Double(keepAll) : 1
        let deletePrecision = deleteGrams > 0 ? deletePrecisionSum / Double(deleteGrams) : 1

        // Additions are counted as sets of distinct n-grams.
        let sourceSet = Set(sourceCounts.keys), referenceSet = Set(referenceCounts.keys)
        let added = Set(predictionCounts.keys).subtracting(sourceSet)
        let addedGood = added.intersection(referenceSet).count
        let addable = referenceSet.subtracting(sourceSet).count
        let addPrecision = added.isEmpty ? 1 : Double(addedGood) / Double(added.count)
        let addRecall = addable == 0 ? 1 : Double(addedGood) / Double(addable)

        return (f1(keepPrecision, keepRecall), deletePrecision, f1(addPrecision, addRecall))
    }

    static func f1(_ precision: Double, _ recall: Double) -> Double {
        precision > 0 || recall > 0 ? 2 * precision * recall / (precision + recall) : 0
    }

    /// evaluate's `normalize` then `split(" ")`: lowercase, 13a, and [""] for an empty text.
    static func normalizedTokens(_ text: String) -> [Gram] {
        let tokens = Tokenizer13a.tokens(PythonText.lower(text))
        return tokens.isEmpty ? [[]] : tokens
    }

    /// The n-grams of order `n`, each its tokens joined by single spaces.
    static func ngrams(_ tokens: [Gram], _ n: Int) -> [Gram] {
        guard tokens.count >= n else { return [] }
        return (0...(tokens.count - n)).map { start in
            Array(tokens[start..<start + n].joined(separator: [" "]))
        }
    }

    /// A counter that remembers the order in which keys were first seen (Python's Counter).
    struct OrderedCounts {
        private(set) var keys: [Gram] = []
        private var counts: [Gram: Int] = [:]

        init(_ grams: [Gram]) {
            for gram in grams {
                if counts[gram] == nil { keys.append(gram) }
                counts[gram, default: 0] += 1
            }
        }

        subscript(gram: Gram) -> Int { counts[gram] ?? 0 }
    }
}
