// The typed configuration of `afina train CONFIG.yaml [key=value ...]`: one struct, its
// defaults, and the range checks. Reading YAML and overrides is in TrainingConfig+YAML.swift.
// Modelled on torchtune's recipe configs and mlx-lm's CONFIG_DEFAULTS.
import AfinaModels
import AfinaTensor

/// Everything a fine-tuning run needs, decoded from YAML (nested maps; dotted names in
/// `key=value` overrides). Precedence: command line over file over these defaults.
///
/// | key | default | meaning |
/// |---|---|---|
/// | `model` | required | catalog name, `.gguf` file or Hugging Face directory |
/// | `method` | `lora` | `full`, `lora` or `qlora` |
/// | `task` | `causal_lm` | `causal_lm` (decoders, chat/completion/text records), `classification` (encoders, {"text", "label"} records, optional "text_pair"; labels from the training file) `masked_lm` (encoders with an MLM head, {"text"} records, BERT's 15% masking) or `embedding` (sentence encoders, {"anchor", "positive"} records, in-batch negatives as sentence-transformers' MultipleNegativesRankingLoss, scale 20, the checkpoint's pooling) |
/// | `data.train` | required | training JSONL |
/// | `data.validation` | none | validation JSONL |
/// | `data.validation_fraction` | 0.05 if `eval_every` > 0 and no `data.validation`, else 0 | share of `data.train` held out for validation |
/// | `data.max_length` | 512 | tokens per example; longer ones are truncated |
/// | `data.chat_template` | true | render conversations through the model's chat template; false joins their contents as plain text (a prompt/completion record becomes prompt + completion + EOS, loss on the completion and EOS: continued training with a loss mask) |
/// | `data.eos` | true | end text records and plain-text answers with EOS (with loss); false for completions that stop mid-text, such as a name after "Today the CEO," |
/// | `lora.rank` | 8 | rank r of the update B·A |
/// | `lora.alpha` | 16 | scale numerator: alpha/r (alpha/√r with `rslora`) |
/// | `lora.dropout` | 0.0 | dropout on the LoRA input |
/// | `lora.targets` | the model's: decoders `[q_proj, v_proj]`, T5 `[q, v]`, encoders `[query, value]` | projections that get adapters (decoders: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj; T5: q, k, v, o, wi, wi_0, wi_1, wo; BERT: query, key, value, attention.output.dense, intermediate.dense, output.dense, dense) |
/// | `lora.rslora` | false | rank-stabilized scaling (Kalajdzievski 2023) |
/// | `max_steps` / `epochs` | exactly one required | run length in optimizer steps or passes over the data |
/// | `batch_size` | 4 | sequences per micro-batch |
/// | `grad_accum` | 1 | micro-batches per optimizer step |
/// | `learning_rate` | 2e-4 | peak learning rate |
/// | `lr_schedule` | `cosine` | `constant`, `linear` or `cosine` decay to 0 after warm-up |
/// | `warmup_steps` | 0 | linear warm-up from 0 |
/// | `weight_decay` | 0.0 | decoupled (AdamW) or L2 (SGD) |
/// | `optimizer` | `adamw` | `adamw` or `sgd` |
/// | `adam_beta1`, `adam_beta2`, `adam_epsilon` | 0.9, 0.999, 1e-8 | AdamW moments |
/// | `momentum` | 0.9 | SGD momentum |
/// | `max_grad_norm` | 1.0 | global gradient-norm clip; 0 turns it off |
/// | `seed` | 0 | data order, dropout and adapter initialization |
/// | `output_dir` | required | run folder: checkpoints, metrics.jsonl, loss.svg |
/// | `eval_every` | 0 | steps between validation passes; 0 turns them off |
/// | `save_every` | 0 | steps between checkpoints; 0 saves only at the end |
/// | `log_every` | 1 | steps between progress lines |
/// | `early_stopping_patience` | 0 | evaluations without improvement before stopping; 0 turns it off |
/// | `checkpointing` | false | recompute activations in backward, and a trained head's logits in smaller chunks, to save memory |
/// | `backend` | `cpu` | where the run computes; `cpu` is the only backend so far |
/// | `precision` | `fp32` | `bf16`: products take bfloat16 inputs (AMX or AVX-512 BF16 CPUs; fp32 elsewhere), weights stay fp32 |
/// | `distill.teacher` | none | logit-level distillation from this model, run beside the student (same vocabulary) |
/// | `distill.cache` | none | or from the teacher's top-k log-probabilities stored by `afina distill cache` |
/// | `distill.alpha` | 0.5 | loss = alpha * CE(labels) + (1 - alpha) * T² * divergence |
/// | `distill.temperature` | 1.0 | T, applied to teacher and student |
/// | `distill.divergence` | `forward_kl` | `forward_kl`, `reverse_kl` or `jsd` |
/// | `distill.beta` | 0.5 | JSD's mixture weight, in (0, 1) |
/// | `distill.on_policy` | 0.0 | share of micro-batches whose answers the student samples itself (GKD's lambda; needs `distill.teacher`) |
/// | `distill.max_new_tokens` | 64 | longest answer the student samples on-policy |
public struct TrainingConfig: Equatable, Sendable {
    public enum Method: String, CaseIterable, Sendable { case full, lora, qlora }
    public typealias LRSchedule = LearningRateSchedule
    public enum OptimizerKind: String, CaseIterable, Sendable { case adamw, sgd }
    /// What the model learns to do, which decides the records and the recipe.
    public enum Task: String, CaseIterable, Sendable {
        case causalLM = "causal_lm", classification, maskedLM = "masked_lm", embedding

        /// Trained by EncoderFineTuneRun on encoder records.
        public var isEncoderTask: Bool { self != .causalLM }
    }
    /// Input precision of the large products; weights, gradients and optimizer state stay fp32.
    public typealias Precision = ProductPrecision

    /// How long to train: a number of optimizer steps or of passes over the training set.
    public enum Duration: Equatable, Sendable {
        case steps(Int)
        case epochs(Int)
    }

    public struct Data: Equatable, Sendable {
        public var train: String
        public var validation: String?
        public var validationFraction: Double
        public var maxLength: Int
        /// False renders conversations as plain text even when the model has a chat template.
        public var chatTemplate = true
        /// False leaves EOS off text records and plain-text answers.
        public var eos = true
    }

    /// The `lora:` section is the model's own adapter settings.
    public typealias LoRA = LoRAConfiguration

    /// The `distill:` section: off unless it names a teacher or a cache.
    public struct Distill: Equatable, Sendable {
        public enum Kind: String, CaseIterable, Sendable { case forwardKL = "forward_kl", reverseKL = "reverse_kl", jsd }
        public var teacher: String?
        public var cache: String?
        public var alpha: Double
        public var temperature: Double
        public var divergence: Kind
        public var beta: Double
        public var onPolicy: Double
        public var maxNewTokens: Int

        public var isEnabled: Bool { teacher != nil || cache != nil }

        public var loss: DistillationLoss {
            let d: Divergence = switch divergence {
            case .forwardKL: .forwardKL
            case .reverseKL: .reverseKL
            case .jsd: .jensenShannon(beta: beta)
            }
            return DistillationLoss(divergence: d, temperature: temperature, alpha: alpha)
        }
    }

    public var model: String
    public var method: Method
    public var task: Task
    public var data: Data
    public var lora: LoRA
    public var duration: Duration
    public var batchSize: Int
    public var gradAccum: Int
    public var learningRate: Double
    public var lrSchedule: LRSchedule
    public var warmupSteps: Int
    public var weightDecay: Double
    public var optimizer: OptimizerKind
    public var adamBeta1: Double
    public var adamBeta2: Double
    public var adamEpsilon: Double
    public var momentum: Double
    /// 0: no clipping.
    public var maxGradNorm: Double
    public var seed: UInt64
    public var outputDir: String
    /// 0: no validation passes.
    public var evalEvery: Int
    /// 0: a checkpoint only at the end.
    public var saveEvery: Int
    public var logEvery: Int
    /// 0: no early stopping.
    public var earlyStoppingPatience: Int
    /// Recompute activations during backward instead of keeping them.
    public var checkpointing: Bool
    /// Where the model runs; `afina train --backend` overrides it.
    public var backend: BackendKind
    public var precision: Precision
    public var distill: Distill

    /// Throws on values out of range or settings that contradict each other, naming the key.
    public func validate() throws {
        func check(_ ok: Bool, _ key: String, _ why: String) throws {
            if !ok { throw TrainingConfigError.invalidValue(key: key, reason: why) }
        }
        try check(!model.isEmpty, "model", "must name a model")
        try check(!data.train.isEmpty, "data.train", "must name a JSONL file")
        try check((0..<1).contains(data.validationFraction), "data.validation_fraction", "must be in [0, 1)")
        try check(data.validation == nil || data.validationFraction == 0, "data.validation_fraction",
                  "must be 0 when data.validation is given")
        try check(data.maxLength >= 2, "data.max_length", "must be at least 2")
        try check(lora.rank > 0, "lora.rank", "must be positive")
        try check(lora.alpha > 0 && lora.alpha.isFinite, "lora.alpha", "must be positive")
        try check((0..<1).contains(lora.dropout), "lora.dropout", "must be in [0, 1)")
        try check(!lora.targets.isEmpty || !task.isEncoderTask, "lora.targets", "must list at least one module")
        // Encoders name their own modules; the model checks them when it takes the adapters.
        let known = LoRA.allLinearModules + T5.adapterTargets
        for target in lora.targets where !task.isEncoderTask && !known.contains(target) {
            try check(false, "lora.targets", "unknown module '\(target)' (valid: \(known.joined(separator: ", ")))")
        }
        try check(Set(lora.targets).count == lora.targets.count, "lora.targets", "lists a module twice")
        switch duration {
        case .steps(let n): try check(n > 0, "max_steps", "must be positive")
        case .epochs(let n): try check(n > 0, "epochs", "must be positive")
        }
        try check(batchSize > 0, "batch_size", "must be positive")
        try check(gradAccum > 0, "grad_accum", "must be positive")
        try check(learningRate > 0 && learningRate.isFinite, "learning_rate", "must be positive")
        try check(warmupSteps >= 0, "warmup_steps", "must not be negative")
        try check(weightDecay >= 0 && weightDecay.isFinite, "weight_decay", "must not be negative")
        try check((0..<1).contains(adamBeta1), "adam_beta1", "must be in [0, 1)")
        try check((0..<1).contains(adamBeta2), "adam_beta2", "must be in [0, 1)")
        try check(adamEpsilon > 0 && adamEpsilon.isFinite, "adam_epsilon", "must be positive")
        try check((0..<1).contains(momentum), "momentum", "must be in [0, 1)")
        try check(maxGradNorm >= 0 && maxGradNorm.isFinite, "max_grad_norm", "must not be negative (0 turns clipping off)")
        try check(!outputDir.isEmpty, "output_dir", "must name the run folder")
        try check(evalEvery >= 0, "eval_every", "must not be negative")
        try check(evalEvery == 0 || data.validation != nil || data.validationFraction > 0, "eval_every",
                  "needs validation data: set data.validation or data.validation_fraction")
        try check(saveEvery >= 0, "save_every", "must not be negative")
        try check(logEvery > 0, "log_every", "must be positive")
        try check(earlyStoppingPatience >= 0, "early_stopping_patience", "must not be negative")
        try check(earlyStoppingPatience == 0 || evalEvery > 0, "early_stopping_patience", "needs eval_every > 0")
        try check(distill.teacher == nil || distill.cache == nil, "distill.cache", "give distill.teacher or distill.cache, not both")
        try check(!task.isEncoderTask || !distill.isEnabled, "distill", "distillation trains decoders (task causal_lm)")
        try check((0...1).contains(distill.alpha), "distill.alpha", "must be in [0, 1]")
        try check(distill.temperature > 0 && distill.temperature.isFinite, "distill.temperature", "must be positive")
        try check(distill.beta > 0 && distill.beta < 1, "distill.beta", "must be in (0, 1)")
        try check((0...1).contains(distill.onPolicy), "distill.on_policy", "must be in [0, 1]")
        try check(distill.onPolicy == 0 || distill.teacher != nil, "distill.on_policy",
                  "needs distill.teacher: the teacher scores what the student samples")
        try check(distill.maxNewTokens > 0, "distill.max_new_tokens", "must be positive")
    }
}
