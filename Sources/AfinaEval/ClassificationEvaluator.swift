// Scoring a sequence classifier on labelled records ({"text", "label"}, optional
// "text_pair"): its predicted labels against the references, with the same metrics, bootstrap
// intervals and report as the generation tasks (accuracy and macro-F1 by default).
import AfinaData
import AfinaModels
import Foundation

public enum ClassificationEvaluator {
    public static func evaluate(_ session: EncoderSession, name: String, file: String, metrics: [Metric],
                                bootstrap: Bootstrap?) throws -> TaskReport {
        guard let classifier = session.encoder as? any SequenceClassifier else {
            throw EvalError.invalidArgument("\(name) has no classification head: train one with `task: classification`")
        }
        let records = try TextRecord.load(from: URL(fileURLWithPath: file), shape: .labeled)
        for record in records where !classifier.labels.contains(record.label!) {
            throw EvalError.malformedLine(path: file, line: record.line, message: "label '\(record.label!)' is not one the "
                + "model was trained on (\(classifier.labels.joined(separator: ", ")))")
        }
        let inputs = session.inputs(records.map(\.text), pairs: records.map(\.textPair)).inputs
        let clock = ContinuousClock.now
        let predictions = try session.classify(inputs)
        let elapsed = ContinuousClock.now - clock
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let tokens = inputs.map(\.ids.count).reduce(0, +)
        let references = records.map { [$0.label!] }
        let misses = zip(records, predictions).filter { $0.label != $1.label }.prefix(5)
            .map { TaskReport.Miss(prompt: $0.text, prediction: $1.label, references: [$0.label!]) }
        return TaskReport(model: name, count: records.count,
                          scores: MetricSuite.score(metrics, predictions: predictions.map(\.label), references: references,
                                                    sources: records.map { _ in nil }, bootstrap: bootstrap),
                          tokensPerSecond: seconds > 0 ? Double(tokens) / seconds : 0, misses: Array(misses))
    }
}
