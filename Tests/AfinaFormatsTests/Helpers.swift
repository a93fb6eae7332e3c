// Shared by the format tests: fixture paths, scratch directories, and error checks.
import Foundation
import XCTest
@testable import AfinaFormats

let formatFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../Fixtures/formats").standardized

/// A fresh directory under the system's temporary directory, removed by `removeScratch`.
func makeScratchDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("afina-formats-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Asserts that `body` throws a `FormatError` whose description names `file` and contains
/// every piece of `expected`.
func assertFormatError<T>(_ body: @autoclosure () throws -> T, names file: URL, _ expected: String...,
                          context: String = "", sourceFile: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try body()
        XCTFail("no error \(context)", file: sourceFile, line: line)
    } catch let error as FormatError {
        let text = error.description
        XCTAssertTrue(text.contains(file.lastPathComponent), "error does not name the file \(context): \(text)",
                      file: sourceFile, line: line)
        for piece in expected {
            XCTAssertTrue(text.contains(piece), "'\(piece)' missing \(context): \(text)", file: sourceFile, line: line)
        }
    } catch {
        XCTFail("not a FormatError \(context): \(error)", file: sourceFile, line: line)
    }
}

extension Array where Element == UInt8 {
    /// Overwrites bytes at `offset` with the little-endian bytes of `value`.
    mutating func patch<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        Swift.withUnsafeBytes(of: value.littleEndian) { replaceSubrange(offset..<offset + $0.count, with: $0) }
    }

    /// The offset just past the first occurrence of `text` (a GGUF key or tensor name).
    func offset(after text: String) -> Int? {
        let needle = Array(text.utf8)
        guard count >= needle.count else { return nil }
        for i in 0...(count - needle.count) where self[i..<i + needle.count].elementsEqual(needle) {
            return i + needle.count
        }
        return nil
    }
}
