// Records for encoder tasks, read from JSONL one object per line (blank lines skipped):
//   {"text": ..., "label": ...}                      classification ("label" a string or integer)
//   {"text": ..., "text_pair": ..., "label": ...}    sentence-pair classification
//   {"text": ...}                                    masked-LM tuning, texts to embed or classify
//                                                    (classify: optional "text_pair")
//   {"anchor": ..., "positive": ...}                 contrastive embedding tuning
// Other keys are ignored. A bad record is an error naming the file and line.
import Foundation

/// One encoder training or evaluation record.
public struct TextRecord: Sendable, Equatable {
    public var text: String
    /// The second sentence of a pair (its tokens get segment id 1).
    public var textPair: String?
    public var label: String?
    /// The 1-based line of the record in its file, for errors found later.
    public var line: Int

    public init(text: String, textPair: String? = nil, label: String? = nil, line: Int = 0) {
        (self.text, self.textPair, self.label, self.line) = (text, textPair, label, line)
    }

    /// Which fields a file must give.
    public enum Shape: Sendable {
        case labeled, text, pair
    }

    /// The records of a JSONL file, in file order; throws `DataError` at the first bad one.
    /// `.pair` reads {"anchor","positive"} into text and textPair.
    public static func load(from url: URL, shape: Shape) throws -> [TextRecord] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw DataError("\(url.path): cannot read (\(error.localizedDescription))")
        }
        return try parse(jsonl: data, file: url.path, shape: shape)
    }

    public static func parse(jsonl data: Data, file: String, shape: Shape) throws -> [TextRecord] {
        var records: [TextRecord] = []
        for (index, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            do {
                records.append(try record(Data(line), shape: shape, line: index + 1))
            } catch let problem as RecordShape.Problem {
                throw DataError.record(file, line: index + 1, problem.reason)
            }
        }
        guard !records.isEmpty else { throw DataError("\(file): no records") }
        return records
    }

    private static func record(_ line: Data, shape: Shape, line number: Int) throws -> TextRecord {
        guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any] else {
            throw RecordShape.Problem("expected a JSON object")
        }
        func text(_ key: String) throws -> String {
            guard let value = object[key] else { throw RecordShape.Problem("missing \"\(key)\"") }
            guard let string = value as? String else { throw RecordShape.Problem("\"\(key)\" must be a string") }
            guard !string.allSatisfy(\.isWhitespace) else { throw RecordShape.Problem("\"\(key)\" is empty") }
            return string
        }
        func pair() throws -> String? {
            object["text_pair"] == nil || object["text_pair"] is NSNull ? nil : try text("text_pair")
        }
        switch shape {
        case .pair:
            return TextRecord(text: try text("anchor"), textPair: try text("positive"), line: number)
        case .text:
            return TextRecord(text: try text("text"), textPair: try pair(), line: number)
        case .labeled:
            let label: String
            switch object["label"] {
            case let s as String where !s.isEmpty: label = s
            // JSON true/false also arrive as NSNumber; objCType tells them ('c') from integers.
            case let n as NSNumber where n.objCType.pointee != UInt8(ascii: "c") && n.doubleValue == n.doubleValue.rounded():
                label = String(n.intValue)
            case nil: throw RecordShape.Problem("missing \"label\"")
            default: throw RecordShape.Problem("\"label\" must be a non-empty string or an integer")
            }
            return TextRecord(text: try text("text"), textPair: try pair(), label: label, line: number)
        }
    }
}
