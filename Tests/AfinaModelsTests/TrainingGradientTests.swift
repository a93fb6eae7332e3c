// Loss and every gradient of tiny random Llamas against PyTorch / peft
// (fixtures: scripts/make_training_fixtures.py). Tolerance: per tensor,
// max |afina - torch| <= 1e-4 * max |torch|.
import AfinaFormats
import AfinaTensor
import AfinaTokenizers
import Foundation
import XCTest
@testable import AfinaModels

/// A fixture batch (by default three ragged sequences) with their target flags.
func trainingBatch(_ path: String = "training/batch.json") throws -> [TrainingSequence] {
    struct Record: Decodable { let tokens: [Int32]; let targets: [Bool] }
    let data = try Data(contentsOf: fixtureRoot.appendingPathComponent(path))
    return try JSONDecoder().decode([Record].self, from: data).map { TrainingSequence(tokens: $0.tokens, targets: $0.targets) }
}

/// Tensors of a fixture safetensors file as floats, by name.
func fixtureTensors(_ path: String, backend: any Backend) throws -> [String: [Float]] {
    let file = try SafetensorsFile(url: fixtureRoot.appendingPathComponent(path))
    var out: [String: [Float]] = [:]
    for name in file.tensorNames {
        let t = try file.tensor(named: name)
        out[name] = backend.floats(backend.tensor(bytes: t.bytes, dtype: t.dtype, shape: t.shape, owner: nil))
    }
    return out
}

/// Checks that max |actual - expected| <= tolerance * max |expected|; returns that ratio.
@discardableResult
func assertRelativelyClose(_ actual: [Float], _ expected: [Float], _ tolerance: Float, _ what: String,
                           file: StaticString = #filePath, line: UInt = #line) -> Float {
    XCTAssertEqual(actual.count, expected.count, what, file: file, line: line)
    let scale = max(expected.map(abs).max() ?? 0, 1e-30)
    let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
    XCTAssertLessThanOrEqual(worst / scale, tolerance, "\(what): max error \(worst) of scale \(scale)",
                             file: file, line: line)
    return worst / scale
}

/// The tensors of a peft adapter file, named as Afina's parameters (`<module>.lora_A.weight`).
func peftAdapterWeights(_ path: String, backend: CPUBackend) throws -> [String: Tensor] {
    let adapter = try SafetensorsFile(url: fixtureRoot.appendingPathComponent(path))
    var weights: [String: Tensor] = [:]
    for name in adapter.tensorNames {
        let t = try adapter.tensor(named: name)
        weights[String(name.dropFirst("base_model.model.".count))] =
            backend.tensor(bytes: t.bytes, dtype: t.dtype, shape: t.shape, owner: nil)
    }
    return weights
}

/// The fixtures' adapter setting (made by peft): rsLoRA, r=4, alpha 8, all projections.
let fixtureLoRA = LoRAConfiguration(rank: 4, alpha: 8, targets: LoRAConfiguration.allLinearModules, rsLoRA: true)

/// The tiny llama3-rope model with peft's saved adapter.
func fixtureLoRAModel(backend: CPUBackend) throws -> Llama {
    let dir = try HFDirectory(url: fixtureRoot.appendingPathComponent("models/llama3-rope"))
    let model = try (ModelLoader.network(huggingFace: dir, backend: backend).0 as! Llama).floatCopy()
    try model.attachAdapters(fixtureLoRA, weights: peftAdapterWeights("training/lora/adapter_model.safetensors",
                                                                         backend: backend), seed: 0)
    return model
}

/// The mean loss over the fixture batch's targets and the gradient of every parameter of `set`
/// against PyTorch's (`reference`, peft's names for adapters): loss within 1e-5 and each
/// gradient within 1e-4, relative. Prints the worst errors.
func assertGradientsMatch(_ model: any TrainableModel, _ set: TrainableSet, reference path: String,
                          batch batchPath: String = "training/batch.json", recompute: Bool, backend: CPUBackend,
                          file: StaticString = #filePath, line: UInt = #line) throws {
    let batch = try trainingBatch(batchPath)
    let reference = try fixtureTensors(path, backend: backend)
    func referenceName(_ name: String) -> String {
        set == .all ? name : "base_model.model." + name.replacingOccurrences(of: ".weight", with: ".default.weight")
    }
    let parameters = model.parameters(set)
    XCTAssertEqual(Set(parameters.map { referenceName($0.name) }), Set(reference.keys).subtracting(["loss"]),
                   file: file, line: line)
    let gradients = Gradients(parameters, backend: backend)
    let count = batch.map(\.targetCount).reduce(0, +)
    let loss = Float(model.loss(batch, gradients: gradients, lossScale: 1 / Float(count), dropoutSeed: 0,
                                recompute: recompute)) / Float(count)
    let expected = reference["loss"]![0]
    XCTAssertEqual(loss, expected, accuracy: 1e-5 * expected, path, file: file, line: line)
    let worst = parameters.map { p in
        assertRelativelyClose(backend.floats(gradients[p.value]!), reference[referenceName(p.name)]!, 1e-4,
                              "\(path) \(p.name)", file: file, line: line)
    }.max() ?? 0
    print("\(path)\(recompute ? " (recomputed)" : ""): loss error \(abs(loss - expected) / expected), "
          + "worst gradient error \(worst) (relative)")
}

final class TrainingGradientTests: XCTestCase {
    let backend = CPUBackend()

    func model(_ variant: String) throws -> Llama {
        let dir = try HFDirectory(url: fixtureRoot.appendingPathComponent("models/\(variant)"))
        return try (ModelLoader.network(huggingFace: dir, backend: backend).0 as! Llama).floatCopy()
    }

    func testEveryGradientMatchesPyTorch() throws {
        for variant in ["llama", "llama3-rope", "qwen2"] {
            try assertGradientsMatch(model(variant), .all, reference: "training/\(variant)/grads.safetensors",
                                     recompute: false, backend: backend)
        }
    }

    func testRecomputedActivationsGiveTheSameGradients() throws {
        try assertGradientsMatch(model("qwen2"), .all, reference: "training/qwen2/grads.safetensors", recompute: true,
                                 backend: backend)
    }

    /// 298 target rows: the output head takes them a chunk at a time (128 rows, 64 when
    /// recomputing), each chunk adding into the head's weight gradient.
    func testAnOutputHeadOfSeveralChunksGivesPyTorchsGradients() throws {
        for recompute in [false, true] {
            try assertGradientsMatch(model("llama"), .all, reference: "training/long/grads.safetensors",
                                     batch: "training/long/batch.json", recompute: recompute, backend: backend)
        }
    }

    func loraModel() throws -> Llama { try fixtureLoRAModel(backend: backend) }

    func testLoRAGradientsMatchPeft() throws {
        let model = try loraModel()
        XCTAssertEqual(model.parameters(.adapters).count, 2 * 7 * 2)
        try assertGradientsMatch(model, .adapters, reference: "training/lora/grads.safetensors", recompute: false,
                                 backend: backend)
    }

    func testAdapterLogitsMatchPeft() throws {
        let model = try loraModel()
        let reference = try fixtureTensors("training/lora/logits.safetensors", backend: backend)
        let ids = try trainingBatch()[0].tokens
        let cache = model.makeCache(slots: 1, capacity: ids.count)
        let logits = try model.logits([SequenceChunk(slot: 0, tokens: ids)], cache: cache, allPositions: true)
        assertRelativelyClose(backend.floats(logits), reference["logits"]!, 1e-5, "logits with adapter")
    }
}

final class MergeTests: XCTestCase {
    let backend = CPUBackend()

    func testMergedModelWrittenAsHuggingFaceGivesTheAdapterLogits() throws {
        let adapted = try fixtureLoRAModel(backend: backend)
        let reference = try fixtureTensors("training/lora/logits.safetensors", backend: backend)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("afina-merged-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let tokenizerless = try Tokenizer(directory: fixtureRoot.appendingPathComponent("tokenizer/smollm2"))
        try adapted.merged().writeHuggingFace(to: directory, tokenizer: tokenizerless, tokenizerDirectory: nil)
        let reloaded = try ModelLoader.network(huggingFace: HFDirectory(url: directory), backend: backend).0 as! any CausalLM
        let ids = try trainingBatch()[0].tokens
        let logits = try reloaded.logits([SequenceChunk(slot: 0, tokens: ids)],
                                         cache: reloaded.makeCache(slots: 1, capacity: ids.count), allPositions: true)
        assertRelativelyClose(backend.floats(logits), reference["logits"]!, 1e-5, "merged logits")
    }
}

extension MergeTests {
    func testDirectoryWrittenFromAGGUFBaseLoadsWithTheBasesTokenizer() throws {
        guard (try? ModelLoader.resolve("smollm2-135m-instruct")) != nil else {
            throw XCTSkip("run `afina pull smollm2-135m-instruct` first")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("afina-from-gguf-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try fixtureLoRAModel(backend: backend)
        let someTokenizer = try Tokenizer(directory: fixtureRoot.appendingPathComponent("tokenizer/smollm2"))
        try model.merged().writeHuggingFace(to: directory, tokenizer: someTokenizer, tokenizerDirectory: nil,
                                            tokenizerFrom: "smollm2-135m-instruct")
        let loaded = try ModelLoader.load(directory.path)
        XCTAssertEqual(loaded.tokenizer.vocabularySize, 49152)
        let base = try Tokenizer(gguf: GGUFFile(url: ModelLoader.resolve("smollm2-135m-instruct")))
        XCTAssertEqual(loaded.tokenizer.encode("Hello, wörld 123", addSpecial: false),
                       base.encode("Hello, wörld 123", addSpecial: false))
        XCTAssertNotNil(loaded.chatTemplate)
    }
}
