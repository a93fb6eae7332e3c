// The training progress line on stderr:
//   step 12/300 [#####.....] loss 1.234 | 812 tok/s | ETA 3m12s
// redrawn in place on a terminal, printed every `log_every` steps into logs and pipes.
import Foundation

/// Progress of a run of `totalSteps` optimizer steps.
public struct ProgressBar {
    public let totalSteps: Int
    /// Redraw one line with a carriage return (a terminal) or print lines (a log file).
    public let redraws: Bool
    public let logEvery: Int
    public let barWidth: Int
    private let write: (String) -> Void
    private var drewLine = false

    /// Writes to stderr, redrawing in place when stderr is a terminal.
    public init(totalSteps: Int, logEvery: Int = 1, barWidth: Int = 10,
                redraws: Bool = isatty(STDERR_FILENO) != 0,
                write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.totalSteps = totalSteps
        self.logEvery = max(logEvery, 1)
        self.barWidth = barWidth
        self.redraws = redraws
        self.write = write
    }

    /// Shows `step` (1-based) after `elapsedSeconds` since the run (or resume) started at
    /// `firstStep`; the ETA assumes the remaining steps take as long as the ones done.
    public mutating func update(step: Int, loss: Double, tokensPerSecond: Double, elapsedSeconds: Double,
                                firstStep: Int = 1) {
        let eta = Self.remainingSeconds(elapsed: elapsedSeconds, done: step - firstStep + 1, left: totalSteps - step)
        let text = line(step: step, loss: loss, tokensPerSecond: tokensPerSecond, etaSeconds: eta)
        if redraws {
            write("\r" + text + "\u{1B}[K")
            drewLine = true
        } else if step % logEvery == 0 || step == totalSteps {
            write(text + "\n")
        }
    }

    /// Ends the redrawn line so that later output starts on a fresh one.
    public mutating func finish() {
        if drewLine { write("\n") }
        drewLine = false
    }

    /// `step 12/300 [#####.....] loss 1.234 | 812 tok/s | ETA 3m12s`
    public func line(step: Int, loss: Double, tokensPerSecond: Double, etaSeconds: Double?) -> String {
        let filled = totalSteps > 0 ? min(barWidth, barWidth * max(step, 0) / totalSteps) : barWidth
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: barWidth - filled)
        let eta = etaSeconds.map(Self.formatDuration) ?? "--"
        return "step \(step)/\(totalSteps) [\(bar)] loss \(String(format: "%.3f", loss)) | "
            + "\(Int(tokensPerSecond.isFinite ? tokensPerSecond.rounded() : 0)) tok/s | ETA \(eta)"
    }

    /// Seconds for `left` more steps at the pace of `done` steps in `elapsed` seconds; nil
    /// before the first step.
    public static func remainingSeconds(elapsed: Double, done: Int, left: Int) -> Double? {
        guard done > 0, elapsed.isFinite, elapsed >= 0 else { return nil }
        return elapsed / Double(done) * Double(max(left, 0))
    }

    /// `42s`, `3m12s`, `2h05m`; `--` for a negative or non-finite duration.
    public static func formatDuration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "--" }
        let total = Int(seconds.rounded())
        let (h, m, s) = (total / 3600, total / 60 % 60, total % 60)
        if h > 0 { return "\(h)h" + String(format: "%02dm", m) }
        if m > 0 { return "\(m)m" + String(format: "%02ds", s) }
        return "\(s)s"
    }
}
