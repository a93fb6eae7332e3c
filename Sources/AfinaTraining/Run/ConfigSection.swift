// Reading one YAML mapping of a config by hand (not Codable) so that every error can name
// the dotted key, and keys nobody read can be reported with the valid ones beside them.
import Yams

/// One mapping of a config being decoded. Each read registers its key as valid; after
/// reading, `rejectUnknownKeys()` reports any key that was not read.
struct ConfigSection {
    private let prefix: String
    private let entries: [String: Node]
    private var order: [String]
    private var known: [String] = []

    /// `node` must be a mapping; nil (an absent section) reads as empty.
    init(_ node: Node?, path: String = "") throws {
        prefix = path.isEmpty ? "" : path + "."
        guard let node, !node.isNull else {
            entries = [:]
            order = []
            return
        }
        guard let mapping = node.mapping else {
            throw TrainingConfigError.wrongType(key: path.isEmpty ? "(top level)" : path,
                                                expected: "a mapping of keys", found: node.summary)
        }
        // Yams already rejects duplicate keys as a syntax error.
        let names = mapping.map { $0.key.scalar?.string ?? "\($0.key)" }
        entries = Dictionary(zip(names, mapping.map(\.value)), uniquingKeysWith: { first, _ in first })
        order = names
    }

    /// The value at `key`, or nil when absent or null.
    mutating func node(_ key: String) -> Node? {
        known.append(key)
        guard let node = entries[key], !node.isNull else { return nil }
        return node
    }

    mutating func string(_ key: String) throws -> String? {
        try node(key).map { try scalar($0, prefix + key, "a string") }
    }

    mutating func int(_ key: String) throws -> Int? {
        try parsed(key, "an integer") { Int($0) }
    }

    mutating func int(_ key: String, default value: Int) throws -> Int { try int(key) ?? value }

    mutating func double(_ key: String) throws -> Double? {
        try parsed(key, "a number") { Double($0) }
    }

    mutating func double(_ key: String, default value: Double) throws -> Double { try double(key) ?? value }

    mutating func bool(_ key: String, default value: Bool) throws -> Bool {
        try parsed(key, "true or false") { ["true": true, "false": false][$0.lowercased()] } ?? value
    }

    mutating func uint64(_ key: String, default value: UInt64) throws -> UInt64 {
        try parsed(key, "a non-negative integer") { UInt64($0) } ?? value
    }

    /// One of the raw values of `E`; the error lists them.
    mutating func choice<E: RawRepresentable & CaseIterable>(_ key: String, default value: E) throws -> E
    where E.RawValue == String {
        let valid = E.allCases.map(\.rawValue).joined(separator: ", ")
        return try parsed(key, "one of \(valid)") { E(rawValue: $0) } ?? value
    }

    /// A list of strings; a single string reads as a list of one.
    mutating func strings(_ key: String) throws -> [String]? {
        guard let node = node(key) else { return nil }
        guard let sequence = node.sequence else { return [try scalar(node, prefix + key, "a list of strings")] }
        return try sequence.map { try scalar($0, prefix + key, "a list of strings") }
    }

    mutating func section(_ key: String) throws -> ConfigSection {
        try ConfigSection(node(key), path: prefix + key)
    }

    func rejectUnknownKeys() throws {
        if let unknown = order.first(where: { !known.contains($0) }) {
            throw TrainingConfigError.unknownKey(prefix + unknown, valid: known)
        }
    }

    private mutating func parsed<T>(_ key: String, _ expected: String, _ parse: (String) -> T?) throws -> T? {
        guard let node = node(key) else { return nil }
        let text = try scalar(node, prefix + key, expected)
        guard let value = parse(text) else {
            throw TrainingConfigError.wrongType(key: prefix + key, expected: expected, found: node.summary)
        }
        return value
    }

    private func scalar(_ node: Node, _ fullKey: String, _ expected: String) throws -> String {
        guard let scalar = node.scalar else {
            throw TrainingConfigError.wrongType(key: fullKey, expected: expected, found: node.summary)
        }
        return scalar.string
    }
}

extension Node {
    /// A plain `null`, `~` or empty value: treated as absent, so `key=null` restores a default.
    var isNull: Bool {
        guard let scalar, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// How an error message shows a value it did not expect.
    var summary: String {
        switch self {
        case .scalar(let s): "'\(s.string)'"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }
}
