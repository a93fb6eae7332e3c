// metrics.jsonl: lines written through, read back, reopened for append, cut back on resume.
import Foundation
import XCTest
@testable import AfinaTraining

final class MetricsLogTests: XCTestCase {
    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("afina-metrics-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func testRecordsAreWrittenOneJSONObjectPerLineAndReadBack() throws {
        let run = try temporaryDirectory()
        let log = try MetricsLog(directory: run)
        let records = [MetricsRecord(step: 1, split: .train, loss: 2.5, learningRate: 2e-4, tokensPerSecond: 812),
                       MetricsRecord(step: 2, split: .validation, loss: 2.25),
                       MetricsRecord(step: 3, split: .train, loss: .nan)]
        for r in records { try log.append(r) }
        let lines = try String(contentsOf: log.url, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 3, "each append is on disk at once")
        XCTAssertTrue(lines[1].contains("\"val_loss\":2.25") && !lines[1].contains("\"loss\""))
        XCTAssertTrue(lines[0].contains("\"tokens_per_second\":812"))
        let back = try MetricsLog.read(log.url)
        XCTAssertEqual(Array(back.prefix(2)), Array(records.prefix(2)))
        XCTAssertTrue(back[2].loss.isNaN, "a diverged loss survives the round trip")
    }

    func testReopeningAppendsAndTruncateDropsStepsAfterTheCheckpoint() throws {
        let run = try temporaryDirectory()
        do {
            let log = try MetricsLog(directory: run)
            for step in 1...5 { try log.append(MetricsRecord(step: step, split: .train, loss: Double(step))) }
        }
        // An interrupted write leaves half a line; resuming from the step-3 checkpoint.
        let handle = try FileHandle(forWritingTo: run.appendingPathComponent("metrics.jsonl"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"step\":6,\"lo".utf8))
        try handle.close()
        let log = try MetricsLog(directory: run)
        try log.truncate(after: 3)
        try log.append(MetricsRecord(step: 4, split: .train, loss: 0.5))
        XCTAssertEqual(try MetricsLog.read(log.url).map(\.step), [1, 2, 3, 4])
        XCTAssertEqual(try MetricsLog.read(log.url).last?.loss, 0.5)
    }

    func testAMalformedLineInTheMiddleIsReportedWithItsLineNumber() throws {
        let url = try temporaryDirectory().appendingPathComponent("metrics.jsonl")
        try Data("{\"step\":1,\"loss\":1}\nnot json\n{\"step\":3,\"loss\":1}\n".utf8).write(to: url)
        XCTAssertThrowsError(try MetricsLog.read(url)) { error in
            XCTAssertTrue("\(error)".hasPrefix(url.path + ":2: "), "\(error)")
        }
    }
}
