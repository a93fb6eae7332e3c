// TrainingConfig: defaults, overrides over the file, rejected keys and values, and the
// resolved YAML decoding back to the same config.
import AfinaTensor
import XCTest
@testable import AfinaTraining

final class TrainingConfigTests: XCTestCase {
    let minimal = """
        model: smollm2-135m-instruct
        data:
          train: data/train.jsonl
        max_steps: 100
        output_dir: runs/a
        """

    func error(_ yaml: String, _ overrides: [String] = []) -> TrainingConfigError? {
        do {
            _ = try TrainingConfig(yaml: yaml, overrides: overrides)
            return nil
        } catch {
            return error as? TrainingConfigError
        }
    }

    func testMinimalConfigGetsTheDocumentedDefaults() throws {
        let c = try TrainingConfig(yaml: minimal)
        XCTAssertEqual(c.method, .lora)
        XCTAssertEqual(c.duration, .steps(100))
        // No targets: the run takes the model's (q_proj and v_proj for decoders, q and v for T5).
        XCTAssertEqual(c.lora, TrainingConfig.LoRA(rank: 8, alpha: 16, dropout: 0, targets: [], rsLoRA: false))
        XCTAssertEqual(c.data.maxLength, 512)
        XCTAssertEqual(c.data.validationFraction, 0, "nothing evaluates, so nothing is held out")
        XCTAssertEqual(c.batchSize, 4)
        XCTAssertEqual(c.learningRate, 2e-4)
        XCTAssertEqual(c.lrSchedule, .cosine)
        XCTAssertEqual(c.optimizer, .adamw)
        XCTAssertEqual(c.adamEpsilon, 1e-8)
        XCTAssertEqual(c.maxGradNorm, 1)
        XCTAssertEqual(c.logEvery, 1)
        XCTAssertFalse(c.checkpointing)
        XCTAssertEqual(c.backend, .cpu)
    }

    func testBackendIsOneOfTheKnownNames() throws {
        XCTAssertEqual(try TrainingConfig(yaml: minimal + "\nbackend: cpu").backend, .cpu)
        let refused = TrainingConfigError.wrongType(key: "backend", expected: "one of \(BackendKind.names)", found: "'tpu'")
        XCTAssertEqual(error(minimal + "\nbackend: tpu"), refused)
        XCTAssertEqual(error(minimal + "\nbackend: cpu", ["backend=tpu"]), refused, "an override is checked as the file is")
    }

    func testValidationFractionDefaultsToFivePercentOnlyWhenEvaluatingWithoutAValidationFile() throws {
        XCTAssertEqual(try TrainingConfig(yaml: minimal, overrides: ["eval_every=10"]).data.validationFraction, 0.05)
        let withFile = try TrainingConfig(yaml: minimal, overrides: ["eval_every=10", "data.validation=v.jsonl"])
        XCTAssertEqual(withFile.data.validationFraction, 0)
        XCTAssertEqual(error(minimal, ["data.validation=v.jsonl", "data.validation_fraction=0.1"]),
                       .invalidValue(key: "data.validation_fraction", reason: "must be 0 when data.validation is given"))
    }

    func testCommandLineOverridesBeatTheFileAndParseAsYAML() throws {
        let yaml = minimal + "\nlearning_rate: 1e-3\nlora:\n  rank: 4\n"
        let c = try TrainingConfig(yaml: yaml, overrides: ["lora.rank=16", "learning_rate=1e-4",
                                                           "lora.targets=[q_proj,k_proj,o_proj]", "lora.rslora=true"])
        XCTAssertEqual(c.lora.rank, 16)
        XCTAssertEqual(c.learningRate, 1e-4)
        XCTAssertEqual(c.lora.targets, ["q_proj", "k_proj", "o_proj"])
        XCTAssertTrue(c.lora.rsLoRA)
        XCTAssertEqual(c.lora.scale, 4, accuracy: 1e-12, "rsLoRA scales by alpha / sqrt(rank)")
    }

    func testNullOverrideClearsAFileValue() throws {
        let c = try TrainingConfig(yaml: minimal, overrides: ["max_steps=null", "epochs=3"])
        XCTAssertEqual(c.duration, .epochs(3))
    }

    func testUnknownKeysAreNamedWithTheValidKeysAtTheirLevel() {
        guard case let .unknownKey(key, valid)? = error(minimal, ["lora.rnak=4"]) else {
            return XCTFail("expected unknownKey")
        }
        XCTAssertEqual(key, "lora.rnak")
        XCTAssertEqual(valid, ["rank", "alpha", "dropout", "targets", "rslora"])
        guard case let .unknownKey(top, topValid)? = error(minimal + "\nlearning_rat: 1") else {
            return XCTFail("expected unknownKey")
        }
        XCTAssertEqual(top, "learning_rat")
        XCTAssertTrue(topValid.contains("learning_rate"))
    }

    func testWrongTypesNameTheKey() {
        XCTAssertEqual(error(minimal, ["batch_size=four"]),
                       .wrongType(key: "batch_size", expected: "an integer", found: "'four'"))
        XCTAssertEqual(error(minimal, ["lora.rank=[1,2]"]),
                       .wrongType(key: "lora.rank", expected: "an integer", found: "a list"))
        XCTAssertEqual(error(minimal, ["lora=5"]),
                       .wrongType(key: "lora", expected: "a mapping of keys", found: "'5'"))
        XCTAssertEqual(error(minimal, ["checkpointing=maybe"]),
                       .wrongType(key: "checkpointing", expected: "true or false", found: "'maybe'"))
        XCTAssertEqual(error(minimal, ["method=dora"]),
                       .wrongType(key: "method", expected: "one of full, lora, qlora", found: "'dora'"))
    }

    func testOutOfRangeValuesAreRejected() {
        for (override, key) in [("lora.rank=0", "lora.rank"), ("learning_rate=0", "learning_rate"),
                                ("batch_size=-1", "batch_size"), ("lora.targets=[q_proj,lm_head]", "lora.targets"),
                                ("adam_beta2=1", "adam_beta2"), ("early_stopping_patience=2", "early_stopping_patience"),
                                ("max_steps=0", "max_steps")] {
            guard case .invalidValue(let named, _)? = error(minimal, [override]) else {
                XCTFail("\(override) was accepted")
                continue
            }
            XCTAssertEqual(named, key, override)
        }
    }

    func testExactlyOneOfMaxStepsAndEpochs() {
        XCTAssertEqual(error(minimal + "\nepochs: 2"), .invalidValue(
            key: "max_steps", reason: "give max_steps or epochs, not both (override one with null to clear it)"))
        XCTAssertEqual(error(minimal, ["max_steps=null"]), .missingKey("max_steps or epochs"))
    }

    func testRequiredKeysAndBadSyntaxAreReported() {
        XCTAssertEqual(error("model: m\nmax_steps: 1\noutput_dir: o"), .missingKey("data.train"))
        XCTAssertEqual(error(minimal, ["lora.rank"]), .badOverride("lora.rank"))
        XCTAssertThrowsError(try TrainingConfig(contentsOfFile: "/nonexistent/c.yaml")) { error in
            guard case .unreadable(let path, _)? = error as? TrainingConfigError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, "/nonexistent/c.yaml")
        }
        guard case .syntax(let source, _)? = error("model: [unclosed") else { return XCTFail("expected syntax") }
        XCTAssertEqual(source, "config")
        guard case .syntax(_, let message)? = error(minimal + "\nseed: 1\nseed: 2") else {
            return XCTFail("expected a duplicate key to be a syntax error")
        }
        XCTAssertTrue(message.contains("'seed'"), message)
    }

    func testResolvedYAMLDecodesBackToAnEqualConfig() throws {
        let c = try TrainingConfig(yaml: minimal, overrides: [
            "method=qlora", "epochs=2", "max_steps=null", "data.validation=\"val: \\\"odd\\\" #1.jsonl\"",
            "output_dir=runs/12", "learning_rate=3.5e-5", "lora.dropout=0.05", "lora.targets=[q_proj,down_proj]",
            "eval_every=20", "early_stopping_patience=3", "seed=18446744073709551615", "optimizer=sgd",
            "data.chat_template=false", "data.eos=false"])
        let resolved = c.resolvedYAML()
        XCTAssertEqual(try TrainingConfig(yaml: resolved), c, resolved)
        XCTAssertTrue(resolved.contains("epochs: 2") && !resolved.contains("max_steps"))
        XCTAssertFalse(c.data.chatTemplate || c.data.eos)
        let defaults = try TrainingConfig(yaml: minimal)
        XCTAssertEqual(try TrainingConfig(yaml: defaults.resolvedYAML()), defaults)
    }
}

final class ExampleConfigTests: XCTestCase {
    func testEveryExampleConfigDecodesAndValidates() throws {
        let configs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("configs")
        let files = try FileManager.default.contentsOfDirectory(atPath: configs.path).filter { $0.hasSuffix(".yaml") }
        XCTAssertFalse(files.isEmpty)
        for file in files {
            let path = configs.appendingPathComponent(file).path
            XCTAssertNoThrow(try TrainingConfig(contentsOfFile: path), file)
            XCTAssertTrue(try String(contentsOfFile: path, encoding: .utf8).hasPrefix("# afina train configs/\(file)"),
                          "\(file) is headed by the command that runs it")
        }
    }
}
