// Models to serve in tests: the tiny random Llama fixture with a byte tokenizer (real
// network, fast), a scripted slow model (for cancellation and queueing), and SmolLM2 when pulled.
import AfinaFormats
import AfinaHub
import AfinaServing
import AfinaTensor
import AfinaTokenizers
import Foundation
import XCTest
@testable import AfinaModels

let fixtureRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures")

/// Ids 0-255 are bytes; higher ids read as "<id>" so every generated token shows in the text.
func byteDecode(_ ids: [Int32]) -> String {
    var text = "", bytes: [UInt8] = []
    for id in ids {
        if id < 256 { bytes.append(UInt8(id)); continue }
        text += String(decoding: bytes, as: UTF8.self) + "<\(id)>"
        bytes = []
    }
    return text + String(decoding: bytes, as: UTF8.self)
}

/// A served model whose text side is bytes: prompts "role: content\n", then "assistant:".
func byteServedModel(id: String, network: any CausalLM, stopTokens: Set<Int32> = []) -> ServedModel {
    ServedModel(id: id, network: network,
                encode: { $0.utf8.map { Int32($0) } },
                decode: byteDecode,
                renderChat: { messages in
                    (messages.map { "\($0.role): \($0.content)\n" }.joined() + "assistant:").utf8.map { Int32($0) }
                },
                stopTokens: stopTokens)
}

/// The tiny random Llama of Tests/Fixtures/models/llama (2 layers, 64 wide, 320 ids, 256 positions).
func tinyLlama() throws -> any CausalLM {
    let directory = try HFDirectory(url: fixtureRoot.appendingPathComponent("models/llama"))
    return try ModelLoader.network(huggingFace: directory, backend: CPUBackend()).0 as! any CausalLM
}

/// Always continues the alphabet ("a" after "z"), taking `delay` per forward pass, so a
/// request runs as long as a test needs it to.
final class SlowAlphabetModel: CausalLM, @unchecked Sendable {
    let backend: any Backend = CPUBackend()
    let vocabularySize = 256
    let contextLength = 4096
    let delay: TimeInterval

    init(delay: TimeInterval) { self.delay = delay }

    func makeCache(slots: Int, capacity: Int) -> KVCache {
        KVCache(backend: backend, layers: 1, slots: slots, capacity: capacity, width: 1)
    }

    func logits(_ chunks: [SequenceChunk], cache: KVCache, allPositions: Bool) throws -> Tensor {
        Thread.sleep(forTimeInterval: delay)
        var values: [Float] = []
        for chunk in chunks {
            _ = try cache.reserve(slot: chunk.slot, count: chunk.tokens.count)
            cache.advance(slot: chunk.slot, by: chunk.tokens.count)
            let last = Int(chunk.tokens.last!)
            let next = (97...122).contains(last) ? 97 + (last - 96) % 26 : 97
            values += (0..<vocabularySize).map { $0 == next ? 10 : 0 }
        }
        return backend.tensor(values, shape: [chunks.count, vocabularySize])
    }
}

/// SmolLM2-135M-Instruct as `afina serve` loads it, or a skip when it is not pulled.
func smolLM2() throws -> LoadedModel {
    guard ModelStore.standard().pulledFile(ModelCatalog.entry(named: "smollm2-135m-instruct")!) != nil else {
        throw XCTSkip("run `afina pull smollm2-135m-instruct` first (scripts/test.sh does)")
    }
    return try ModelLoader.load("smollm2-135m-instruct")
}
