// SentencePiece tokenizers against scripts/make_sentencepiece_fixtures.py: tiny BPE (byte
// fallback, every Metaspace prepend scheme, Llama 2's Prepend + Replace normalizer, Gemma's
// Replace + Split) and Unigram tokenizer.json files, and Gemma 3 270M's GGUF (skipped where the
// file is absent) against the ids transformers gives from the same GGUF; then hand-written GGUF
// metadata for score-ordered merges and the errors.
import AfinaFormats
@testable import AfinaTokenizers
import Foundation
import XCTest

final class SentencePieceTests: XCTestCase {
    private struct Case: Decodable {
        var text: String
        var ids: [Int32]
        var idsWithoutSpecial: [Int32]
        var decoded: String
        var decodedSkipSpecial: String

        enum CodingKeys: String, CodingKey {
            case text, ids, decoded
            case idsWithoutSpecial = "ids_without_special", decodedSkipSpecial = "decoded_skip_special"
        }
    }

    private struct Expected: Decodable {
        var gguf: String?
        var cases: [Case]
    }

    private func expected(_ folder: String) throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: Fixtures.folder.appendingPathComponent("\(folder)/expected.json")))
    }

    private let tinyModels = ["spm-metaspace-first", "spm-metaspace-always-split", "spm-metaspace-never", "spm-prepend-replace",
                              "spm-gemma", "spm-unknown", "spm-unigram", "spm-unigram-bytes", "spm-equivalent", "t5", "spm-precompiled"]

    func testTinyTokenizersGiveTheSameIdsAndTextAsTokenizers() throws {
        for model in tinyModels {
            let tokenizer = try Tokenizer(directory: Fixtures.folder.appendingPathComponent(model))
            for c in try expected(model).cases {
                XCTAssertEqual(tokenizer.encode(c.text), c.ids, "\(model): \(c.text.debugDescription)")
                XCTAssertEqual(tokenizer.encode(c.text, addSpecial: false), c.idsWithoutSpecial, "\(model): \(c.text.debugDescription)")
                XCTAssertEqual(tokenizer.decode(c.ids), c.decoded, "\(model): \(c.text.debugDescription)")
                XCTAssertEqual(tokenizer.decode(c.ids, skipSpecial: true), c.decodedSkipSpecial, "\(model): \(c.text.debugDescription)")
            }
        }
    }

    func testStreamingDecodingGivesWhatDecodeGives() throws {
        for model in ["spm-metaspace-first", "spm-unigram-bytes"] {
            let tokenizer = try Tokenizer(directory: Fixtures.folder.appendingPathComponent(model))
            for c in try expected(model).cases {
                var stream = StreamingDecoder(tokenizer: tokenizer)
                XCTAssertEqual(c.ids.map { stream.next($0) }.joined() + stream.finish(), c.decoded, model)
            }
        }
    }

    // MARK: Gemma 3 GGUF

    /// Gemma 3 270M's GGUF: $AFINA_GEMMA_GGUF, /tmp/gemma, or any folder of the model cache.
    private func gemmaGGUF(_ name: String) -> URL? {
        let environment = ProcessInfo.processInfo.environment
        let cache = environment["AFINA_CACHE"].map(URL.init(fileURLWithPath:))
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/afina")
        let models = cache.appendingPathComponent("models")
        let cached = (try? FileManager.default.contentsOfDirectory(atPath: models.path))?.map {
            models.appendingPathComponent("\($0)/\(name)")
        } ?? []
        let candidates = [environment["AFINA_GEMMA_GGUF"].map(URL.init(fileURLWithPath:)), URL(fileURLWithPath: "/tmp/gemma/\(name)")]
            .compactMap { $0 } + cached
        return candidates.first { FileManager.default.fileExists(atPath: $0.path) }
    }

    func testGemmaGGUFGivesTheSameIdsAsTransformersFromTheSameFile() throws {
        let fixture = try expected("gemma3")
        guard let url = gemmaGGUF(fixture.gguf!) else {
            throw XCTSkip("\(fixture.gguf!) not found (set AFINA_GEMMA_GGUF, or see scripts/make_sentencepiece_fixtures.py)")
        }
        let tokenizer = try Tokenizer(gguf: try GGUFFile(url: url))
        XCTAssertEqual([tokenizer.bosID, tokenizer.eosID, tokenizer.unknownID, tokenizer.padID], [2, 1, 3, 0])
        XCTAssertTrue(tokenizer.addBOS)
        XCTAssertEqual(tokenizer.vocabularySize, 262_144)
        // Where transformers and llama.cpp differ, ids here are llama.cpp's. The GGUF spells the
        // user-defined space tokens (ids 138-167) with real spaces; llama.cpp matches them whole
        // in the text, longest first, while transformers respells them "▁▁..." and merges them
        // like any piece. So a run of 40 spaces is 31 + 9 here and 16 + 24 in transformers, and a
        // literal "▁" between spaces stays "▁" "▁" "▁literal" here where transformers makes "▁▁▁".
        let divergences: [(transformers: [Int32], here: [Int32])] = [([152, 160], [167, 145]), ([139, 82951], [236743, 236743, 37087])]
        for c in fixture.cases {
            var expected = c.ids
            for (theirs, ours) in divergences {
                if let range = expected.firstRange(of: theirs) { expected.replaceSubrange(range, with: ours) }
            }
            XCTAssertEqual(tokenizer.encode(c.text), expected, c.text.debugDescription)
            XCTAssertEqual(tokenizer.decode(c.ids), c.decoded, c.text.debugDescription)
            XCTAssertEqual(tokenizer.decode(c.ids, skipSpecial: true), c.decodedSkipSpecial, c.text.debugDescription)
        }
    }

    /// The GGUF's tokenizer written as tokenizer.json (what `afina export --to hf` does for a
    /// GGUF source) reads back to the same 262,144 tokens, byte for byte (the vocabulary holds
    /// canonically equivalent pieces), and to the same ids and text; scripts/check_export.py
    /// checks that transformers reads the same file to the same ids.
    func testGemmaTokenizerWrittenAsTokenizerJSONReadsBackTheSame() throws {
        let fixture = try expected("gemma3")
        guard let url = gemmaGGUF(fixture.gguf!) else { throw XCTSkip("\(fixture.gguf!) not found (set AFINA_GEMMA_GGUF)") }
        let metadata = try GGUFTokenizerMetadata(metadata: try GGUFFile(url: url).metadata, source: url.path)
        let gguf = try Tokenizer(ggufMetadata: metadata)
        let files = try metadata.huggingFaceFiles(chatTemplate: nil)
        let json = try Tokenizer(tokenizerJSON: try XCTUnwrap(files["tokenizer.json"]), config: files["tokenizer_config.json"])
        XCTAssertEqual(json.vocabularySize, gguf.vocabularySize)
        let respelled = (0..<Int32(gguf.vocabularySize)).filter { id in
            json.token(for: id).map { Array($0.utf8) } != gguf.token(for: id).map { Array($0.utf8) }
        }
        XCTAssertEqual(respelled, [], "tokens spelled differently after the round trip")
        XCTAssertEqual([json.bosID, json.eosID, json.unknownID, json.padID], [gguf.bosID, gguf.eosID, gguf.unknownID, gguf.padID])
        for c in fixture.cases {
            XCTAssertEqual(json.encode(c.text), gguf.encode(c.text), c.text.debugDescription)
            XCTAssertEqual(json.decode(c.ids), gguf.decode(c.ids), c.text.debugDescription)
            XCTAssertEqual(json.decode(c.ids, skipSpecial: true), gguf.decode(c.ids, skipSpecial: true), c.text.debugDescription)
        }
    }

    /// Keys come out as written: escapes resolved, surrogate pairs joined, canonically
    /// equivalent spellings kept apart, whatever comes before `model` skipped.
    func testVocabularyKeysAreReadExactlyAsWritten() throws {
        let text = #"{"added_tokens": [{"content": "}{", "id": 9}], "model" : {"merges": [["a", "b"]], "vocab": "#
            + #"{"\u00e9": 0, "e\u0301": 1, "\ud83d\ude00": 2, "\"q\\": 3, "\t" : 4, "é": 5}}}"#
        let pairs = try XCTUnwrap(ExactVocabulary.pairs(in: Data(text.utf8)))
        XCTAssertEqual(pairs.map { Array($0.token.unicodeScalars) },
                       [["\u{E9}"], ["e", "\u{301}"], ["\u{1F600}"], ["\"", "q", "\\"], ["\t"], ["\u{E9}"]])
        XCTAssertEqual(pairs.map(\.id), [0, 1, 2, 3, 4, 5])
        XCTAssertNil(ExactVocabulary.pairs(in: Data(#"{"model": {"vocab": [["a", 0.5]]}}"#.utf8)), "a Unigram vocabulary is a list")
        XCTAssertNil(ExactVocabulary.pairs(in: Data(#"{"model": {"vocab": {"a": 1"#.utf8)), "cut short")
    }

    // MARK: Hand-written GGUF metadata

    /// "a" "b" "c" "ab" "bc" "▁" "▁a", the byte tokens of "é", <unk> <s> </s> and a user-defined "<x>".
    private func metadata(scores: [Float] = [0, 0, 0, -1, -2, 0, -3, 0, 0, 0, 0, 0, 0], spacePrefix: Bool? = nil) -> GGUFTokenizerMetadata {
        GGUFTokenizerMetadata(model: "llama", pre: nil,
                              tokens: ["a", "b", "c", "ab", "bc", "\u{2581}", "\u{2581}a", "<0xC3>", "<0xA9>", "<unk>", "<s>", "</s>", "<x>"],
                              tokenTypes: [1, 1, 1, 1, 1, 1, 1, 6, 6, 2, 3, 3, 4], scores: scores,
                              bosID: 10, eosID: 11, unknownID: 9, addSpacePrefix: spacePrefix)
    }

    func testHigherScoringPieceMergesFirst() throws {
        XCTAssertEqual(try Tokenizer(ggufMetadata: metadata(spacePrefix: false)).encode("abc"), [10, 3, 2])
        var scores = metadata().scores
        scores[4] = 0.5
        XCTAssertEqual(try Tokenizer(ggufMetadata: metadata(scores: scores, spacePrefix: false)).encode("abc"), [10, 0, 4])
    }

    func testSpacePrefixByteFallbackAndUserDefinedTokens() throws {
        let tokenizer = try Tokenizer(ggufMetadata: metadata())
        XCTAssertEqual(tokenizer.encode("a é<x>a"), [10, 6, 5, 7, 8, 12, 0], "'▁' before the input only, as transformers")
        XCTAssertEqual(tokenizer.decode([10, 6, 5, 7, 8, 12, 0], skipSpecial: true), "a é<x>a")
        XCTAssertEqual(tokenizer.encode("z", addSpecial: false), [5, 9], "no byte tokens for 'z': unknown")
    }

    /// What an export writes reads back to the same tokenizer: scores and the space-prefix flag
    /// travel, and a SentencePiece tokenizer gets no merge list (a byte-level one keeps it).
    func testExportedMetadataReadsBackToTheSameTokenizer() throws {
        for spacePrefix in [true, false] {
            let written = metadata(spacePrefix: spacePrefix)
            let pairs = written.ggufMetadata
            XCTAssertFalse(pairs.contains { $0.key == "tokenizer.ggml.merges" })
            let read = try GGUFTokenizerMetadata(metadata: Dictionary(uniqueKeysWithValues: pairs.map { ($0.key, $0.value) }),
                                                 source: "exported.gguf")
            XCTAssertEqual(read.scores, written.scores)
            XCTAssertEqual(read.addSpacePrefix, spacePrefix)
            let (original, reread) = (try Tokenizer(ggufMetadata: written), try Tokenizer(ggufMetadata: read))
            // Written as tokenizer.json too (Llama 2's space prefix and Gemma's none).
            let files = try written.huggingFaceFiles(chatTemplate: nil)
            let json = try Tokenizer(tokenizerJSON: try XCTUnwrap(files["tokenizer.json"]), config: files["tokenizer_config.json"])
            for text in ["a é<x>a", "abc bc", "z", " ab  c"] {
                XCTAssertEqual(reread.encode(text), original.encode(text), text)
                XCTAssertEqual(json.encode(text), original.encode(text), "tokenizer.json, space prefix \(spacePrefix): \(text)")
                XCTAssertEqual(json.decode(original.encode(text), skipSpecial: true), original.decode(original.encode(text), skipSpecial: true))
            }
        }
        let bpe = GGUFTokenizerMetadata(model: "gpt2", pre: "gpt-2", tokens: ["a", "b", "ab"], merges: ["a b"])
        XCTAssertTrue(bpe.ggufMetadata.contains { $0.key == "tokenizer.ggml.merges" })
        XCTAssertFalse(bpe.ggufMetadata.contains { $0.key == "tokenizer.ggml.scores" })
    }

    func testMissingScoresAndIdsPastTheVocabularyAreNamed() {
        XCTAssertThrowsError(try Tokenizer(ggufMetadata: metadata(scores: []), source: "g.gguf")) { error in
            XCTAssertEqual(error as? TokenizerError, .missing(source: "g.gguf", key: "tokenizer.ggml.scores"))
        }
        XCTAssertThrowsError(try Tokenizer(ggufMetadata: metadata(scores: [0, 1]), source: "g.gguf")) { error in
            XCTAssertTrue("\(error)".contains("g.gguf: tokenizer.ggml.scores has 2 entries for 13 tokens"), "\(error)")
        }
        var m = metadata()
        m.bosID = 13
        XCTAssertThrowsError(try Tokenizer(ggufMetadata: m, source: "g.gguf")) { error in
            XCTAssertTrue("\(error)".contains("g.gguf: tokenizer.ggml.bos_token_id is 13, past the 13 tokens"), "\(error)")
        }
    }

    // MARK: Unsupported tokenizer.json pipelines

    private func loadError(editing model: String, _ edit: (inout [String: Any]) -> Void) throws -> String {
        var json = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(contentsOf: Fixtures.folder.appendingPathComponent("\(model)/tokenizer.json"))) as? [String: Any])
        edit(&json)
        do {
            _ = try Tokenizer(tokenizerJSON: try JSONSerialization.data(withJSONObject: json), source: "t.json")
            return "loaded"
        } catch {
            return "\(error)"
        }
    }

    func testBrokenPrecompiledCharsmapsAndUnknownNormalizersAreNamed() throws {
        func error(_ normalizer: [String: Any]) throws -> String {
            try loadError(editing: "t5") { $0["normalizer"] = normalizer }
        }
        // 3 bytes; a header claiming 256 trie bytes with 4 present; not base64; no charsmap.
        XCTAssertTrue(try error(["type": "Precompiled", "precompiled_charsmap": "AAAA"])
            .contains("t.json: normalizer Precompiled: precompiled_charsmap is 3 bytes"))
        let claims = try error(["type": "Precompiled", "precompiled_charsmap": Data([0, 1, 0, 0, 1, 2, 3, 4]).base64EncodedString()])
        XCTAssertTrue(claims.contains("says its trie has 256 bytes"), claims)
        XCTAssertTrue(try error(["type": "Precompiled", "precompiled_charsmap": "not base64!"]).contains("is not base64"))
        XCTAssertTrue(try error(["type": "Precompiled"]).contains("normalizer.precompiled_charsmap"))
        let invalid = try error(["type": "Precompiled", "precompiled_charsmap": Data([0, 0, 0, 0, 0xFF, 0xFE]).base64EncodedString()])
        XCTAssertTrue(invalid.contains("not UTF-8"), invalid)
        let unknown = try error(["type": "Sequence", "normalizers": [["type": "NFKC"]]])
        XCTAssertTrue(unknown.contains("t.json: unsupported normalizer NFKC"), unknown)
    }

    /// The T5 charsmap maps full-width letters, ligatures and circled digits (nmt_nfkc): a
    /// tokenizer without it gives other ids, so the fixture comparison above depends on it.
    func testPrecompiledCharsmapIsWhatMakesT5sIdsMatch() throws {
        let text = "full-width ＡＢＣ and ligature ﬁ, ① ②"
        let t5 = try Tokenizer(directory: Fixtures.folder.appendingPathComponent("t5"))
        let expected = try XCTUnwrap(try expected("t5").cases.first { $0.text.hasPrefix("full-width") })
        XCTAssertEqual(t5.encode(expected.text), expected.ids)
        let plain = try Tokenizer(tokenizerJSON: try JSONSerialization.data(withJSONObject: {
            var json = try XCTUnwrap(JSONSerialization.jsonObject(
                with: Data(contentsOf: Fixtures.folder.appendingPathComponent("t5/tokenizer.json"))) as? [String: Any])
            json["normalizer"] = NSNull()
            return json
        }()), source: "t.json")
        XCTAssertNotEqual(plain.encode(text), t5.encode(text))
    }

    func testUnknownPrependSchemeAndDecoderAreRejected() throws {
        let scheme = try loadError(editing: "spm-metaspace-first") {
            $0["pre_tokenizer"] = ["type": "Metaspace", "replacement": "\u{2581}", "prepend_scheme": "sometimes", "split": false]
        }
        XCTAssertTrue(scheme.contains("prepend_scheme 'sometimes'"), scheme)
        let decoder = try loadError(editing: "spm-metaspace-first") { $0["decoder"] = ["type": "ByteLevel"] }
        XCTAssertTrue(decoder.contains("t.json: unsupported decoder ByteLevel for a SentencePiece model"), decoder)
    }
}
