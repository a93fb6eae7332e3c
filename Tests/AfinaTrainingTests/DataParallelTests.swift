// Data-parallel training: `mpirun -np 2 afina train` must end with the weights of one process
// training on the same global batch (fp32, within 1e-5), for LoRA and full fine-tuning, and a
// run checkpointed with 2 ranks must resume in 1 to the weights of an unbroken run; a rank
// killed mid-run must end the job, whose checkpoint resumes to the unbroken bytes. Sharded
// generation (`distill generate`, `distill cache`, `eval`) must give one process's bytes. The
// model is the tiny Llama fixture with a small Unigram tokenizer and a plain chat template,
// so each run takes a second.
// Needs Open MPI's mpirun (scripts/install-deps.sh installs it; CI runs this with 2 ranks).
import AfinaModels
import AfinaTensor
import Foundation
import XCTest

final class DataParallelTests: XCTestCase {
    var work: URL!

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("afina-mpi-\(UUID())")
        let model = work.appendingPathComponent("model")
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        for (file, folder) in [("config.json", "models/llama"), ("model.safetensors", "models/llama"),
                               ("tokenizer.json", "tokenizer/spm-unigram")] {
            try FileManager.default.copyItem(at: fixtureRoot.appendingPathComponent("\(folder)/\(file)"),
                                             to: model.appendingPathComponent(file))
        }
        try #"{"chat_template": "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}"}"#
            .write(to: model.appendingPathComponent("tokenizer_config.json"), atomically: true, encoding: .utf8)
        // Texts of different lengths, so the two ranks' shares hold different token counts.
        let records = (0..<16).map { i in
            "{\"text\": \"the quick brown fox \(i) jumps over the lazy dog\(String(repeating: " and runs away", count: i % 4))\"}"
        }
        try records.joined(separator: "\n").write(to: work.appendingPathComponent("train.jsonl"), atomically: true, encoding: .utf8)
        // 5 rows per micro-batch: the ranks take 2 and 3. The constant rate lets a resumed run
        // be given more steps without changing the ones before.
        try """
            model: \(model.path)
            data: {train: \(work.path)/train.jsonl, validation_fraction: 0.2, max_length: 64}
            lora: {rank: 4, alpha: 8, dropout: 0, targets: [q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj]}
            max_steps: 3
            batch_size: 5
            grad_accum: 2
            learning_rate: 1e-2
            lr_schedule: constant
            eval_every: 1
            """.write(to: work.appendingPathComponent("config.yaml"), atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: work) }

    /// Open MPI's launcher, or a skip saying how to get it.
    func mpirun() throws -> URL {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            .map { URL(fileURLWithPath: String($0)).appendingPathComponent("mpirun") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
        guard let path else { throw XCTSkip("mpirun is not installed (apt-get install openmpi-bin libopenmpi-dev)") }
        return path
    }

    struct CommandFailed: Error, CustomStringConvertible { let description: String }

    /// Runs `afina arguments`, with `ranks` processes under mpirun when given, `threads` each
    /// when given; throws on a non-zero exit, with what it printed.
    func afina(_ arguments: [String], ranks: Int? = nil, threads: Int? = nil) throws {
        let process = try AfinaCLI.process(arguments)
        if let threads {
            process.environment = ProcessInfo.processInfo.environment.merging(["AFINA_THREADS": "\(threads)"]) { $1 }
        }
        if let ranks {
            process.arguments = ["--allow-run-as-root", "--oversubscribe", "-np", "\(ranks)", process.executableURL!.path]
                + arguments
            process.executableURL = try mpirun()
        }
        let output = Pipe()
        (process.standardOutput, process.standardError) = (output, output)
        try process.run()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CommandFailed(description: "afina \(arguments.joined(separator: " ")) exited with "
                + "\(process.terminationStatus):\n\(printed)")
        }
    }

    func train(_ run: String, _ overrides: [String], ranks: Int? = nil) throws {
        try afina(["train", work.appendingPathComponent("config.yaml").path, "output_dir=\(work.path)/\(run)"] + overrides,
                  ranks: ranks)
    }

    func assertSameWeights(_ a: String, _ b: String, within tolerance: Float = 1e-5,
                           file: StaticString = #filePath, line: UInt = #line) throws {
        let backend = CPUBackend()
        let (x, y) = try (TensorFiles.read(work.appendingPathComponent(a), backend: backend),
                          TensorFiles.read(work.appendingPathComponent(b), backend: backend))
        XCTAssertEqual(Set(x.keys), Set(y.keys), file: file, line: line)
        XCTAssertFalse(x.isEmpty, file: file, line: line)
        for (name, tensor) in x {
            let difference = zip(tensor.values, y[name]?.values ?? []).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThanOrEqual(difference, tolerance, "\(name)", file: file, line: line)
        }
    }

    /// The validation losses of a run, one per step.
    func validationLosses(_ run: String) throws -> [Double] {
        try String(contentsOf: work.appendingPathComponent("\(run)/metrics.jsonl"), encoding: .utf8)
            .split(separator: "\n").compactMap { line in
                try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            }.compactMap { $0["val_loss"] as? Double }
    }

    func testTwoRanksTrainLoRAToTheWeightsOfOneProcess() throws {
        _ = try mpirun()
        try train("one", ["method=lora"])
        try train("two", ["method=lora"], ranks: 2)
        try assertSameWeights("one/adapter/adapter_model.safetensors", "two/adapter/adapter_model.safetensors")
        let (one, two) = (try validationLosses("one"), try validationLosses("two"))
        XCTAssertEqual(one.count, 3)
        for (a, b) in zip(one, two) { XCTAssertEqual(a, b, accuracy: 1e-5 * a, "validation is sharded and summed") }
    }

    func testTwoRanksTrainEveryWeightToTheWeightsOfOneProcess() throws {
        _ = try mpirun()
        try train("one", ["method=full"])
        try train("two", ["method=full"], ranks: 2)
        try assertSameWeights("one/model/model.safetensors", "two/model/model.safetensors")
    }

    func testTwoRanksDistillFromTheTeacherAsOneProcess() throws {
        _ = try mpirun()
        let teacher = work.appendingPathComponent("model").path
        try afina(["distill", "cache", work.appendingPathComponent("config.yaml").path, "output_dir=\(work.path)/run",
                   "--teacher", teacher, "--top-k", "8", "--out", work.appendingPathComponent("teacher.kd").path])
        for source in ["distill.cache=\(work.path)/teacher.kd", "distill.teacher=\(teacher)"] {
            try train("one", ["method=lora", source])
            try train("two", ["method=lora", source], ranks: 2)
            try assertSameWeights("one/adapter/adapter_model.safetensors", "two/adapter/adapter_model.safetensors")
            for run in ["one", "two"] { try FileManager.default.removeItem(at: work.appendingPathComponent(run)) }
        }
    }

    func testACheckpointOfTwoRanksResumesInOneProcess() throws {
        _ = try mpirun()
        try train("whole", ["method=lora"])
        try train("run", ["method=lora", "max_steps=2"], ranks: 2)
        // Resume takes the run folder's config: extend it to the unbroken run's 3 steps.
        let config = work.appendingPathComponent("run/config.yaml")
        try String(contentsOf: config, encoding: .utf8).replacingOccurrences(of: "max_steps: 2", with: "max_steps: 3")
            .write(to: config, atomically: true, encoding: .utf8)
        try afina(["train", "--resume", work.appendingPathComponent("run").path])
        try assertSameWeights("whole/adapter/adapter_model.safetensors", "run/adapter/adapter_model.safetensors")
    }

    /// Prompts for the generation commands: 13, so batches of 3 leave the last round uneven.
    func writePrompts() throws -> String {
        let path = work.appendingPathComponent("prompts.jsonl").path
        let records = (0..<13).map { "{\"prompt\": \"the lazy dog \($0)\", \"reference\": \"the quick fox\"}" }
        try records.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func bytes(_ path: String) throws -> Data { try Data(contentsOf: work.appendingPathComponent(path)) }

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

    /// The process of rank `rank` of the job training into `runFolder`, found by its command
    /// line and the rank mpirun put in its environment.
    func rankProcess(_ rank: Int, training runFolder: String) -> pid_t? {
        let processes = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return processes.compactMap(pid_t.init).first { pid in
            let read = { (file: String) in (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/\(file)"))) ?? Data() }
            let commandLine = String(decoding: read("cmdline"), as: UTF8.self)
            let environment = read("environ").split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return commandLine.contains("output_dir=\(runFolder)") && commandLine.contains("train")
                && environment.contains("OMPI_COMM_WORLD_RANK=\(rank)")
        }
    }

    func testAKilledRankEndsTheJobAndItsCheckpointResumesToTheUnbrokenWeights() throws {
        let launcher = try mpirun()
        let steps = ["method=lora", "max_steps=300", "save_every=25", "eval_every=0"]
        try train("whole", steps, ranks: 2)

        let run = work.appendingPathComponent("run").path
        let job = Process()
        job.executableURL = launcher
        job.arguments = ["--allow-run-as-root", "--oversubscribe", "-np", "2", try AfinaCLI.process([]).executableURL!.path,
                         "train", work.appendingPathComponent("config.yaml").path, "output_dir=\(run)"] + steps
        let log = work.appendingPathComponent("job.log")  // a file: a full pipe would stall the job
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let output = try FileHandle(forWritingTo: log)
        (job.standardOutput, job.standardError) = (output, output)
        try job.run()
        while !FileManager.default.fileExists(atPath: run + "/checkpoints/step-000025") && job.isRunning { usleep(5_000) }
        guard let victim = rankProcess(1, training: run) else { return XCTFail("rank 1 was not found (the run ended first?)") }
        kill(victim, SIGKILL)
        let deadline = Date().addingTimeInterval(60)
        while job.isRunning && Date() < deadline { usleep(50_000) }
        XCTAssertFalse(job.isRunning, "the job still runs a minute after a rank was killed")
        if job.isRunning { job.terminate() }
        let printed = try String(contentsOf: log, encoding: .utf8)
        XCTAssertNotEqual(job.terminationStatus, 0)
        XCTAssertTrue(printed.contains("process rank 1"), printed)
        XCTAssertFalse(FileManager.default.fileExists(atPath: run + "/adapter"), "the run ended before it could be killed")

        try afina(["train", "--resume", run], ranks: 2)
        XCTAssertEqual(try bytes("run/adapter/adapter_model.safetensors"), try bytes("whole/adapter/adapter_model.safetensors"))
    }

    func testUnderMpirunAnMPILibraryThatDoesNotLoadIsNamed() throws {
        let process = try AfinaCLI.process(["train", work.appendingPathComponent("config.yaml").path,
                                            "output_dir=\(work.path)/run"])
        process.environment = ProcessInfo.processInfo.environment.merging(
            ["OMPI_COMM_WORLD_SIZE": "2", "AFINA_MPI_LIBRARY": "libmpi-missing.so.40"]) { $1 }
        let output = Pipe()
        (process.standardOutput, process.standardError) = (output, output)
        try process.run()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertNotEqual(process.terminationStatus, 0)
        XCTAssertTrue(printed.contains("runs under mpirun but cannot load the MPI library libmpi-missing.so.40"), printed)
    }
}
