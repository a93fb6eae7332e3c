// Training records read from JSONL: one JSON object per line, blank lines skipped, the shape of
// each line told by its keys (see `RecordShape`).
import AfinaTemplates
import Foundation

/// One training example before tokenization.
public enum TrainingRecord: Sendable, Equatable {
    /// A conversation; loss goes on the assistant turns only.
    case messages([ChatMessage])
    /// Raw text for continued training; loss goes on every token.
    case text(String)

    /// The records of a JSONL file, in file order. Throws `DataError` naming the file and line
    /// of the first malformed record.
    public static func load(from url: URL) throws -> [TrainingRecord] {
        try numberedRecords(in: url).map(\.record)
    }

    /// The records of JSONL bytes; `file` names them in errors.
    public static func parse(jsonl data: Data, file: String) throws -> [TrainingRecord] {
        try numberedRecords(jsonl: data, file: file).map(\.record)
    }

    /// The records of a JSONL file with their 1-based line numbers, for errors found later.
    static func numberedRecords(in url: URL) throws -> [(line: Int, record: TrainingRecord)] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw DataError("\(url.path): cannot read (\(error.localizedDescription))")
        }
        return try numberedRecords(jsonl: data, file: url.path)
    }

    static func numberedRecords(jsonl data: Data, file: String) throws -> [(line: Int, record: TrainingRecord)] {
        var records: [(line: Int, record: TrainingRecord)] = []
        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            do {
                records.append((lineNumber, try RecordShape.record(fromJSON: Data(line))))
            } catch let problem as RecordShape.Problem {
                throw DataError.record(file, line: lineNumber, problem.reason)
            }
        }
        return records
    }
}
