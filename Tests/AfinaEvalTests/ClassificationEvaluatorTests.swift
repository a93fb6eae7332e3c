// A sequence classifier scored on labelled records: its predictions are the argmax of its
// logits, accuracy and macro-F1 are those of MetricSuite on them, and a label the model does
// not know is an error naming the file and line.
import AfinaData
import AfinaModels
import AfinaTensor
import Foundation
import XCTest
@testable import AfinaEval

final class ClassificationEvaluatorTests: XCTestCase {
    let model = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/models/bert-cls").standardized.path

    func write(_ lines: [String]) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("afina-cls-\(UUID()).jsonl")
        try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }

    func testPredictionsAreTheArgmaxAndScoresAreMetricSuites() throws {
        let session = try EncoderSession(ModelLoader.loadNetwork(model))
        let texts = ["Hello world", "quick text", "The quick state", "well known art", "new rare text"]
        let labels = ["positive", "negative", "neutral", "positive", "negative"]
        let file = try write(zip(texts, labels).map { #"{"text": "\#($0)", "label": "\#($1)"}"# })
        let report = try ClassificationEvaluator.evaluate(session, name: "tiny", file: file, metrics: [.accuracy, .macroF1],
                                                          bootstrap: nil)
        let classifier = try XCTUnwrap(session.encoder as? any SequenceClassifier)
        let logits = classifier.backend.floats(try classifier.classificationLogits(session.inputs(texts).inputs))
        let argmax = texts.indices.map { r in classifier.labels[(0..<3).max { logits[r * 3 + $0] < logits[r * 3 + $1] }!] }
        let expected = MetricSuite.score([.accuracy, .macroF1], predictions: argmax, references: labels.map { [$0] },
                                         sources: [], bootstrap: nil)
        XCTAssertEqual(report.count, 5)
        XCTAssertEqual(report.scores, expected)
    }

    func testALabelTheModelDoesNotKnowIsAnErrorNamingFileAndLine() throws {
        let session = try EncoderSession(ModelLoader.loadNetwork(model))
        let file = try write([#"{"text": "Hello", "label": "positive"}"#, #"{"text": "world", "label": "angry"}"#])
        XCTAssertThrowsError(try ClassificationEvaluator.evaluate(session, name: "tiny", file: file, metrics: [.accuracy],
                                                                  bootstrap: nil)) { error in
            XCTAssertTrue("\(error)".contains(":2: label 'angry' is not one the model was trained on"), "\(error)")
        }
    }
}
