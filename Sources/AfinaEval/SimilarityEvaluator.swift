// How well an encoder's cosine similarities follow human similarity ratings: Pearson's r
// between the cosine of each pair's embeddings and its rating, with a 95% percentile bootstrap
// interval over pairs (as gensim's Lee-corpus test and the STS benchmarks report it).
import AfinaData
import AfinaModels
import Foundation

/// One model's agreement with the ratings.
public struct SimilarityReport: Codable, Sendable, Equatable {
    public var model: String
    public var pairs: Int
    public var pearson: Double
    public var lower: Double, upper: Double
    /// Texts embedded per second.
    public var textsPerSecond: Double
}

public enum SimilarityEvaluator {
    /// Scores `session` on {"text_a", "text_b", "score"} records of `file`.
    public static func evaluate(_ session: EncoderSession, name: String, file: String,
                                bootstrap: Bootstrap = Bootstrap()) throws -> SimilarityReport {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
            throw EvalError.unreadable(path: file, message: error.localizedDescription)
        }
        var pairs: [(a: String, b: String, score: Double)] = []
        for (i, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                  let a = object["text_a"] as? String, let b = object["text_b"] as? String,
                  let score = (object["score"] as? NSNumber)?.doubleValue else {
                throw EvalError.malformedLine(path: file, line: i + 1, message: "expected {\"text_a\", \"text_b\", \"score\"}")
            }
            pairs.append((a, b, score))
        }
        // Each distinct text embedded once.
        var texts: [String] = [], index: [String: Int] = [:]
        for text in pairs.flatMap({ [$0.a, $0.b] }) where index[text] == nil {
            index[text] = texts.count
            texts.append(text)
        }
        let clock = ContinuousClock.now
        let vectors = try session.embed(texts).embeddings
        let elapsed = ContinuousClock.now - clock
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let cosines = pairs.map { cosine(vectors[index[$0.a]!], vectors[index[$0.b]!]) }
        let rows = BiasStatistics.pairRows(cosines, pairs.map(\.score))
        let score = { (sums: [Double], n: Int) in BiasStatistics.pearson(sums: sums, count: n) ?? 0 }
        let (lower, upper) = bootstrap.interval(rows, score: score)
        return SimilarityReport(model: name, pairs: pairs.count,
                                pearson: score(BiasStatistics.pairSums(cosines, pairs.map(\.score)), rows.count),
                                lower: lower, upper: upper,
                                textsPerSecond: seconds > 0 ? Double(texts.count) / seconds : 0)
    }

    static func cosine(_ x: [Float], _ y: [Float]) -> Double {
        var (dot, xx, yy) = (0.0, 0.0, 0.0)
        for (a, b) in zip(x, y) { (dot, xx, yy) = (dot + Double(a) * Double(b), xx + Double(a) * Double(a), yy + Double(b) * Double(b)) }
        return dot / max((xx * yy).squareRoot(), 1e-24)
    }
}
