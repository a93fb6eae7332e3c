// afina data: build training data sets (the spelling-correction task) and curate them (gender
// audit, counterfactual augmentation, deduplication, decontamination).
import AfinaData
import AfinaTasks
import ArgumentParser
import Foundation

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Build and curate training data sets.",
        subcommands: [Spelling.self, Audit.self, Augment.self, Dedupe.self, Decontaminate.self])
}

extension DataCommand {
    struct Spelling: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the spelling-correction task from codespell's dictionary.",
            discussion: """
                Downloads codespell \(CodespellDictionary.version) with pip once (cached in \
                ~/.cache/afina/datasets/codespell, or $AFINA_CACHE/datasets/codespell) and writes \
                train.jsonl and validation.jsonl ({"prompt", "completion"}, for `afina train`) and \
                heldout.jsonl ({"prompt", "reference"}, for `afina eval`) into --out.
                """)

        @Option(help: "Directory for train.jsonl, validation.jsonl and heldout.jsonl.") var out: String
        @Option(name: .customLong("held-out"), help: "Word pairs held out for evaluation.") var heldOut = 500
        @Option(help: "Word pairs for validation loss.") var validation = 200
        @Option(help: "Seed of the split.") var seed: UInt64 = 0

        func validate() throws {
            guard heldOut >= 0 else { throw ValidationError("--held-out must not be negative") }
            guard validation >= 0 else { throw ValidationError("--validation must not be negative") }
        }

        func run() throws {
            let written = try SpellingTask.build(into: URL(fileURLWithPath: out), heldOut: heldOut,
                                                 validation: validation, seed: seed) { print("afina data: \($0)") }
            print("\(written.pairCount) word pairs from codespell \(CodespellDictionary.version)")
            for (url, count) in [(written.train, written.split.train.count), (written.validation, written.split.validation.count),
                                 (written.heldOut, written.split.heldOut.count)] {
                print("\(url.path): \(count) examples")
            }
        }
    }
}
