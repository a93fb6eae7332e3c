// The BERT family against transformers (fixtures: scripts/make_bert_fixtures.py): tiny random
// BertForSequenceClassification and BertForMaskedLM on a ragged batch with a sentence pair,
// and the real all-MiniLM-L6-v2. Tolerance: max |afina - torch| / max(1, |torch|) ≤ 1e-5
// per tensor (hidden states are LayerNorm outputs of order 1; float32 sums over ≤ 1536 terms).
import AfinaFormats
import AfinaHub
import AfinaTensor
import Foundation
import XCTest
@testable import AfinaModels

/// The fixture batch: three sequences (the second a sentence pair) and their targets.
struct BertBatch: Decodable {
    struct Sequence: Decodable { let ids: [Int32]; let type_ids: [Int32] }
    let sequences: [Sequence]
    let class_labels: [Int]
    let mlm_targets: [[Int]]

    static func load() throws -> BertBatch {
        try JSONDecoder().decode(BertBatch.self, from: Data(contentsOf: fixtureRoot.appendingPathComponent("bert/batch.json")))
    }

    var inputs: [EncoderInput] { sequences.map { EncoderInput(ids: $0.ids, typeIDs: $0.type_ids) } }
    /// Packed rows with a masked-LM target, and the targets.
    var maskedRows: (rows: [Int], targets: [Int32]) {
        let flat = Array(mlm_targets.joined())
        let rows = flat.indices.filter { flat[$0] != -100 }
        return (rows, rows.map { Int32(flat[$0]) })
    }
}

func assertNormalizedClose(_ actual: [Float], _ expected: [Float], _ what: String, tolerance: Float = 1e-5,
                           file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, "\(what): element count", file: file, line: line)
    let worst = zip(actual, expected).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? .infinity
    XCTAssertLessThanOrEqual(worst, tolerance, "\(what): max normalized error", file: file, line: line)
}

func tinyBert<Capability>(_ name: String, as type: Capability.Type, backend: any Backend = CPUBackend()) throws -> Capability {
    let dir = try HFDirectory(url: fixtureRoot.appendingPathComponent("models/\(name)"))
    return try XCTUnwrap(ModelLoader.network(huggingFace: dir, backend: backend).0 as? Capability)
}

final class BertTests: XCTestCase {
    let backend = CPUBackend()

    func testClassifierHiddenStatesAndLogitsMatchTransformers() throws {
        let model = try tinyBert("bert-cls", as: (any SequenceClassifier).self)
        let expected = try fixtureTensors("bert/cls.safetensors", backend: backend)
        let batch = try BertBatch.load()
        XCTAssertEqual(model.labels, ["negative", "neutral", "positive"])
        assertNormalizedClose(backend.floats(try model.hiddenStates(batch.inputs)), expected["hidden"]!, "hidden states")
        assertNormalizedClose(backend.floats(try model.classificationLogits(batch.inputs)), expected["logits"]!, "logits")
    }

    func testMaskedLMLogitsWithTheTanhGELUAndTiedDecoderMatchTransformers() throws {
        let model = try tinyBert("bert-mlm", as: (any MaskedLM).self)
        let expected = try fixtureTensors("bert/mlm.safetensors", backend: backend)
        let batch = try BertBatch.load()
        let logits = try model.maskedLogits(batch.inputs, rows: batch.maskedRows.rows)
        XCTAssertEqual(logits.shape, [batch.maskedRows.rows.count, 487])
        assertNormalizedClose(backend.floats(logits), expected["logits"]!, "masked-LM logits")
    }

    func testAnEncoderIsRefusedAsACausalLMAndTheReverse() throws {
        let bert = try tinyBert("bert-mlm", as: (any LanguageModel).self)
        XCTAssertThrowsError(try require(bert, as: (any CausalLM).self, .causalLM, architecture: "bert")) { error in
            XCTAssertTrue("\(error)".contains("bert model is not a causal language model"), "\(error)")
        }
        XCTAssertThrowsError(try require(bert, as: (any SequenceClassifier).self, .sequenceClassifier, architecture: "bert"))
        let llama = try tinyBert("llama", as: (any LanguageModel).self)
        XCTAssertThrowsError(try require(llama, as: (any TextEncoder).self, .encoder, architecture: "llama")) { error in
            XCTAssertTrue("\(error)".contains("llama model is not an encoder"), "\(error)")
        }
    }

    func testInputsLongerThanThePositionsOrOutsideTheVocabularyAreRefused() throws {
        let model = try tinyBert("bert-cls", as: (any SequenceClassifier).self)
        XCTAssertThrowsError(try model.hiddenStates([EncoderInput(ids: [Int32](repeating: 5, count: 41))])) { error in
            XCTAssertTrue("\(error)".contains("41 positions"), "\(error)")
        }
        XCTAssertThrowsError(try model.hiddenStates([EncoderInput(ids: [2, 487, 3])])) { error in
            XCTAssertTrue("\(error)".contains("token id 487"), "\(error)")
        }
        XCTAssertThrowsError(try model.hiddenStates([EncoderInput(ids: [2, 5, 3], typeIDs: [0, 2, 0])])) { error in
            XCTAssertTrue("\(error)".contains("token type 2"), "\(error)")
        }
        XCTAssertThrowsError(try model.hiddenStates([EncoderInput(ids: [])]))
    }

    // MARK: The real all-MiniLM-L6-v2

    struct MiniLMFixture: Decodable { let sentences: [String]; let ids: [[Int32]]; let max_seq_length: Int }

    func miniLMDirectory() throws -> URL {
        guard let url = ModelStore.standard().pulledFile(ModelCatalog.entry(named: "all-minilm-l6-v2")!) else {
            throw XCTSkip("run `afina pull all-minilm-l6-v2` first (scripts/test.sh does)")
        }
        return url
    }

    func miniLM() throws -> (any TextEncoder, MiniLMFixture, [String: [Float]]) {
        let url = try miniLMDirectory()
        let fixture = try JSONDecoder().decode(MiniLMFixture.self,
                                               from: Data(contentsOf: fixtureRoot.appendingPathComponent("bert/minilm.json")))
        let encoder = try ModelLoader.network(huggingFace: HFDirectory(url: url), backend: backend).0 as! any TextEncoder
        return (encoder, fixture, try fixtureTensors("bert/minilm.safetensors", backend: backend))
    }

    func testMiniLMHiddenStatesMatchTransformers() throws {
        let (encoder, fixture, expected) = try miniLM()
        let hidden = try encoder.hiddenStates(fixture.ids.map { EncoderInput(ids: $0) })
        XCTAssertEqual(hidden.shape, [fixture.ids.map(\.count).reduce(0, +), 384])
        assertNormalizedClose(backend.floats(hidden), expected["hidden"]!, "MiniLM hidden states")
    }

    func testMiniLMSentenceEmbeddingsMatchSentenceTransformers() throws {
        let (encoder, fixture, expected) = try miniLM()
        let pooling = try SentencePooling(directory: miniLMDirectory())
        XCTAssertEqual(pooling, SentencePooling(mode: .mean, normalize: true, maxSequenceLength: fixture.max_seq_length))
        let hidden = try encoder.hiddenStates(fixture.ids.map { EncoderInput(ids: $0) })
        let embeddings = pooling.pool(backend.floats(hidden), lengths: fixture.ids.map(\.count), width: 384)
        XCTAssertEqual(embeddings.count, fixture.sentences.count)
        assertNormalizedClose(Array(embeddings.joined()), expected["embeddings"]!, "MiniLM sentence embeddings")
    }
}
