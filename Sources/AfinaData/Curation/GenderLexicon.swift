// The gendered words Afina audits and swaps: pronouns, gendered nouns and titles (written
// here, as in the counterfactual data augmentation of Lu et al. 2018, "Gender Bias in Neural
// Natural Language Processing", and Zhao et al. 2018's WinoBias swap lists), and first names
// from the 1990 US census lists (`NameTable`, fetched from PyPI's names 0.3.0).
import Foundation

/// Grammatical gender of a word, as the audit and the swap see it.
public enum Gender: String, Sendable, Codable, CaseIterable {
    case male, female

    public var opposite: Gender { self == .male ? .female : .male }
}

/// What kind of gendered word matched.
public enum GenderedWordKind: String, Sendable, Codable, CaseIterable {
    case pronoun, noun, name
}

/// First names ranked by frequency for each gender, paired by rank (or relative rank) for swapping.
public struct NameTable: Sendable {
    /// Lower-cased names, most common first; a name is in at most one list.
    public let male: [String]
    public let female: [String]
    private let genderOf: [String: Gender]
    private let rankOf: [String: Int]

    /// Ranked lists (most common first, any case). A name in both lists stays in the first
    /// list it is given in (`census` settles such names by frequency before calling this).
    public init(male: [String], female: [String]) {
        var seen = Set<String>()
        self.male = male.map { $0.lowercased() }.filter { seen.insert($0).inserted && !Self.commonWords.contains($0) }
        self.female = female.map { $0.lowercased() }.filter { seen.insert($0).inserted && !Self.commonWords.contains($0) }
        var genderOf: [String: Gender] = [:], rankOf: [String: Int] = [:]
        for (rank, name) in self.male.enumerated() { genderOf[name] = .male; rankOf[name] = rank }
        for (rank, name) in self.female.enumerated() { genderOf[name] = .female; rankOf[name] = rank }
        self.genderOf = genderOf
        self.rankOf = rankOf
    }

    /// No names: only pronouns and nouns are audited and swapped.
    public static let empty = NameTable(male: [], female: [])

    /// Capitalized English words that the census lists also hold as names (months, virtues,
    /// verbs); they are never taken as names, since "May" or "Will" opening a sentence is
    /// far more often the word. Gendered nouns and function words are excluded too (see
    /// `GenderLexicon`): the census lists hold "Man", "Son", "In", "My".
    static let commonWords: Set<String> = [
        "may", "june", "april", "august", "will", "mark", "bill", "rose", "joy", "hope", "faith", "grace", "dawn",
        "art", "guy", "pat", "sue", "max", "ray", "don", "in", "an", "so", "my", "son", "man", "king", "major",
        "young", "long", "sky", "summer", "autumn", "winter", "page", "love", "lane", "else", "see",
        "chance", "price", "earnest", "ernest", "sunday", "sang", "to", "the", "a", "i", "is", "it", "he",
        "she", "his", "her", "him", "we", "me", "be", "do", "no", "or", "on", "at", "by", "as", "if", "us", "up",
    ]

    /// The census lists of `names` 0.3.0 (`NAME  frequency%  cumulative%  rank` lines). A name in
    /// both lists goes to the gender where it is more frequent.
    public static func census(male maleText: String, female femaleText: String) -> NameTable {
        func parse(_ text: String) -> [(name: String, frequency: Double)] {
            text.split(whereSeparator: \.isNewline).compactMap { line in
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                guard fields.count >= 2, let frequency = Double(fields[1]) else { return nil }
                return (fields[0].lowercased(), frequency)
            }
        }
        let male = parse(maleText), female = parse(femaleText)
        let maleFrequency = Dictionary(male.map { ($0.name, $0.frequency) }, uniquingKeysWith: max)
        let femaleFrequency = Dictionary(female.map { ($0.name, $0.frequency) }, uniquingKeysWith: max)
        return NameTable(male: male.filter { $0.frequency >= femaleFrequency[$0.name, default: -1] }.map(\.name),
                         female: female.filter { $0.frequency > maleFrequency[$0.name, default: -1] }.map(\.name))
    }

    /// The census lists, downloaded into the cache on first use.
    public static func census(source: PyPIDataFile = .censusNames, log: (String) -> Void) throws -> NameTable {
        census(male: try source.text(source.members[0], log: log), female: try source.text(source.members[1], log: log))
    }

    /// The gender of a lower-cased name, if it is in a list.
    public func gender(of name: String) -> Gender? { genderOf[name] }

    /// The name of the other gender (lower-cased) at the same frequency rank, or past the end of
    /// the shorter list at the same relative rank (the census has 1,219 male names and 4,275
    /// female ones: female rank 3,000 becomes male rank 855). Every name has one, so a swapped
    /// copy holds as many names of each gender as its original did of the other.
    public func counterpart(of name: String) -> String? {
        guard let gender = genderOf[name], let rank = rankOf[name] else { return nil }
        let (own, other) = gender == .male ? (male, female) : (female, male)
        guard !other.isEmpty else { return nil }
        return other[rank < other.count ? rank : rank * other.count / own.count]
    }
}

/// Pronouns, gendered nouns and titles, and first names, with their counterparts.
public struct GenderLexicon: Sendable {
    public let names: NameTable

    public init(names: NameTable) { self.names = names }

    /// Pronouns and their swap; "her" and "his" are resolved by `CounterfactualAugmenter`.
    static let pronouns: [String: (Gender, String)] = [
        "he": (.male, "she"), "him": (.male, "her"), "his": (.male, "her"), "himself": (.male, "herself"),
        "she": (.female, "he"), "her": (.female, "him"), "hers": (.female, "his"), "herself": (.female, "himself"),
    ]

    /// Male and female noun pairs (singular and plural), titles and terms of address.
    static let nounPairs: [(String, String)] = [
        ("man", "woman"), ("men", "women"), ("boy", "girl"), ("boys", "girls"), ("father", "mother"),
        ("fathers", "mothers"), ("dad", "mom"), ("dads", "moms"), ("daddy", "mommy"), ("son", "daughter"),
        ("sons", "daughters"), ("brother", "sister"), ("brothers", "sisters"), ("husband", "wife"),
        ("husbands", "wives"), ("king", "queen"), ("kings", "queens"), ("prince", "princess"),
        ("princes", "princesses"), ("actor", "actress"), ("actors", "actresses"), ("waiter", "waitress"),
        ("waiters", "waitresses"), ("uncle", "aunt"), ("uncles", "aunts"), ("nephew", "niece"),
        ("nephews", "nieces"), ("grandfather", "grandmother"), ("grandfathers", "grandmothers"),
        ("grandson", "granddaughter"), ("grandsons", "granddaughters"), ("grandpa", "grandma"),
        ("boyfriend", "girlfriend"), ("boyfriends", "girlfriends"), ("gentleman", "lady"), ("gentlemen", "ladies"),
        ("sir", "madam"), ("mr", "ms"), ("male", "female"), ("males", "females"), ("businessman", "businesswoman"),
        ("businessmen", "businesswomen"), ("chairman", "chairwoman"), ("spokesman", "spokeswoman"),
        ("policeman", "policewoman"), ("policemen", "policewomen"), ("salesman", "saleswoman"),
        ("salesmen", "saleswomen"), ("steward", "stewardess"), ("hero", "heroine"), ("heroes", "heroines"),
        ("groom", "bride"), ("monk", "nun"), ("monks", "nuns"), ("widower", "widow"), ("heir", "heiress"),
        ("stepfather", "stepmother"), ("stepson", "stepdaughter"), ("fiance", "fiancee"), ("lord", "lady"),
    ]

    /// Female words whose male counterpart is not the reverse of a pair above.
    static let oneWayNouns: [String: (Gender, String)] = ["mrs": (.female, "mr"), "madame": (.female, "sir"),
                                                           "mum": (.female, "dad"), "mums": (.female, "dads")]

    static let nouns: [String: (Gender, String)] = {
        var table = oneWayNouns
        for (male, female) in nounPairs {
            if table[male] == nil { table[male] = (.male, female) }
            if table[female] == nil { table[female] = (.female, male) }
        }
        return table
    }()

    /// Titles before a surname: "Mr. Thomas" is not the first name Thomas.
    static let surnameTitles: Set<String> = ["mr", "mrs", "ms", "miss", "mx", "dr", "prof"]

    /// The gender and kind of `word` (as written), if it is gendered. Names count only when
    /// capitalized (or upper-case), and never when the word is a pronoun, noun or function word,
    /// nor when it is a surname: right after Mr, Mrs, Ms, Miss, Mx, Dr or Prof (`previous`) and
    /// not followed by another capitalized word (`next`; "Dr. Mary Smith" keeps Mary a name).
    public func classify(_ word: Substring, previous: Substring? = nil,
                         next: Substring? = nil) -> (gender: Gender, kind: GenderedWordKind)? {
        let lower = word.lowercased()
        if let (gender, _) = Self.pronouns[lower] { return (gender, .pronoun) }
        if let (gender, _) = Self.nouns[lower] { return (gender, .noun) }
        if let first = word.first, first.isUppercase, !FunctionWords.all.contains(lower),
           let gender = names.gender(of: lower) {
            if let previous, Self.surnameTitles.contains(previous.lowercased()), !(next?.first?.isUppercase ?? false) {
                return nil
            }
            return (gender, .name)
        }
        return nil
    }
}
