// A real `afina train` process on SmolLM2, killed with SIGKILL after its first checkpoint
// and resumed with --resume, must write the same adapter, byte for byte, as a run that was
// never interrupted. Needs the built CLI (scripts/test.sh builds it) and the pulled model.
import Foundation
import XCTest

final class KillAndResumeTests: XCTestCase {
    func afina(_ arguments: [String]) throws -> Process {
        let process = try AfinaCLI.process(arguments)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    func testKilledRunResumesToTheSameAdapter() throws {
        let home = ProcessInfo.processInfo.environment["AFINA_CACHE"] ?? NSHomeDirectory() + "/.cache/afina"
        guard FileManager.default.fileExists(atPath: home + "/models/smollm2-135m-instruct") else {
            throw XCTSkip("run `afina pull smollm2-135m-instruct` first")
        }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("afina-kill-\(UUID())")
        defer { try? FileManager.default.removeItem(at: work) }
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let records = (0..<12).map { "{\"prompt\": \"Correct the spelling of this word: wrod\($0)\", \"completion\": \"word\($0)\"}" }
        try records.joined(separator: "\n").write(to: work.appendingPathComponent("train.jsonl"), atomically: true, encoding: .utf8)
        try """
            model: smollm2-135m-instruct
            method: lora
            data: {train: \(work.path)/train.jsonl, max_length: 64}
            lora: {rank: 2, alpha: 4, dropout: 0.1, targets: [q_proj, v_proj]}
            max_steps: 8
            batch_size: 2
            learning_rate: 1e-3
            save_every: 2
            output_dir: \(work.path)/run
            """.write(to: work.appendingPathComponent("config.yaml"), atomically: true, encoding: .utf8)
        let config = work.appendingPathComponent("config.yaml").path

        let whole = try afina(["train", config, "output_dir=\(work.path)/whole"])
        whole.waitUntilExit()
        XCTAssertEqual(whole.terminationStatus, 0)

        let killed = try afina(["train", config])
        let firstCheckpoint = work.appendingPathComponent("run/checkpoints/step-000002").path
        while !FileManager.default.fileExists(atPath: firstCheckpoint) && killed.isRunning { usleep(20_000) }
        kill(killed.processIdentifier, SIGKILL)
        killed.waitUntilExit()
        XCTAssertEqual(killed.terminationReason, .uncaughtSignal, "the run ended before it could be killed")

        let resumed = try afina(["train", "--resume", work.appendingPathComponent("run").path])
        resumed.waitUntilExit()
        XCTAssertEqual(resumed.terminationStatus, 0)
        let adapter = "adapter/adapter_model.safetensors"
        XCTAssertEqual(try Data(contentsOf: work.appendingPathComponent("run/" + adapter)),
                       try Data(contentsOf: work.appendingPathComponent("whole/" + adapter)))
        let metrics = try String(contentsOf: work.appendingPathComponent("run/metrics.jsonl"), encoding: .utf8)
        XCTAssertEqual(metrics.split(separator: "\n").count, 8, "one line per step, none repeated")
    }
}
