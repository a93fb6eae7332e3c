// Pre-tokenizers: how text is cut into words before the model. The byte-level BPE ones each
// reproduce a regular expression of Hugging Face `tokenizers` (Oniguruma semantics) with a
// hand-written scanner over Unicode scalars: \p{L} and \p{N} are Unicode general categories
// (L*, N*), \s is the Unicode White_Space property. The WordPiece ones drop whitespace. The
// SentencePiece ones keep every scalar and cut at most at spaces or "▁".

/// The word-splitting rule a vocabulary was trained with.
public enum PreTokenizer: String, Sendable, CaseIterable {
    /// GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
    case gpt2
    /// SmolLM / StarCoder: every digit (\p{N}) is its own word, then the GPT-2 rule on the text
    /// between digits (Hugging Face `Sequence[Digits(individual_digits), ByteLevel]`).
    case smollm
    /// Qwen2: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|
    /// ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`.
    case qwen2
    /// Llama 3: as Qwen2 but numbers go in groups of up to three digits (`\p{N}{1,3}`).
    case llama3
    /// BERT (BertPreTokenizer): words between whitespace, each punctuation character alone.
    case bert
    /// `\w+|[^\w\s]+` (Hugging Face `Whitespace`).
    case whitespace
    /// Words between whitespace (Hugging Face `WhitespaceSplit`).
    case whitespaceSplit
    /// SentencePiece: the whole text is one word (no pre-tokenizer, or `Metaspace` with
    /// `split: false`; Llama 2, Gemma from GGUF).
    case sentencePiece
    /// Words begin at each "▁" (`Metaspace` with `split: true`; Mistral, T5).
    case metaspace
    /// Words end after each space (`Split(" ", MergedWithPrevious)`; Gemma's tokenizer.json,
    /// whose normalizer has already turned spaces into "▁").
    case spaceEnded

    /// Whether words go to byte-level BPE (GPT-2 and its successors) rather than WordPiece or
    /// a SentencePiece model.
    var isByteLevel: Bool {
        switch self {
        case .gpt2, .smollm, .qwen2, .llama3: true
        case .bert, .whitespace, .whitespaceSplit, .sentencePiece, .metaspace, .spaceEnded: false
        }
    }

    /// The pre-tokenizer llama.cpp names `tokenizer.ggml.pre` (nil for one not implemented).
    /// Only names whose whole Hugging Face pipeline is known are accepted: other models that
    /// share a regex may differ in their normalizer or merge rules.
    public init?(ggufName name: String) {
        switch name {
        case "gpt-2": self = .gpt2
        case "smollm": self = .smollm
        case "qwen2": self = .qwen2
        case "llama-bpe", "llama3", "llama-v3": self = .llama3
        default: return nil
        }
    }

    /// The Hugging Face `Split` regex of the rules written as one (Qwen2, Llama 3): the GPT-2
    /// regex with single digits or groups of up to three; nil for the others.
    var splitRegex: String? {
        switch self {
        case .gpt2, .smollm, .bert, .whitespace, .whitespaceSplit, .sentencePiece, .metaspace, .spaceEnded: nil
        case .qwen2: #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        case .llama3: #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        }
    }

    /// The word boundaries of `text`, as scalar index ranges in order; the byte-level rules
    /// cover all of it, the others leave out whitespace.
    func split(_ text: ScalarText) -> [Range<Int>] {
        var words: [Range<Int>] = []
        words.reserveCapacity(text.count / 4 + 1)
        switch self {
        case .gpt2:
            GPT2Scanner.split(text, 0..<text.count, into: &words)
        case .smollm:
            var start = 0
            for i in 0..<text.count where text.classes[i] == .number {
                if start < i { GPT2Scanner.split(text, start..<i, into: &words) }
                words.append(i..<i + 1)
                start = i + 1
            }
            if start < text.count { GPT2Scanner.split(text, start..<text.count, into: &words) }
        case .qwen2:
            Qwen2Scanner.split(text, 0..<text.count, maxDigits: 1, into: &words)
        case .llama3:
            Qwen2Scanner.split(text, 0..<text.count, maxDigits: 3, into: &words)
        case .bert:
            WhitespaceScanner.splitBert(text, into: &words)
        case .whitespace:
            WhitespaceScanner.splitWordsAndSymbols(text, into: &words)
        case .whitespaceSplit:
            WhitespaceScanner.splitOnWhitespace(text, into: &words)
        case .sentencePiece:
            if text.count > 0 { words.append(0..<text.count) }
        case .metaspace:
            var start = 0
            for i in 1..<max(text.count, 1) where text.scalars[i] == "\u{2581}" {
                words.append(start..<i)
                start = i
            }
            if start < text.count { words.append(start..<text.count) }
        case .spaceEnded:
            var start = 0
            for i in 0..<text.count where text.scalars[i] == " " {
                words.append(start..<i + 1)
                start = i + 1
            }
            if start < text.count { words.append(start..<text.count) }
        }
        return words
    }
}

/// The class of a scalar the pre-tokenizer regexes distinguish.
enum ScalarClass: UInt8 {
    case letter, number, whitespace, other

    init(_ scalar: Unicode.Scalar) {
        if scalar.isASCII {
            self = ScalarClass.ascii[Int(scalar.value)]
            return
        }
        let properties = scalar.properties
        if properties.isWhitespace {
            self = .whitespace
            return
        }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            self = .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            self = .number
        default:
            self = .other
        }
    }

    private static let ascii: [ScalarClass] = (0..<128).map { value in
        switch UInt8(value) {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"): .letter
        case UInt8(ascii: "0")...UInt8(ascii: "9"): .number
        case 0x09...0x0D, 0x20: .whitespace
        default: .other
        }
    }
}

/// Text decoded once for the scanners: each scalar with its class, and where its UTF-8 bytes
/// start (`utf8Offsets[count]` is the byte length), so a word's bytes are a slice of `utf8`.
struct ScalarText {
    let scalars: [Unicode.Scalar]
    let classes: [ScalarClass]
    let utf8: [UInt8]
    let utf8Offsets: [Int]

    init(_ text: String) {
        utf8 = Array(text.utf8)
        var scalars: [Unicode.Scalar] = [], classes: [ScalarClass] = [], offsets: [Int] = []
        scalars.reserveCapacity(utf8.count)
        classes.reserveCapacity(utf8.count)
        offsets.reserveCapacity(utf8.count + 1)
        var offset = 0
        for scalar in text.unicodeScalars {
            scalars.append(scalar)
            classes.append(ScalarClass(scalar))
            offsets.append(offset)
            offset += UTF8.width(scalar)
        }
        offsets.append(offset)
        self.scalars = scalars
        self.classes = classes
        self.utf8Offsets = offsets
    }

    var count: Int { scalars.count }

    /// The UTF-8 bytes of the scalars in `range`.
    func bytes(_ range: Range<Int>) -> ArraySlice<UInt8> {
        utf8[utf8Offsets[range.lowerBound]..<utf8Offsets[range.upperBound]]
    }

    func isLineBreak(_ i: Int) -> Bool { scalars[i] == "\n" || scalars[i] == "\r" }

    /// The end of the run of scalars of class `cls` starting at `i`, not past `end`.
    func run(of cls: ScalarClass, from i: Int, to end: Int) -> Int {
        var j = i
        while j < end && classes[j] == cls { j += 1 }
        return j
    }

    /// `\s+(?!\S)|\s+` at a whitespace scalar `i`: the whole run when it reaches the end of
    /// the input, otherwise all but its last scalar (which then leads the next word), or just
    /// the one scalar when the run has length one.
    func whitespaceWord(at i: Int, end: Int) -> Int {
        let runEnd = run(of: .whitespace, from: i, to: end)
        if runEnd == end { return end }
        return runEnd - i >= 2 ? runEnd - 1 : i + 1
    }
}
