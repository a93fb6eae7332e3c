// ROUGE-L (Lin 2004, "ROUGE: A Package for Automatic Evaluation of Summaries"): precision
// and recall of the longest common subsequence of words, and their F1, exactly as Google's
// rouge-score 0.1.2 computes `RougeScorer(["rougeL"], use_stemmer=False)`. Its tokenizer
// lowercases (Python's str.lower), turns every run of characters outside [a-z0-9] into a
// space and splits, so punctuation and non-ASCII letters separate words and vanish.
// With several references an example takes the reference with the highest F, as
// `RougeScorer.score_multi`; the corpus score is 100 times the mean of those F values (not
// rouge-score's bootstrap aggregate). Checked against rouge-score in MetricTests.

public enum ROUGEL {
    /// One prediction against one reference, each in 0...1.
    public struct Score: Equatable, Sendable {
        public var precision: Double
        public var recall: Double
        public var fMeasure: Double
    }

    /// 100 times the mean over examples of the best reference's F; 0 for no examples.
    public static func corpusScore(predictions: [String], references: [[String]]) -> Double {
        guard !predictions.isEmpty else { return 0 }
        var sum = 0.0
        for (prediction, refs) in zip(predictions, references) { sum += bestFMeasure(prediction, references: refs) }
        return sum / Double(predictions.count) * 100
    }

    /// The highest F (0...1) over the references; 0 when there are none.
    public static func bestFMeasure(_ prediction: String, references: [String]) -> Double {
        let predictionTokens = tokenize(prediction)
        return references.map { score(predictionTokens, tokenize($0)).fMeasure }.max() ?? 0
    }

    public static func score(prediction: String, reference: String) -> Score {
        score(tokenize(prediction), tokenize(reference))
    }

    /// rouge-score's default tokenizer (no stemming). The tokens are ASCII, so comparing
    /// them as Swift strings is exact.
    public static func tokenize(_ text: String) -> [String] {
        var tokens: [String] = [], current = String.UnicodeScalarView()
        for c in PythonText.lower(text).unicodeScalars {
            if ("a"..."z").contains(c) || ("0"..."9").contains(c) {
                current.append(c)
            } else if !current.isEmpty {
                tokens.append(String(current))
                current = String.UnicodeScalarView()
            }
        }
        if !current.isEmpty { tokens.append(String(current)) }
        return tokens
    }

    static func score(_ prediction: [String], _ reference: [String]) -> Score {
        guard !prediction.isEmpty, !reference.isEmpty else { return Score(precision: 0, recall: 0, fMeasure: 0) }
        let lcs = Double(lcsLength(reference, prediction))
        let precision = lcs / Double(prediction.count), recall = lcs / Double(reference.count)
        let fMeasure = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
        return Score(precision: precision, recall: recall, fMeasure: fMeasure)
    }

    /// Length of the longest common subsequence, by the usual dynamic programme kept to two rows.
    static func lcsLength(_ a: [String], _ b: [String]) -> Int {
        var previous = [Int](repeating: 0, count: b.count + 1), current = previous
        for x in a {
            for (j, y) in b.enumerated() {
                current[j + 1] = x == y ? previous[j] + 1 : max(previous[j + 1], current[j])
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
