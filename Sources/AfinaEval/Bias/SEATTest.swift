// A test of the Sentence Encoder Association Test (May et al. 2019, "On Measuring Social Biases
// in Sentence Encoders", after Caliskan et al. 2017's WEAT): target sentence sets X and Y and
// attribute sets A and B. Tests files are JSONL, one test a line, blank lines skipped:
//   {"name": "...", "targets": {"<X>": [sentences], "<Y>": [...]}, "attributes": {"<A>": [...], "<B>": [...]}}
// The first key under "targets" is X and the first under "attributes" is A, in the order the
// line writes them: swapping them flips the sign of the effect. JSON objects are unordered to
// Foundation, so lines are read with the chat templates' order-keeping JSON reader.
import AfinaTemplates
import Foundation

public struct SEATTest: Codable, Sendable, Equatable {
    /// A named set of sentences, such as "MaleNames" or "Career".
    public struct Sentences: Codable, Sendable, Equatable {
        public var name: String
        public var sentences: [String]

        public init(_ name: String, _ sentences: [String]) { (self.name, self.sentences) = (name, sentences) }
    }

    public var name: String
    /// The targets: a positive effect means X is closer to A (and Y to B) than the reverse.
    public var x: Sentences, y: Sentences
    /// The attributes.
    public var a: Sentences, b: Sentences

    public init(name: String, x: Sentences, y: Sentences, a: Sentences, b: Sentences) {
        (self.name, self.x, self.y, self.a, self.b) = (name, x, y, a, b)
    }

    /// Why the test cannot be run, or nil. Every set needs two sentences: the effect size divides
    /// by a sample standard deviation, and a set of one says little about a concept.
    var problem: String? {
        for set in [x, y, a, b] {
            if set.sentences.isEmpty { return "set \"\(set.name)\" is empty" }
            if set.sentences.count < 2 { return "set \"\(set.name)\" has 1 sentence; at least 2 are needed" }
            if set.sentences.contains(where: \.isEmpty) { return "set \"\(set.name)\" has an empty sentence" }
        }
        return nil
    }

    /// The tests of the JSONL file at `url`, in file order.
    public static func load(from url: URL) throws -> [SEATTest] {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw EvalError.unreadable(path: url.path, message: error.localizedDescription)
        }
        let tests = try parse(text, path: url.path)
        guard !tests.isEmpty else {
            throw EvalError.invalidArgument(
                "\(url.path): no SEAT tests (expected JSONL lines {\"name\", \"targets\", \"attributes\"})")
        }
        return tests
    }

    /// Parses JSONL text; `path` only names the source in errors (`path:line: what`).
    public static func parse(_ text: String, path: String) throws -> [SEATTest] {
        var tests: [SEATTest] = []
        // Split on the byte: a Character "\r\n" is not "\n", and the reader skips the "\r".
        for (index, line) in Array(text.utf8).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated()
        where line.contains(where: { !Set(" \t\r".utf8).contains($0) }) {
            do {
                let test = try test(String(decoding: line, as: UTF8.self))
                if let problem = test.problem { throw Problem(problem) }
                tests.append(test)
            } catch let problem as Problem {
                throw EvalError.malformedLine(path: path, line: index + 1, message: problem.reason)
            }
        }
        return tests
    }

    private struct Problem: Error {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }

    private static func test(_ line: String) throws -> SEATTest {
        let json: TemplateValue
        do { json = try TemplateValue(json: line) } catch { throw Problem(String(describing: error)) }
        guard case .dictionary(let object) = json else { throw Problem("expected a JSON object") }
        guard case .string(let name)? = object["name"] else { throw Problem("missing string \"name\"") }
        let (x, y) = try pair(object, "targets")
        let (a, b) = try pair(object, "attributes")
        return SEATTest(name: name, x: x, y: y, a: a, b: b)
    }

    /// The two sets under `key`, in the line's order.
    private static func pair(_ object: TemplateDictionary, _ key: String) throws -> (Sentences, Sentences) {
        guard let value = object[key] else { throw Problem("missing \"\(key)\"") }
        guard case .dictionary(let sets) = value else {
            throw Problem("\"\(key)\" must be an object of two named lists of sentences")
        }
        guard sets.keys.count == 2 else {
            throw Problem("\"\(key)\" has \(sets.keys.count) sets (\(sets.keys.joined(separator: ", "))); expected exactly 2")
        }
        let pair = try sets.entries.map { name, value in
            guard case .array(let items) = value else { throw Problem("\"\(key)\".\"\(name)\" must be a list of sentences") }
            return Sentences(name, try items.map { item in
                guard case .string(let sentence) = item else { throw Problem("\"\(key)\".\"\(name)\" holds a non-string") }
                return sentence
            })
        }
        return (pair[0], pair[1])
    }
}
