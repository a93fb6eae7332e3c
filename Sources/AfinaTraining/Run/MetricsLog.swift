// <run>/metrics.jsonl: one JSON object per line, written as training goes, so a crash
// loses at most the line being written and a resumed run can cut the log back to its
// checkpoint before appending again.
import Foundation

/// One line of metrics.jsonl. Training lines carry `loss`, validation lines `val_loss`:
/// `{"step":1,"split":"train","loss":2.3,"lr":0.0002,"tokens_per_second":812}`,
/// `{"step":50,"split":"validation","val_loss":2.1}`.
public struct MetricsRecord: Codable, Equatable, Sendable {
    public enum Split: String, Codable, Sendable { case train, validation }

    public var step: Int
    public var split: Split
    /// Mean cross-entropy per target token (training or validation, by `split`).
    public var loss: Double
    public var learningRate: Double?
    public var tokensPerSecond: Double?
    /// Global gradient norm before clipping.
    public var gradNorm: Double?
    /// With distillation, per target token: cross-entropy on the labels, the divergence from
    /// the teacher, and the share of tokens where both rank the same token first.
    public var crossEntropy: Double?, divergence: Double?, agreement: Double?
    /// Classification, on the validation set: accuracy and macro-F1, 0-100.
    public var accuracy: Double?, macroF1: Double?
    /// Data-parallel (mpirun): seconds of the step spent summing gradients over the ranks,
    /// waiting for the slowest rank included.
    public var allReduceSeconds: Double?

    public init(step: Int, split: Split, loss: Double, learningRate: Double? = nil,
                tokensPerSecond: Double? = nil, gradNorm: Double? = nil,
                crossEntropy: Double? = nil, divergence: Double? = nil, agreement: Double? = nil) {
        self.step = step
        self.split = split
        self.loss = loss
        self.learningRate = learningRate
        self.tokensPerSecond = tokensPerSecond
        self.gradNorm = gradNorm
        (self.crossEntropy, self.divergence, self.agreement) = (crossEntropy, divergence, agreement)
    }

    enum CodingKeys: String, CodingKey {
        case step, split, loss, val_loss, lr, tokens_per_second, grad_norm, ce_loss, kd_loss, agreement, accuracy, macro_f1
        case allreduce_seconds
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        step = try c.decode(Int.self, forKey: .step)
        let valLoss = try c.decodeIfPresent(Double.self, forKey: .val_loss)
        split = try c.decodeIfPresent(Split.self, forKey: .split) ?? (valLoss == nil ? .train : .validation)
        loss = try valLoss ?? c.decode(Double.self, forKey: .loss)
        learningRate = try c.decodeIfPresent(Double.self, forKey: .lr)
        tokensPerSecond = try c.decodeIfPresent(Double.self, forKey: .tokens_per_second)
        gradNorm = try c.decodeIfPresent(Double.self, forKey: .grad_norm)
        crossEntropy = try c.decodeIfPresent(Double.self, forKey: .ce_loss)
        divergence = try c.decodeIfPresent(Double.self, forKey: .kd_loss)
        agreement = try c.decodeIfPresent(Double.self, forKey: .agreement)
        accuracy = try c.decodeIfPresent(Double.self, forKey: .accuracy)
        macroF1 = try c.decodeIfPresent(Double.self, forKey: .macro_f1)
        allReduceSeconds = try c.decodeIfPresent(Double.self, forKey: .allreduce_seconds)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(step, forKey: .step)
        try c.encode(split, forKey: .split)
        try c.encode(loss, forKey: split == .train ? .loss : .val_loss)
        try c.encodeIfPresent(learningRate, forKey: .lr)
        try c.encodeIfPresent(tokensPerSecond, forKey: .tokens_per_second)
        try c.encodeIfPresent(gradNorm, forKey: .grad_norm)
        try c.encodeIfPresent(crossEntropy, forKey: .ce_loss)
        try c.encodeIfPresent(divergence, forKey: .kd_loss)
        try c.encodeIfPresent(agreement, forKey: .agreement)
        try c.encodeIfPresent(accuracy, forKey: .accuracy)
        try c.encodeIfPresent(macroF1, forKey: .macro_f1)
        try c.encodeIfPresent(allReduceSeconds, forKey: .allreduce_seconds)
    }
}

public enum MetricsLogError: Error, CustomStringConvertible {
    case malformedLine(path: String, line: Int, message: String)
    case io(path: String, message: String)

    public var description: String {
        switch self {
        case let .malformedLine(path, line, message): "\(path):\(line): \(message)"
        case let .io(path, message): "\(path): \(message)"
        }
    }
}

/// Appends `MetricsRecord`s to `<run>/metrics.jsonl`, one line each, written through at once.
public final class MetricsLog {
    public let url: URL
    private var handle: FileHandle

    /// Opens (creating if needed) `directory/metrics.jsonl` for appending.
    public init(directory: URL) throws {
        url = directory.appendingPathComponent("metrics.jsonl")
        handle = try Self.openForAppend(url)
    }

    deinit { try? handle.close() }

    public func append(_ record: MetricsRecord) throws {
        let line = try Self.encoder.encode(record) + Data("\n".utf8)
        do { try handle.write(contentsOf: line) } catch { throw MetricsLogError.io(path: url.path, message: "\(error)") }
    }

    /// Drops every record after `step` (and an interrupted last line), for a run resuming
    /// from its checkpoint at `step`: the steps it will redo are not logged twice.
    public func truncate(after step: Int) throws {
        let kept = try Self.read(url).filter { $0.step <= step }
        try handle.close()
        let text = try kept.map { try Self.encoder.encode($0) + Data("\n".utf8) }.reduce(Data(), +)
        do { try text.write(to: url, options: .atomic) } catch {
            throw MetricsLogError.io(path: url.path, message: "\(error)")
        }
        handle = try Self.openForAppend(url)
    }

    /// All records of a metrics.jsonl in file order. A last line without its newline that
    /// does not parse is an interrupted write and is skipped; any other bad line throws.
    public static func read(_ url: URL) throws -> [MetricsRecord] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw MetricsLogError.io(path: url.path, message: "\(error)") }
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        var records: [MetricsRecord] = []
        for (index, line) in lines.enumerated() where !line.isEmpty {
            do {
                records.append(try decoder.decode(MetricsRecord.self, from: Data(line)))
            } catch {
                if index == lines.count - 1 { break }
                throw MetricsLogError.malformedLine(path: url.path, line: index + 1, message: "\(error)")
            }
        }
        return records
    }

    private static func openForAppend(_ url: URL) throws -> FileHandle {
        if !FileManager.default.fileExists(atPath: url.path) {
            guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
                throw MetricsLogError.io(path: url.path, message: "cannot create the file (does the folder exist?)")
            }
        }
        do {
            let handle = try FileHandle(forWritingTo: url)
            try handle.seekToEnd()
            return handle
        } catch {
            throw MetricsLogError.io(path: url.path, message: "\(error)")
        }
    }

    // A diverged run logs NaN; plain JSON cannot hold it, so it is written as a string.
    private static let nonFinite = (positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")

    private static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys  // stable lines, easy to diff and grep
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: nonFinite.positiveInfinity, negativeInfinity: nonFinite.negativeInfinity, nan: nonFinite.nan)
        return encoder
    }

    private static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: nonFinite.positiveInfinity, negativeInfinity: nonFinite.negativeInfinity, nan: nonFinite.nan)
        return decoder
    }
}
