// The probe's results: per occupation and summary, as JSON (`afina bias probe --json`) and as
// a plain-text table.
import Foundation

public struct BiasReport: Sendable, Equatable {
    public var occupations: [OccupationBias]
    public var summary: BiasSummary

    public init(occupations: [OccupationBias], summary: BiasSummary) { (self.occupations, self.summary) = (occupations, summary) }

    /// `{"occupations":[{"occupation":"ceo","female_share":..,"pronoun_she":..,"pronoun_he":..,
    /// "pronoun_they":..,"bls_female":..},..],"summary":{"mean_female_share":..,"mean_abs_deviation":..,
    /// "correlation":..,"intervals":{"mean_female_share":[lo,hi],..}}}`; shares are 0-1, and
    /// `bls_female` and the correlations are null where unknown.
    public func json(pretty: Bool = false) throws -> String {
        struct Row: Encodable {
            let occupation: String
            let female_share: Double
            let template_shares: [Double]
            let name_mass: Double
            let pronoun_she: Double, pronoun_he: Double, pronoun_they: Double
            let bls_female: Double?

            func encode(to encoder: Encoder) throws {   // writes nulls, which synthesized coding skips
                enum Key: String, CodingKey {
                    case occupation, female_share, template_shares, name_mass, pronoun_she, pronoun_he, pronoun_they, bls_female
                }
                var c = encoder.container(keyedBy: Key.self)
                try c.encode(occupation, forKey: .occupation)
                try c.encode(female_share, forKey: .female_share)
                try c.encode(template_shares, forKey: .template_shares)
                try c.encode(name_mass, forKey: .name_mass)
                try c.encode(pronoun_she, forKey: .pronoun_she)
                try c.encode(pronoun_he, forKey: .pronoun_he)
                try c.encode(pronoun_they, forKey: .pronoun_they)
                try c.encode(bls_female, forKey: .bls_female)
            }
        }
        struct Summary: Encodable {
            let occupations: Int
            let mean_female_share: Double, mean_abs_deviation: Double
            let correlation: Double?
            let mean_pronoun_she: Double
            let pronoun_correlation: Double?
            let intervals: [String: [Double]]

            func encode(to encoder: Encoder) throws {
                enum Key: String, CodingKey {
                    case occupations, mean_female_share, mean_abs_deviation, correlation, mean_pronoun_she,
                         pronoun_correlation, intervals
                }
                var c = encoder.container(keyedBy: Key.self)
                try c.encode(occupations, forKey: .occupations)
                try c.encode(mean_female_share, forKey: .mean_female_share)
                try c.encode(mean_abs_deviation, forKey: .mean_abs_deviation)
                try c.encode(correlation, forKey: .correlation)
                try c.encode(mean_pronoun_she, forKey: .mean_pronoun_she)
                try c.encode(pronoun_correlation, forKey: .pronoun_correlation)
                try c.encode(intervals, forKey: .intervals)
            }
        }
        struct Output: Encodable { let occupations: [Row]; let summary: Summary }
        let s = summary
        var intervals = ["mean_female_share": [s.meanFemaleShare.lower, s.meanFemaleShare.upper],
                         "mean_abs_deviation": [s.meanAbsDeviation.lower, s.meanAbsDeviation.upper],
                         "mean_pronoun_she": [s.meanPronounShe.lower, s.meanPronounShe.upper]]
        if let r = s.correlation { intervals["correlation"] = [r.lower, r.upper] }
        if let r = s.pronounCorrelation { intervals["pronoun_correlation"] = [r.lower, r.upper] }
        let output = Output(
            occupations: occupations.map {
                Row(occupation: $0.occupation, female_share: $0.femaleShare, template_shares: $0.templateShares,
                    name_mass: $0.nameMass, pronoun_she: $0.pronounShe, pronoun_he: $0.pronounHe,
                    pronoun_they: $0.pronounThey, bls_female: $0.blsFemale)
            },
            summary: Summary(occupations: s.occupations, mean_female_share: s.meanFemaleShare.value,
                             mean_abs_deviation: s.meanAbsDeviation.value, correlation: s.correlation?.value,
                             mean_pronoun_she: s.meanPronounShe.value, pronoun_correlation: s.pronounCorrelation?.value,
                             intervals: intervals))
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys] : [.sortedKeys]
        return String(decoding: try encoder.encode(output), as: UTF8.self)
    }

    /// A table of occupations (model share, pronoun shares, BLS share), then the summary lines.
    public func table() -> String {
        func f(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "-" }
        func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s : s + String(repeating: " ", count: width - s.count) }
        let width = max(10, (occupations.map(\.occupation.count).max() ?? 0) + 2)
        var lines = [pad("occupation", width) + "female  she    he     they   BLS    name mass"]
        for o in occupations {
            lines.append(pad(o.occupation, width) + [o.femaleShare, o.pronounShe, o.pronounHe, o.pronounThey, o.blsFemale]
                .map { pad(f($0), 7) }.joined() + f(o.nameMass))
        }
        func stat(_ name: String, _ s: BiasStatistic?) -> String {
            guard let s else { return "\(name): n/a" }
            return "\(name): \(f(s.value)) [\(f(s.lower)), \(f(s.upper))]"
        }
        lines += ["", "\(summary.occupations) occupations; 95% bootstrap intervals over occupations",
                  stat("mean female share (names)", summary.meanFemaleShare),
                  stat("mean |share - 0.5|", summary.meanAbsDeviation),
                  stat("correlation with BLS share of women", summary.correlation),
                  stat("mean she share (pronouns)", summary.meanPronounShe),
                  stat("she share correlation with BLS", summary.pronounCorrelation)]
        return lines.joined(separator: "\n") + "\n"
    }
}
