// Data-parallel training: `mpirun -np 2 afina train` must end with the weights of one process
// training on the same global batch (fp32, within 1e-5), for LoRA and full fine-tuning, also
// distilling; a run checkpointed with 2 ranks must resume in 1 to the weights of an unbroken
// run; a rank killed mid-run must end the job, whose checkpoint resumes to the unbroken bytes.
import AfinaModels
import AfinaTensor
import Foundation
import XCTest

final class DataParallelTrainingTests: MPIRunTestCase {
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

    /// SGD, whose update is linear in the summed gradient: a wrong scale or a lost share shows
    /// at once (AdamW divides the scale away, and where a gradient element is a sum that nearly
    /// cancels it turns the ranks' other summation order into differences of 1e-5 after three
    /// steps on the AMD EPYC; SGD ends within 3e-8 of one process there).
    func testTwoRanksTrainEveryWeightToTheWeightsOfOneProcess() throws {
        _ = try mpirun()
        try train("one", ["method=full", "optimizer=sgd"])
        try train("two", ["method=full", "optimizer=sgd"], ranks: 2)
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
        job.arguments = Self.containerOptions + ["-np", "2", try AfinaCLI.process([]).executableURL!.path,
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
