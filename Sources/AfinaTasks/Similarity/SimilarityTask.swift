// Document similarity judged by people: Lee, Pincombe and Welsh's (2005) 50 news documents,
// every pair rated by about ten students and averaged (0-1), as the files shipped in gensim's
// test data (gensim 4.4.0 wheel). Written as 1,225 {"text_a", "text_b", "score"} records for
// `afina eval --similarity`.
import AfinaData
import AfinaFormats
import Foundation

public enum SimilarityTask {
    public static let lee = PyPIDataFile(
        package: "gensim", version: "4.4.0",
        archive: "gensim-4.4.0-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl",
        sha256: "91a7fa5e814e7b1bad4b2dffa8d62c1e55410d5cbdf930714c1997ffb4404db8",
        members: ["gensim/test/test_data/lee.cor", "gensim/test/test_data/similarities0-1.txt"])

    /// One rated pair.
    public struct Pair: Sendable, Equatable {
        public var a: String, b: String
        public var score: Double
    }

    /// The pairs of the upper triangle of the rating matrix (documents i < j).
    public static func pairs(documents: String, ratings: String) throws -> [Pair] {
        let docs = documents.split(whereSeparator: \.isNewline).map { String($0).trimmingCharacters(in: .whitespaces) }
        let rows = ratings.split(whereSeparator: \.isNewline).map { $0.split(whereSeparator: \.isWhitespace).compactMap { Double($0) } }
        guard rows.count == docs.count, rows.allSatisfy({ $0.count == docs.count }) else {
            throw DataError("similarities0-1.txt: expected a \(docs.count) x \(docs.count) matrix for \(docs.count) documents")
        }
        return docs.indices.flatMap { i in (i + 1..<docs.count).map { j in Pair(a: docs[i], b: docs[j], score: rows[i][j]) } }
    }

    /// Fetches the files (cached) and writes the pairs as JSONL to `url`; returns their count.
    public static func build(to url: URL, log: (String) -> Void) throws -> Int {
        let pairs = try pairs(documents: lee.text(lee.members[0], log: log), ratings: lee.text(lee.members[1], log: log))
        let lines = pairs.map {
            "{\"text_a\": \(JSONText.quoted($0.a)), \"text_b\": \(JSONText.quoted($0.b)), \"score\": \($0.score)}\n"
        }
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(lines.joined().utf8).write(to: url, options: .atomic)
        return pairs.count
    }
}
