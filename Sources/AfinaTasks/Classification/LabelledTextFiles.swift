// The files every labelled-text task writes: {"text", "label"} splits for encoder classifiers
// (`afina train` with task: classification, `afina eval` of classifiers), and the held-out
// texts as {"prompt", "reference"} questions for decoders, plain and with solved training
// examples first (for `afina eval --few-shot N`), so both kinds of model answer the same items.
import AfinaData
import AfinaFormats
import Foundation

/// One text and its label.
public struct LabelledText: Sendable, Equatable {
    public var text: String
    public var label: String

    public init(text: String, label: String) {
        (self.text, self.label) = (text, label)
    }
}

public enum LabelledTextFiles {
    /// Writes train.jsonl, validation.jsonl, heldout.jsonl, heldout-prompts.jsonl and
    /// heldout-prompts-<shots>shot.jsonl (the `shots`, solved training examples, then the
    /// held-out prompts) into `directory`, creating it. `question` gives the prompt and the
    /// expected answer a decoder is asked for each example.
    public static func write(train: [LabelledText], validation: [LabelledText], heldOut: [LabelledText],
                             question: (LabelledText) -> (prompt: String, reference: String), shots: [LabelledText],
                             into directory: URL) throws {
        do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw DataError("\(directory.path): cannot create the directory (\(error.localizedDescription))")
        }
        func write(_ lines: [String], _ name: String) throws {
            let url = directory.appendingPathComponent(name)
            do { try Data(lines.map { $0 + "\n" }.joined().utf8).write(to: url, options: .atomic) } catch {
                throw DataError("\(url.path): cannot write (\(error.localizedDescription))")
            }
        }
        func labelled(_ e: LabelledText) -> String { "{\"text\": \(JSONText.quoted(e.text)), \"label\": \(JSONText.quoted(e.label))}" }
        func prompted(_ e: LabelledText) -> String {
            let (prompt, reference) = question(e)
            return "{\"prompt\": \(JSONText.quoted(prompt)), \"reference\": \(JSONText.quoted(reference))}"
        }
        try write(train.map(labelled), "train.jsonl")
        try write(validation.map(labelled), "validation.jsonl")
        try write(heldOut.map(labelled), "heldout.jsonl")
        try write(heldOut.map(prompted), "heldout-prompts.jsonl")
        try write((shots + heldOut).map(prompted), "heldout-prompts-\(shots.count)shot.jsonl")
    }
}
