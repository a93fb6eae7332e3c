// Spelling detection, codespell's own job: is this word spelled correctly? Each dictionary pair
// gives a "misspelled" word and a "correct" one. The split goes by correction, so no held-out
// word, in either spelling, is seen in training (a correction shared by several misspellings
// stays on one side). A real labelled task on which a tuned 22M-parameter encoder can be set
// against a large decoder asked the same question.
import AfinaData
import Foundation

public enum SpellingCheckTask {
    public static let correct = "correct", misspelled = "misspelled"

    /// The question a prompted decoder answers, and its expected answer. Asked with the labels
    /// as answers ("correct or misspelled"), qwen2.5-coder-1.5b-instruct called every word
    /// correct, even after three solved examples; asked yes or no, with examples, it does better.
    public static func question(for example: LabelledText) -> (prompt: String, reference: String) {
        ("Is the English word \"\(example.text)\" spelled correctly? Answer yes or no.", example.label == correct ? "yes" : "no")
    }

    /// The labelled words of each file.
    public struct Split: Sendable, Equatable {
        public var train: [LabelledText], validation: [LabelledText], heldOut: [LabelledText]
    }

    /// Corrections in an order fixed by `seed`: the first `heldOutWords` give the held-out words,
    /// the next `validationWords` the validation words, each as its first misspelling in file
    /// order and itself (half of each label). Training holds every other pair as both its
    /// misspelling and its correction (a correction once per misspelling, so the labels are
    /// balanced there too), shuffled.
    public static func split(_ pairs: [SpellingTask.Pair], heldOutWords: Int, validationWords: Int, seed: UInt64) throws -> Split {
        var misspellings: [String: [String]] = [:], corrections: [String] = []
        for pair in pairs {
            if misspellings[pair.correction] == nil { corrections.append(pair.correction) }
            misspellings[pair.correction, default: []].append(pair.misspelling)
        }
        guard heldOutWords >= 0, validationWords >= 0, heldOutWords + validationWords < corrections.count else {
            throw DataError("\(heldOutWords) held-out + \(validationWords) validation words leave no training words of \(corrections.count)")
        }
        let order = SplitMix64.permutation(count: corrections.count, seed: seed).map { corrections[$0] }
        func firstPairs(_ words: ArraySlice<String>) -> [LabelledText] {
            words.flatMap { [LabelledText(text: misspellings[$0]![0], label: misspelled), LabelledText(text: $0, label: correct)] }
        }
        let trainWords = order.dropFirst(heldOutWords + validationWords)
        let train = trainWords.flatMap { word in
            misspellings[word]!.flatMap { [LabelledText(text: $0, label: misspelled), LabelledText(text: word, label: correct)] }
        }
        return Split(train: SplitMix64.permutation(count: train.count, seed: seed &+ 1).map { train[$0] },
                     validation: firstPairs(order.dropFirst(heldOutWords).prefix(validationWords)),
                     heldOut: firstPairs(order.prefix(heldOutWords)))
    }

    /// Fetches codespell's dictionary (cached) and writes the files of `LabelledTextFiles` into
    /// `directory`; the few-shot prompts show four solved training words, two of each label,
    /// alternating.
    public static func build(into directory: URL, heldOutWords: Int = 500, validationWords: Int = 250, seed: UInt64 = 0,
                             cache: CodespellDictionary = .standard(), log: (String) -> Void) throws -> Split {
        let pairs = SpellingTask.pairs(fromDictionary: try cache.text(log: log))
        let split = try split(pairs, heldOutWords: heldOutWords, validationWords: validationWords, seed: seed)
        try LabelledTextFiles.write(train: split.train, validation: split.validation, heldOut: split.heldOut,
                                    question: question(for:), shots: fewShot(split.train, count: 4), into: directory)
        return split
    }

    /// The first `count / 2` training words of each label, misspelled first, alternating.
    static func fewShot(_ train: [LabelledText], count: Int) -> [LabelledText] {
        let wrong = train.filter { $0.label == misspelled }.prefix(count / 2), right = train.filter { $0.label == correct }.prefix(count / 2)
        return zip(wrong, right).flatMap { [$0, $1] }
    }
}
