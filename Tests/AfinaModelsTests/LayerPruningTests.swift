// Students made by keeping some of a teacher's layers: the layer-list syntax, and the student's
// logits against a model rebuilt independently from the teacher's checkpoint with only those
// layers (renamed), on the tiny fixture models (untied, tied with Llama-3 RoPE, Qwen2 biases).
import AfinaFormats
import AfinaTensor
import AfinaTokenizers
import Foundation
import XCTest
@testable import AfinaModels

final class LayerPruningTests: XCTestCase {
    let backend = CPUBackend()
    let variants = ["llama", "llama3-rope", "qwen2"]
    let ids: [Int32] = [1, 17, 42, 99, 3, 250, 7]

    func teacher(_ variant: String) throws -> Llama {
        let dir = try HFDirectory(url: fixtureRoot.appendingPathComponent("models/\(variant)"))
        return try ModelLoader.network(huggingFace: dir, backend: backend).0 as! Llama
    }

    /// The teacher's checkpoint read afresh, keeping the tensors of layers `kept` under their
    /// new numbers, built with the layer count changed in its config.json.
    func teacherRebuilt(_ variant: String, keeping kept: [Int]) throws -> Llama {
        let dir = try HFDirectory(url: fixtureRoot.appendingPathComponent("models/\(variant)"))
        func tensor(_ name: String) throws -> Tensor {
            let t = try dir.tensor(named: name)
            return backend.tensor(bytes: t.bytes, dtype: t.dtype, shape: t.shape, owner: nil)
        }
        var weights: [String: Tensor] = [:]
        for name in dir.tensorNames where !name.hasPrefix("model.layers.") { weights[name] = try tensor(name) }
        for (new, old) in kept.enumerated() {
            let prefix = "model.layers.\(old)."
            for name in dir.tensorNames where name.hasPrefix(prefix) {
                weights["model.layers.\(new)." + name.dropFirst(prefix.count)] = try tensor(name)
            }
        }
        var json = try dir.config()
        json["num_hidden_layers"] = kept.count
        return try Llama(config: LlamaConfig(huggingFace: json), weights: WeightTable(weights, source: "rebuilt"),
                         backend: backend)
    }

    func logits(_ model: any CausalLM) throws -> [Float] {
        let cache = model.makeCache(slots: 1, capacity: ids.count)
        return backend.floats(try model.logits([SequenceChunk(slot: 0, tokens: ids)], cache: cache, allPositions: true))
    }

    func testLayerListsTakeIndicesRangesAndSteps() throws {
        XCTAssertEqual(try LayerSelection(parsing: "0,2,4-7", layerCount: 30).indices, [0, 2, 4, 5, 6, 7])
        XCTAssertEqual(try LayerSelection(parsing: "0-29:2", layerCount: 30).indices, Array(stride(from: 0, to: 30, by: 2)))
        XCTAssertEqual(try LayerSelection(parsing: "1-10:3,12", layerCount: 30).indices, [1, 4, 7, 10, 12])
        XCTAssertEqual(try LayerSelection(parsing: " 3 , 5-5 ", layerCount: 30).indices, [3, 5])
        XCTAssertEqual(try LayerSelection(parsing: "0-29", layerCount: 30).indices, Array(0..<30))
    }

    func testEveryBadLayerListIsRefusedWithItsReason() {
        let cases: [(String, LayerSelectionError)] = [
            ("", .empty), ("  ", .empty), ("0,,2", .emptyItem), ("0,2,", .emptyItem),
            ("x", .malformed("x")), ("-1", .malformed("-1")), ("4:2", .malformed("4:2")),
            ("1-2-3", .malformed("1-2-3")), ("0-9:2:1", .malformed("0-9:2:1")), ("+3", .malformed("+3")),
            ("7-4", .emptyRange("7-4")), ("0-29:0", .zeroStep("0-29:0")),
            ("30", .outOfRange(30, layerCount: 30)), ("0-99999999999", .outOfRange(99_999_999_999, layerCount: 30)),
            ("2,2", .duplicate(2)), ("0-4,3-5", .duplicate(3)), ("1,5,1", .duplicate(1)),
            ("4,2", .notAscending(2, after: 4)),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try LayerSelection(parsing: text, layerCount: 30), "'\(text)'") { error in
                XCTAssertEqual(error as? LayerSelectionError, expected, "'\(text)'")
            }
        }
        XCTAssertEqual(LayerSelectionError.outOfRange(30, layerCount: 30).description,
                       "layer 30 is out of range: the teacher has 30 layers, numbered 0-29")
    }

    func testKeepingEveryLayerGivesBitIdenticalLogits() throws {
        for variant in variants {
            let teacher = try teacher(variant)
            XCTAssertEqual(try logits(teacher.keepingLayers([0, 1])), try logits(teacher), variant)
        }
    }

    func testKeptLayersGiveTheLogitsOfTheTeacherRebuiltWithOnlyThoseLayers() throws {
        for variant in variants {
            let teacher = try teacher(variant)
            for kept in [[0], [1]] {
                let student = try teacher.keepingLayers(kept)
                let studentLogits = try logits(student)
                XCTAssertEqual(studentLogits, try logits(teacherRebuilt(variant, keeping: kept)), "\(variant) \(kept)")
                XCTAssertNotEqual(studentLogits, try logits(teacher), "\(variant) \(kept)")
            }
        }
    }

    func testStudentConfigDiffersFromTheTeachersOnlyInLayerCount() throws {
        for variant in variants {
            let teacher = try teacher(variant)
            let student = try teacher.keepingLayers([1])
            var expected = teacher.config
            expected.layerCount = 1
            XCTAssertEqual(student.config, expected, variant)
            let layerSize = teacher.parameters(.all).filter { $0.name.hasPrefix("model.layers.0.") }.map(\.value.count)
            XCTAssertEqual(teacher.parameterCount - student.parameterCount, layerSize.reduce(0, +), variant)
        }
    }

    func testStudentWrittenAsHuggingFaceLoadsBackWithTheSameLogits() throws {
        let tokenizerDirectory = fixtureRoot.appendingPathComponent("tokenizer/smollm2")
        let tokenizer = try Tokenizer(directory: tokenizerDirectory)
        for variant in variants {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("afina-student-\(UUID())")
            defer { try? FileManager.default.removeItem(at: directory) }
            let student = try teacher(variant).keepingLayers([1])
            try student.writeHuggingFace(to: directory, tokenizer: tokenizer, tokenizerDirectory: tokenizerDirectory)
            let reloaded = try ModelLoader.load(directory.path, backend: backend)
            XCTAssertEqual(reloaded.info.layers, 1, variant)
            XCTAssertEqual(try logits(reloaded.model), try logits(student), variant)
            let names = try HFDirectory(url: directory).tensorNames
            XCTAssertEqual(names.contains("lm_head.weight"), !student.config.tieWordEmbeddings, variant)
        }
    }

    func testBadIndicesAndUnmergedAdaptersAreRefused() throws {
        let teacher = try teacher("llama")
        XCTAssertThrowsError(try teacher.keepingLayers([2])) { error in
            XCTAssertEqual(error as? LayerSelectionError, .outOfRange(2, layerCount: 2))
        }
        XCTAssertThrowsError(try teacher.keepingLayers([1, 0])) { error in
            XCTAssertEqual(error as? LayerSelectionError, .notAscending(0, after: 1))
        }
        let adapted = try fixtureLoRAModel(backend: backend)
        XCTAssertThrowsError(try adapted.keepingLayers([0]))
        XCTAssertEqual(try adapted.merged().keepingLayers([0]).config.layerCount, 1)
    }

    func testStudentsAreMadeThroughTheCapabilitiesAlone() throws {
        // As `afina student init` does: no concrete type, and adapters folded in first.
        let networks: [any LanguageModel] = [try teacher("llama"), try fixtureLoRAModel(backend: backend)]
        XCTAssertEqual(networks.map { ($0 as? any ExportableModel)?.hasAdapters }, [false, true])
        for network in networks {
            let model = try XCTUnwrap(network as? any LayerPrunableModel & ExportableModel)
            let student = try model.withAdaptersMerged().keepingLayers([0])
            XCTAssertEqual([model.layerCount, student.layerCount], [2, 1])
            XCTAssertFalse(student.hasAdapters)
            XCTAssertLessThan(student.parameterCount, model.parameterCount)
        }
        let plain = try teacher("llama")
        XCTAssertTrue(try plain.withAdaptersMerged() === plain, "a model without adapters is not copied")
    }
}
