// The progress line: its text, the ETA, and redraw versus one line per log_every.
import XCTest
@testable import AfinaTraining

final class ProgressBarTests: XCTestCase {
    func testLineShowsStepBarLossSpeedAndETA() {
        let bar = ProgressBar(totalSteps: 300, redraws: false, write: { _ in })
        XCTAssertEqual(bar.line(step: 150, loss: 1.2344, tokensPerSecond: 811.6, etaSeconds: 192),
                       "step 150/300 [#####.....] loss 1.234 | 812 tok/s | ETA 3m12s")
        XCTAssertEqual(bar.line(step: 0, loss: 9, tokensPerSecond: 0, etaSeconds: nil),
                       "step 0/300 [..........] loss 9.000 | 0 tok/s | ETA --")
    }

    func testDurationsFormatAsSecondsMinutesOrHours() {
        XCTAssertEqual(ProgressBar.formatDuration(0), "0s")
        XCTAssertEqual(ProgressBar.formatDuration(59.4), "59s")
        XCTAssertEqual(ProgressBar.formatDuration(192), "3m12s")
        XCTAssertEqual(ProgressBar.formatDuration(7500), "2h05m")
        XCTAssertEqual(ProgressBar.formatDuration(-1), "--")
        XCTAssertEqual(ProgressBar.formatDuration(.infinity), "--")
    }

    func testRemainingTimeExtrapolatesThePaceSinceTheFirstStep() {
        XCTAssertEqual(ProgressBar.remainingSeconds(elapsed: 10, done: 5, left: 20), 40)
        XCTAssertNil(ProgressBar.remainingSeconds(elapsed: 10, done: 0, left: 20))
    }

    func testTerminalRedrawsInPlaceAndLogsPrintEveryLogEverySteps() {
        var written: [String] = []
        var terminal = ProgressBar(totalSteps: 5, redraws: true, write: { written.append($0) })
        for step in 1...5 { terminal.update(step: step, loss: 1, tokensPerSecond: 1, elapsedSeconds: Double(step)) }
        terminal.finish()
        XCTAssertEqual(written.count, 6)
        XCTAssertTrue(written.dropLast().allSatisfy { $0.hasPrefix("\r") && !$0.contains("\n") })
        XCTAssertEqual(written.last, "\n")

        written = []
        var log = ProgressBar(totalSteps: 5, logEvery: 2, redraws: false, write: { written.append($0) })
        for step in 1...5 { log.update(step: step, loss: 1, tokensPerSecond: 1, elapsedSeconds: Double(step)) }
        log.finish()
        XCTAssertEqual(written.map { $0.split(separator: " ")[1] }, ["2/5", "4/5", "5/5"])
        XCTAssertTrue(written.allSatisfy { $0.hasSuffix("\n") })
    }
}
