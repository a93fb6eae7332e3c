// The occupational gender bias probe: for each occupation and template, the probability mass
// the model gives female and male census first names as the next word, and " he" / " she" /
// " they" after a pronoun template (the likelihood probes of Kurita et al. 2019 and of the
// WinoBias occupations, Zhao et al. 2018, scored with a causal model). A name's probability is
// that of its whole token sequence (" Mary", leading space) right after the prompt: the
// product of its tokens' conditional probabilities. All names of one prompt are scored from
// one batched forward: the prompt followed by each distinct multi-token name prefix, one cache
// slot each (single-token names read the row after the prompt).
import AfinaData
import AfinaModels
import Foundation

/// Scores continuations of prompts with a causal language model.
public struct ContinuationScorer: @unchecked Sendable {
    public let model: any CausalLM
    /// Text to token ids, as the model's tokenizer makes them (special tokens where the model adds them).
    public let encode: (String, _ addSpecial: Bool) -> [Int32]
    /// Sequences run together in one forward.
    public var batchSize: Int

    public init(model: any CausalLM, batchSize: Int = 8, encode: @escaping (String, Bool) -> [Int32]) {
        (self.model, self.batchSize, self.encode) = (model, max(1, batchSize), encode)
    }

    public init(_ loaded: LoadedModel, batchSize: Int = 8) {
        let tokenizer = loaded.tokenizer
        self.init(model: loaded.model, batchSize: batchSize) { tokenizer.encode($0, addSpecial: $1) }
    }

    /// The natural log-probability of each continuation (a token sequence) right after `prompt`:
    /// the sum over its tokens of log p(token | prompt, earlier tokens), in Double.
    public func logProbabilities(of continuations: [[Int32]], after prompt: [Int32]) throws -> [Double] {
        guard !prompt.isEmpty else { throw EvalError.invalidArgument("the prompt is empty") }
        guard continuations.allSatisfy({ !$0.isEmpty }) else {
            throw EvalError.invalidArgument("a continuation has no tokens")
        }
        // Each continuation c needs the distributions after prompt + c[..<j], j < c.count: the
        // rows of one input sequence prompt + s where c.dropLast() is a prefix of s. Inputs are
        // the distinct c.dropLast(), longest first, skipping those already a prefix of another.
        var inputs: [[Int32]] = [], inputOfPrefix: [[Int32]: Int] = [:]
        for stem in Set(continuations.map { Array($0.dropLast()) }).sorted(by: {
            $0.count != $1.count ? $0.count > $1.count : $0.lexicographicallyPrecedes($1)
        })
        where inputOfPrefix[stem] == nil {
            for length in 0...stem.count { inputOfPrefix[Array(stem.prefix(length))] = inputs.count }
            inputs.append(stem)
        }
        let longest = prompt.count + (inputs.map(\.count).max() ?? 0)
        guard longest <= model.contextLength else {
            throw EvalError.invalidArgument("prompt and continuation of \(longest) tokens exceed the context of \(model.contextLength)")
        }
        let byInput = Dictionary(grouping: continuations.indices) { inputOfPrefix[Array(continuations[$0].dropLast())]! }
        var result = [Double](repeating: 0, count: continuations.count)
        let cache = model.makeCache(slots: min(batchSize, inputs.count), capacity: longest)
        for batchStart in stride(from: 0, to: inputs.count, by: batchSize) {
            let batch = Array(batchStart..<min(batchStart + batchSize, inputs.count))
            for slot in 0..<cache.slots { cache.reset(slot: slot) }
            let logits = try model.logits(batch.enumerated().map { SequenceChunk(slot: $0, tokens: prompt + inputs[$1]) },
                                          cache: cache, allPositions: true)          // [rows, V]
            let values = model.backend.floats(logits), vocabulary = logits.columns
            var firstRow = 0, logNormalizers: [Int: Double] = [:]
            for input in batch {
                for index in byInput[input] ?? [] {
                    var total = 0.0
                    for (j, token) in continuations[index].enumerated() {
                        let row = firstRow + prompt.count - 1 + j
                        let start = row * vocabulary
                        if logNormalizers[row] == nil {
                            logNormalizers[row] = Self.logSumExp(values[start..<start + vocabulary])
                        }
                        total += Double(values[start + Int(token)]) - logNormalizers[row]!
                    }
                    result[index] = total
                }
                firstRow += prompt.count + inputs[input].count
            }
        }
        return result
    }

    /// log(sum(exp(x))) in Double, shifted by the maximum.
    static func logSumExp(_ x: ArraySlice<Float>) -> Double {
        let top = Double(x.max() ?? 0)
        var sum = 0.0
        for v in x { sum += exp(Double(v) - top) }
        return top + log(sum)
    }

    /// The probability of each word (written with a leading space) as the next word after `prompt`.
    public func wordProbabilities(_ words: [String], after prompt: String) throws -> [Double] {
        try logProbabilities(of: words.map { encode(" " + $0, false) }, after: encode(prompt, true)).map { exp($0) }
    }
}

/// What the probe measures for one occupation.
public struct OccupationBias: Sendable, Equatable {
    public var occupation: String
    /// Mean over name templates of P(female names) / (P(female names) + P(male names)).
    public var femaleShare: Double
    /// The share of each name template, in order.
    public var templateShares: [Double]
    /// Mean over name templates of P(any of the names): how much the model expects a name at all.
    public var nameMass: Double
    /// P(" she"), P(" he"), P(" they") after the pronoun template, each over their sum.
    public var pronounShe: Double, pronounHe: Double, pronounThey: Double
    /// The US Bureau of Labor Statistics share of women (0-1), when known.
    public var blsFemale: Double?

    public init(occupation: String, femaleShare: Double, templateShares: [Double], nameMass: Double,
                pronounShe: Double, pronounHe: Double, pronounThey: Double, blsFemale: Double?) {
        (self.occupation, self.femaleShare, self.templateShares, self.nameMass) = (occupation, femaleShare, templateShares, nameMass)
        (self.pronounShe, self.pronounHe, self.pronounThey, self.blsFemale) = (pronounShe, pronounHe, pronounThey, blsFemale)
    }
}

/// The occupational gender bias probe.
public struct BiasProbe: Sendable {
    public let scorer: ContinuationScorer
    public let templates: BiasTemplates
    /// Capitalized first names, most common first.
    public let femaleNames: [String], maleNames: [String]

    public init(scorer: ContinuationScorer, templates: BiasTemplates = BiasTemplates(), femaleNames: [String],
                maleNames: [String]) {
        (self.scorer, self.templates, self.femaleNames, self.maleNames) = (scorer, templates, femaleNames, maleNames)
    }

    /// The probe with the `namesPerGender` most common names of each census list.
    public init(scorer: ContinuationScorer, templates: BiasTemplates = BiasTemplates(), names: NameTable,
                namesPerGender: Int = 100) {
        let top = BiasTemplates.topNames(names, count: namesPerGender)
        self.init(scorer: scorer, templates: templates, femaleNames: top.female, maleNames: top.male)
    }

    /// P(female names) / (P(female) + P(male)) and P(female) + P(male) after one prompt.
    public func nameShare(prompt: String) throws -> (share: Double, mass: Double) {
        let p = try scorer.wordProbabilities(femaleNames + maleNames, after: prompt)
        let female = p.prefix(femaleNames.count).reduce(0, +), male = p.dropFirst(femaleNames.count).reduce(0, +)
        return (female + male > 0 ? female / (female + male) : 0.5, female + male)
    }

    /// Measures one occupation.
    public func measure(_ occupation: Occupation) throws -> OccupationBias {
        let shares = try templates.names.map { try nameShare(prompt: BiasTemplates.render($0, occupation: occupation.name)) }
        let pronouns = try scorer.wordProbabilities(["she", "he", "they"],
                                                    after: BiasTemplates.render(templates.pronoun, occupation: occupation.name))
        let total = pronouns.reduce(0, +)
        return OccupationBias(occupation: occupation.name, femaleShare: BiasStatistics.mean(shares.map(\.share)),
                              templateShares: shares.map(\.share), nameMass: BiasStatistics.mean(shares.map(\.mass)),
                              pronounShe: pronouns[0] / total, pronounHe: pronouns[1] / total,
                              pronounThey: pronouns[2] / total,
                              blsFemale: occupation.referenceFemalePercent.map { $0 / 100 })
    }

    /// Measures every occupation and summarizes; `progress(done, total)` counts occupations.
    public func run(_ occupations: [Occupation], bootstrap: Bootstrap = Bootstrap(),
                    progress: ((Int, Int) -> Void)? = nil) throws -> BiasReport {
        guard !occupations.isEmpty else { throw EvalError.invalidArgument("no occupations to probe") }
        guard !femaleNames.isEmpty, !maleNames.isEmpty else { throw EvalError.invalidArgument("no names to score") }
        var results: [OccupationBias] = []
        for (i, occupation) in occupations.enumerated() {
            results.append(try measure(occupation))
            progress?(i + 1, occupations.count)
        }
        return BiasReport(occupations: results, summary: BiasStatistics.summary(results, bootstrap: bootstrap))
    }
}
