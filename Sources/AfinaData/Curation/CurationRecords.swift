// JSONL lines as the curation commands see them: any JSON object, whose text fields are those
// of the record shapes Afina trains and evaluates on ("text"; "messages"[].content;
// "prompt", "completion", "reference", "references"[]; "instruction", "input", "output").
// Other keys pass through untouched, and lines that are kept are written back byte for byte.
import Foundation

/// One non-blank line of a JSONL file.
public struct CurationLine {
    /// 1-based line number in its file.
    public let number: Int
    /// The line as read, without its line break.
    public let raw: Data
    /// The parsed object.
    public let object: [String: Any]

    /// Keys whose string values are text, in the order a reader meets them.
    static let textKeys = ["text", "instruction", "input", "prompt", "output", "completion", "reference"]

    /// Every text of the record: its text fields and each message's content, in reading order.
    public var texts: [String] { texts(joiningCompletion: false) }

    /// The texts as sentences run: a completion continues its prompt ("Today the CEO," then
    /// " Susan" is one sentence), so the two are one passage; every other text is its own.
    public var passages: [String] { texts(joiningCompletion: true) }

    private func texts(joiningCompletion: Bool) -> [String] {
        var texts: [String] = []
        if let messages = object["messages"] as? [Any] {
            for case let turn as [String: Any] in messages {
                if let content = turn["content"] as? String { texts.append(content) }
            }
        }
        let completion = joiningCompletion && object["prompt"] is String ? object["completion"] as? String : nil
        for key in Self.textKeys where !(key == "completion" && completion != nil) {
            if let text = object[key] as? String { texts.append(key == "prompt" ? text + (completion ?? "") : text) }
        }
        if let references = object["references"] as? [Any] {
            for case let text as String in references { texts.append(text) }
        }
        return texts
    }

    /// The record with `transform` applied to every text; nil when no text changed.
    public func mapTexts(_ transform: (String) -> String) -> [String: Any]? {
        var object = self.object
        var changed = false
        func apply(_ text: String) -> String {
            let result = transform(text)
            if result != text { changed = true }
            return result
        }
        if let messages = object["messages"] as? [Any] {
            object["messages"] = messages.map { item -> Any in
                guard var turn = item as? [String: Any], let content = turn["content"] as? String else { return item }
                turn["content"] = apply(content)
                return turn
            }
        }
        for key in Self.textKeys { if let text = object[key] as? String { object[key] = apply(text) } }
        if let references = object["references"] as? [Any] {
            object["references"] = references.map { item -> Any in (item as? String).map(apply) ?? item }
        }
        return changed ? object : nil
    }

    /// The lines of a JSONL file; blank lines are skipped, a line that is not a JSON object is
    /// an error naming the file and line.
    public static func read(_ url: URL) throws -> [CurationLine] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw DataError("\(url.path): cannot read (\(error.localizedDescription))")
        }
        return try parse(data, file: url.path)
    }

    /// The lines of JSONL bytes; `file` names them in errors.
    public static func parse(_ data: Data, file: String) throws -> [CurationLine] {
        var lines: [CurationLine] = []
        var number = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            var bytes = Data(line)
            if bytes.last == 0x0D { bytes.removeLast() }
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            guard let object = (try? JSONSerialization.jsonObject(with: bytes)) as? [String: Any] else {
                throw DataError.record(file, line: number, "expected a JSON object")
            }
            lines.append(CurationLine(number: number, raw: bytes, object: object))
        }
        return lines
    }

    /// `object` as one JSON line (keys sorted, slashes and non-ASCII unescaped).
    public static func jsonLine(_ object: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    }

    /// Writes lines (each followed by a line break) to `url`, atomically.
    public static func write(_ lines: [Data], to url: URL) throws {
        var out = Data()
        for line in lines {
            out.append(line)
            out.append(UInt8(ascii: "\n"))
        }
        do { try out.write(to: url, options: .atomic) } catch {
            throw DataError("\(url.path): cannot write (\(error.localizedDescription))")
        }
    }
}

extension CounterfactualAugmenter {
    /// What `augment(_:)` did.
    public struct Summary: Sendable, Equatable {
        public var records = 0
        /// Records with at least one gendered word, each written twice (original, then swapped).
        public var augmented = 0
        /// Records with no gendered word, written once.
        public var unchanged = 0
        /// Words replaced over all swapped copies.
        public var replacedWords = 0
    }

    /// The lines to write: every original line, each followed by its gender-swapped copy when
    /// it has gendered words.
    public func augment(_ lines: [CurationLine]) throws -> (lines: [Data], summary: Summary) {
        var out: [Data] = []
        var summary = Summary()
        for line in lines {
            summary.records += 1
            out.append(line.raw)
            var replaced = 0
            if let swapped = line.mapTexts({ text in
                let result = swap(text)
                replaced += result.replaced
                return result.text
            }) {
                out.append(try CurationLine.jsonLine(swapped))
                summary.augmented += 1
                summary.replacedWords += replaced
            } else {
                summary.unchanged += 1
            }
        }
        return (out, summary)
    }

    /// For contrastive tuning (`task: embedding`): each {"text"} record with a gendered word as
    /// {"anchor": the text, "positive": its swapped copy}, so the encoder learns to embed the
    /// two alike; records without one are left out (counted as unchanged).
    public func pairs(_ lines: [CurationLine], file: String) throws -> (lines: [Data], summary: Summary) {
        var out: [Data] = []
        var summary = Summary()
        for line in lines {
            summary.records += 1
            guard let text = line.object["text"] as? String else {
                throw DataError.record(file, line: line.number, "pairs need {\"text\"} records")
            }
            let swapped = swap(text)
            guard swapped.replaced > 0 else { summary.unchanged += 1; continue }
            out.append(try CurationLine.jsonLine(["anchor": text, "positive": swapped.text]))
            summary.augmented += 1
            summary.replacedWords += swapped.replaced
        }
        return (out, summary)
    }
}
