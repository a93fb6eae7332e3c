// Exact match: the share of predictions equal to one of their references after trimming
// surrounding whitespace and one trailing period ("Paris." matches "Paris"). Case counts.

public enum ExactMatch {
    /// `text` without surrounding whitespace and at most one final period.
    public static func normalized(_ text: String) -> String {
        var trimmed = Substring(text).drop { $0.isWhitespace }
        while trimmed.last?.isWhitespace == true { trimmed.removeLast() }
        if trimmed.last == "." { trimmed.removeLast() }
        return String(trimmed)
    }

    public static func matches(_ prediction: String, references: [String]) -> Bool {
        let answer = normalized(prediction)
        return references.contains { normalized($0) == answer }
    }

    /// Percentage (0-100) of predictions that match; 0 for no predictions.
    public static func score(predictions: [String], references: [[String]]) -> Double {
        guard !predictions.isEmpty else { return 0 }
        let hits = zip(predictions, references).filter { matches($0, references: $1) }.count
        return 100 * Double(hits) / Double(predictions.count)
    }
}
