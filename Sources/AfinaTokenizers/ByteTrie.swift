// A trie over the UTF-8 bytes of strings (added tokens, Unigram pieces), for longest-match and
// every-prefix scans of text: nodes are numbers, an edge is (node << 8 | byte).
struct ByteTrie: Sendable {
    private var children: [Int: Int] = [:]
    private var nodeCount = 1
    /// The node every walk starts from.
    static let root = 0

    /// Adds `bytes` and returns the node it ends at.
    mutating func insert(_ bytes: some Sequence<UInt8>) -> Int {
        var node = Self.root
        for byte in bytes {
            let edge = node << 8 | Int(byte)
            if let child = children[edge] {
                node = child
            } else {
                children[edge] = nodeCount
                node = nodeCount
                nodeCount += 1
            }
        }
        return node
    }

    /// The node reached from `node` by `byte`, if any string continues that way.
    @inline(__always) func child(_ node: Int, _ byte: UInt8) -> Int? { children[node << 8 | Int(byte)] }
}
