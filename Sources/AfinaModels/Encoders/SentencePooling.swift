// Sentence embeddings from an encoder's hidden states, as sentence-transformers' Pooling and
// Normalize modules compute them; the settings come from the checkpoint's own files
// (modules.json, 1_Pooling/config.json, sentence_bert_config.json).
import Foundation

/// How token states become one vector per text.
public struct SentencePooling: Sendable, Equatable {
    public enum Mode: String, Sendable {
        /// The mean of the token states (all-MiniLM-L6-v2).
        case mean
        /// The first token's state ([CLS]).
        case cls
        /// The elementwise maximum over tokens.
        case max
    }

    public var mode: Mode
    /// L2-normalize each embedding (a Normalize module follows the pooling).
    public var normalize: Bool
    /// sentence-transformers' max_seq_length: longer inputs are truncated to it.
    public var maxSequenceLength: Int?

    public init(mode: Mode = .mean, normalize: Bool = false, maxSequenceLength: Int? = nil) {
        (self.mode, self.normalize, self.maxSequenceLength) = (mode, normalize, maxSequenceLength)
    }

    /// The pooling a model directory declares; mean pooling without normalisation when it has
    /// no sentence-transformers files (transformers' usual recipe).
    public init(directory: URL) throws {
        self.init()
        func json(_ path: String) throws -> Any? {
            let url = directory.appendingPathComponent(path)
            guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
            do { return try JSONSerialization.jsonObject(with: data) } catch {
                throw ModelError.invalidConfig("\(url.path): not valid JSON")
            }
        }
        let modules = try json("modules.json") as? [[String: Any]] ?? []
        normalize = modules.contains { ($0["type"] as? String)?.hasSuffix(".Normalize") == true }
        let poolingPath = modules.first { ($0["type"] as? String)?.hasSuffix(".Pooling") == true }?["path"] as? String
        if let poolingPath, let config = try json(poolingPath + "/config.json") as? [String: Any] {
            let chosen = [("pooling_mode_mean_tokens", Mode.mean), ("pooling_mode_cls_token", .cls),
                          ("pooling_mode_max_tokens", .max)].filter { config[$0.0] as? Bool == true }
            let unsupported = ["pooling_mode_mean_sqrt_len_tokens", "pooling_mode_weightedmean_tokens",
                               "pooling_mode_lasttoken"].filter { config[$0] as? Bool == true }
            guard chosen.count == 1, unsupported.isEmpty else {
                throw ModelError.invalidConfig("\(poolingPath)/config.json: one of mean, cls or max pooling is supported, "
                    + "found \((chosen.map(\.0) + unsupported).joined(separator: ", "))")
            }
            mode = chosen[0].1
        }
        let sentenceConfig = try json("sentence_bert_config.json") as? [String: Any]
        maxSequenceLength = (sentenceConfig?["max_seq_length"] as? NSNumber)?.intValue
    }

    /// The pooling of the model at `path`: a directory's files, the default for a single file.
    public init(modelPath path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            try self.init(directory: URL(fileURLWithPath: path))
        } else {
            self.init()
        }
    }

    /// One embedding per sequence from hidden states [Σ lengths, D] of sequences of `lengths`.
    public func pool(_ hidden: [Float], lengths: [Int], width d: Int) -> [[Float]] {
        var start = 0
        return lengths.map { n in
            defer { start += n }
            var v = [Float](repeating: mode == .max ? -.infinity : 0, count: d)
            switch mode {
            case .cls: v = Array(hidden[start * d..<(start + 1) * d])
            case .mean, .max:
                // Summed in Double: a mean over hundreds of tokens keeps float32 accuracy.
                var sum = [Double](repeating: 0, count: d)
                for r in start..<start + n {
                    for c in 0..<d {
                        if mode == .max { v[c] = Swift.max(v[c], hidden[r * d + c]) } else { sum[c] += Double(hidden[r * d + c]) }
                    }
                }
                if mode == .mean { v = sum.map { Float($0 / Double(n)) } }
            }
            guard normalize else { return v }
            // torch.nn.functional.normalize: v / max(‖v‖, 1e-12).
            let norm = Swift.max(v.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot(), 1e-12)
            return v.map { Float(Double($0) / norm) }
        }
    }
}
