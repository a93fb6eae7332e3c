// Sharded generation: `distill generate`, `distill cache` and `eval` under `mpirun -np 2` must
// write what one process writes, byte for byte.
import Foundation
import XCTest

final class ShardedGenerationTests: MPIRunTestCase {
    /// Prompts for the generation commands: 13, so batches of 3 leave the last round uneven.
    func writePrompts() throws -> String {
        let path = work.appendingPathComponent("prompts.jsonl").path
        let records = (0..<13).map { "{\"prompt\": \"the lazy dog \($0)\", \"reference\": \"the quick fox\"}" }
        try records.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Runs `arguments` in one process, then under mpirun with 2 ranks, each with one thread:
    /// the kernels' sums split by thread, so only equal threads per process give equal bytes.
    func runAloneAndInTwoRanks(_ arguments: (_ run: String) -> [String]) throws {
        try afina(arguments("one"), threads: 1)
        try afina(arguments("two"), ranks: 2, threads: 1)
    }

    func testTwoRanksGenerateTheDistillationFileOfOneProcess() throws {
        _ = try mpirun()
        let prompts = try writePrompts()
        try runAloneAndInTwoRanks { run in
            ["distill", "generate", "--teacher", work.appendingPathComponent("model").path, "--prompts", prompts,
             "--out", work.appendingPathComponent("\(run).jsonl").path, "--batch-size", "3", "--max-tokens", "6",
             "--temperature", "1", "--samples", "2", "--keep-truncated"]
        }
        XCTAssertGreaterThan(try bytes("one.jsonl").count, 0)
        XCTAssertEqual(try bytes("one.jsonl"), try bytes("two.jsonl"))
        XCTAssertEqual(try bytes("one.jsonl.progress.json"), try bytes("two.jsonl.progress.json"))
    }

    func testTwoRanksCacheTheTeacherOfOneProcess() throws {
        _ = try mpirun()
        // Enough examples for several passes of 2048 tokens, so both ranks score some.
        let records = (0..<150).map { "{\"text\": \"the quick brown fox \($0) jumps over the lazy dog again and again\"}" }
        try records.joined(separator: "\n").write(to: work.appendingPathComponent("many.jsonl"), atomically: true, encoding: .utf8)
        try runAloneAndInTwoRanks { run in
            ["distill", "cache", work.appendingPathComponent("config.yaml").path, "data.train=\(work.path)/many.jsonl",
             "output_dir=\(work.path)/run", "--teacher", work.appendingPathComponent("model").path, "--top-k", "4",
             "--out", work.appendingPathComponent("\(run).kd").path]
        }
        XCTAssertEqual(try bytes("one.kd"), try bytes("two.kd"))
    }

    func testTwoRanksEvaluateAsOneProcess() throws {
        _ = try mpirun()
        let prompts = try writePrompts()
        try "the quick brown fox jumps over the lazy dog\n".write(to: work.appendingPathComponent("text.txt"), atomically: true,
                                                                   encoding: .utf8)
        try runAloneAndInTwoRanks { run in
            ["eval", "--models", work.appendingPathComponent("model").path, "--task", prompts, "--batch-size", "3",
             "--max-tokens", "6", "--perplexity", work.appendingPathComponent("text.txt").path,
             "--out-dir", work.appendingPathComponent(run).path]
        }
        // Everything but speed and memory, which differ from run to run anyway.
        func report(_ run: String) throws -> NSDictionary {
            let json = try JSONSerialization.jsonObject(with: bytes("\(run)/eval.json"))
            func withoutTimings(_ value: Any) -> Any {
                if let dictionary = value as? [String: Any] {
                    return dictionary.filter { !["tokens_per_second", "peak_rss_bytes"].contains($0.key) }
                        .mapValues(withoutTimings)
                }
                if let array = value as? [Any] { return array.map(withoutTimings) }
                return value
            }
            return withoutTimings(json) as! NSDictionary
        }
        XCTAssertEqual(try report("one"), try report("two"))
        XCTAssertTrue(try String(decoding: bytes("one/eval.json"), as: UTF8.self).contains("perplexity"))
    }
}
