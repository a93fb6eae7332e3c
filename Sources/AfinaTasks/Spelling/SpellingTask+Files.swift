// Writing the spelling task as JSONL: training and validation files in the prompt/completion
// shape `afina train` reads, and a held-out file in the prompt/reference shape `afina eval` reads.
import AfinaData
import AfinaFormats
import Foundation

extension SpellingTask {
    /// Where the files went and how many pairs each holds.
    public struct Written: Sendable {
        public var train: URL, validation: URL, heldOut: URL
        public var split: Split
        /// Usable pairs in the dictionary.
        public var pairCount: Int
    }

    /// Fetches codespell's dictionary (cached) and writes `train.jsonl`, `validation.jsonl` and
    /// `heldout.jsonl` into `directory`. `log` hears progress.
    public static func build(into directory: URL, heldOut: Int = 500, validation: Int = 200, seed: UInt64 = 0,
                             cache: CodespellDictionary = .standard(), log: (String) -> Void) throws -> Written {
        let pairs = pairs(fromDictionary: try cache.text(log: log))
        let split = try split(pairs, heldOut: heldOut, validation: validation, seed: seed)
        return try write(split, into: directory, pairCount: pairs.count)
    }

    /// Writes the three files of `split` into `directory` (created if missing).
    public static func write(_ split: Split, into directory: URL, pairCount: Int) throws -> Written {
        do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw DataError("\(directory.path): cannot create the directory (\(error.localizedDescription))")
        }
        let written = Written(train: directory.appendingPathComponent("train.jsonl"),
                              validation: directory.appendingPathComponent("validation.jsonl"),
                              heldOut: directory.appendingPathComponent("heldout.jsonl"),
                              split: split, pairCount: pairCount)
        try writeLines(split.train, answerKey: "completion", to: written.train)
        try writeLines(split.validation, answerKey: "completion", to: written.validation)
        try writeLines(split.heldOut, answerKey: "reference", to: written.heldOut)
        return written
    }

    private static func writeLines(_ pairs: [Pair], answerKey: String, to url: URL) throws {
        let lines = pairs.map {
            "{\"prompt\": \(JSONText.quoted(prompt(for: $0.misspelling))), \"\(answerKey)\": \(JSONText.quoted($0.correction))}\n"
        }
        do { try Data(lines.joined().utf8).write(to: url, options: .atomic) } catch {
            throw DataError("\(url.path): cannot write (\(error.localizedDescription))")
        }
    }
}
