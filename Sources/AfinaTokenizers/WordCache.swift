// A shared cache of word -> ids: natural text repeats a small set of words, so most words
// skip the merge loop. Bounded by emptying it when full (simple, and refills fast).
import Foundation

final class WordCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [WordKey: [Int32]] = [:]
    private let capacity: Int

    init(capacity: Int = 200_000) {
        self.capacity = capacity
    }

    func ids(of word: String) -> [Int32]? {
        lock.withLock { entries[WordKey(word)] }
    }

    func store(_ ids: [Int32], for word: String) {
        lock.withLock {
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[WordKey(word)] = ids
        }
    }
}

/// A word compared by its UTF-8 bytes. Swift's `String` equality is canonical equivalence,
/// under which U+2000 equals U+2002 and "é" equals "e\u{301}", but they are different tokens.
private struct WordKey: Hashable {
    let text: String

    init(_ text: String) { self.text = text }

    static func == (a: WordKey, b: WordKey) -> Bool {
        a.text.utf8.count == b.text.utf8.count && a.text.utf8.elementsEqual(b.text.utf8)
    }

    func hash(into hasher: inout Hasher) {
        var text = text
        text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
