// What the MPI tests share: a run folder with the tiny Llama fixture given a small Unigram
// tokenizer and a plain chat template (so each command takes about a second), 16 text records
// and a training config, and ways to run `afina` alone or under Open MPI's mpirun.
// Needs mpirun (scripts/install-deps.sh installs it; CI runs these with 2 ranks on 2 cores);
// each test is skipped, saying so, only where it is absent.
import Foundation
import XCTest

class MPIRunTestCase: XCTestCase {
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

    /// mpirun's options for a container, where the tests may run as root with more ranks than
    /// cores, and where Docker's default seccomp profile forbids the cross-memory attach that
    /// Open MPI's shared-memory transport would use for large messages.
    static let containerOptions = ["--allow-run-as-root", "--oversubscribe", "--mca", "btl_vader_single_copy_mechanism", "none"]

    struct CommandFailed: Error, CustomStringConvertible { let description: String }

    /// Runs `afina arguments`, with `ranks` processes under mpirun when given, `threads` each
    /// when given; throws on a non-zero exit, with what it printed.
    func afina(_ arguments: [String], ranks: Int? = nil, threads: Int? = nil) throws {
        let process = try AfinaCLI.process(arguments)
        if let threads {
            process.environment = ProcessInfo.processInfo.environment.merging(["AFINA_THREADS": "\(threads)"]) { $1 }
        }
        if let ranks {
            process.arguments = Self.containerOptions + ["-np", "\(ranks)", process.executableURL!.path]
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

    func bytes(_ path: String) throws -> Data { try Data(contentsOf: work.appendingPathComponent(path)) }
}
