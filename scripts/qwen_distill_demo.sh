#!/usr/bin/env bash
# Distillation demonstration with real models (README "Distillation"): the teacher is
# qwen2.5-coder-1.5b-instruct shown three solved spelling corrections before each word; the
# student is qwen2.5-coder-0.5b-instruct (same tokenizer) answering with no examples
# (context distillation), QLoRA-tuned on 400 of the teacher's answers (configs/qwen-distill.yaml).
# Scores on the 500 held-out pairs: the student before, after sequence-level and after
# logit-level distillation, and the teacher (with its examples), each with tokens/s and peak
# memory. About 7 minutes on 2 cores (AMD EPYC, 2026-12-06); every step is skipped when its output exists.
set -euo pipefail
cd "$(dirname "$0")/.."
# AFINA=path/to/afina skips the build (a binary built earlier).
[ -n "${AFINA:-}" ] || swift build -c release --product afina
afina=${AFINA:-.build/release/afina}
teacher=qwen2.5-coder-1.5b-instruct
student=qwen2.5-coder-0.5b-instruct
out=runs/distill-qwen

[ -f data/spelling/train.jsonl ] || "$afina" data spelling --out data/spelling
"$afina" pull "$teacher"
"$afina" pull "$student"
mkdir -p "$out"
head -n 3 data/spelling/train.jsonl > "$out/shots.jsonl"
sed -n 4,403p data/spelling/train.jsonl > "$out/prompts.jsonl"
# The teacher's held-out task: its three examples first (not scored), then the 500 pairs
# (as scripts/compare_demo.sh scores it).
mkdir -p runs/compare
cat "$out/shots.jsonl" data/spelling/heldout.jsonl > runs/compare/heldout-3shot.jsonl

# The teacher answers with the examples in front; the records leave them out. Resumes.
"$afina" distill generate --teacher "$teacher" --shots "$out/shots.jsonl" --prompts "$out/prompts.jsonl" \
    --out "$out/teacher.jsonl" --max-tokens 12

[ -f runs/qwen-seq/adapter/adapter_model.safetensors ] || "$afina" train configs/qwen-distill.yaml output_dir=runs/qwen-seq
[ -f "$out/teacher.kd" ] || "$afina" distill cache configs/qwen-distill.yaml --teacher "$teacher" \
    --shots "$out/shots.jsonl" --out "$out/teacher.kd"
[ -f runs/qwen-logit/adapter/adapter_model.safetensors ] || \
    "$afina" train configs/qwen-distill.yaml distill.cache="$out/teacher.kd" output_dir=runs/qwen-logit

# One model per eval so each peak RSS is its own.
evaluate() {    # output folder, then eval arguments
    local dir=$1; shift
    [ -f "$dir/eval.json" ] || /usr/bin/time -f "$dir: peak RSS %M KiB, %e s" \
        "$afina" eval --max-tokens 12 --out-dir "$dir" "$@"
}
evaluate "$out/eval-student" --models "$student" --task data/spelling/heldout.jsonl
evaluate "$out/eval-seq" --models runs/qwen-seq/adapter --task data/spelling/heldout.jsonl
evaluate "$out/eval-logit" --models runs/qwen-logit/adapter --task data/spelling/heldout.jsonl
evaluate runs/compare/qwen1.5b-3shot --models "$teacher" --task runs/compare/heldout-3shot.jsonl --few-shot 3
for dir in "$out"/eval-{student,seq,logit} runs/compare/qwen1.5b-3shot; do tail -n +1 "$dir/eval.md"; done
