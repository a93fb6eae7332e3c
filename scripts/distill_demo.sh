#!/usr/bin/env bash
# Distillation demonstration (README "Distillation"): the teacher is SmolLM2-135M-Instruct
# fully fine-tuned on spelling correction (configs/spelling-full.yaml), the student keeps
# every other of its 30 layers. Scores on the 500 held-out pairs: the student before, after
# sequence-level distillation (trained on the teacher's answers), after logit-level
# distillation (the same answers plus the teacher's token distributions), and the teacher,
# each with tokens/s and peak memory; then longer runs and a 20-layer student. About 25
# minutes on 2 cores (AMD EPYC, 2026-12-06), and 4 more for the teacher's training.
set -euo pipefail
cd "$(dirname "$0")/.."
# AFINA=path/to/afina skips the build (a binary built earlier).
[ -n "${AFINA:-}" ] || swift build -c release --product afina
afina=${AFINA:-.build/release/afina}

[ -f data/spelling/train.jsonl ] || "$afina" data spelling --out data/spelling
[ -f runs/spelling-full/model/model.safetensors ] || "$afina" train configs/spelling-full.yaml
teacher=runs/spelling-full/model

rm -rf runs/spelling-student
"$afina" student init --from "$teacher" --keep-layers 0-29:2 runs/spelling-student

# The teacher answers 2,400 training prompts (150 steps of 16); a rerun resumes.
mkdir -p runs/distill
head -n 2400 data/spelling/train.jsonl > runs/distill/prompts.jsonl
"$afina" distill generate --teacher "$teacher" --prompts runs/distill/prompts.jsonl \
    --out runs/distill/teacher.jsonl --max-tokens 16

rm -rf runs/distill-seq runs/distill-logit runs/distill-logit-450
"$afina" train configs/spelling-distill.yaml output_dir=runs/distill-seq
"$afina" train configs/spelling-distill.yaml distill.teacher="$teacher" output_dir=runs/distill-logit
"$afina" train configs/spelling-distill.yaml max_steps=450 eval_every=150 distill.teacher="$teacher" \
    output_dir=runs/distill-logit-450

# Longer: the teacher answers 7,200 training prompts and the student distills from their
# answers and distributions for 450 steps, one pass.
sed -n 1,7200p data/spelling/train.jsonl > runs/distill/prompts-7200.jsonl
"$afina" distill generate --teacher "$teacher" --prompts runs/distill/prompts-7200.jsonl \
    --out runs/distill/teacher-7200.jsonl --max-tokens 16
[ -f runs/distill-logit-7200/model/model.safetensors ] || "$afina" train configs/spelling-distill.yaml \
    data.train=runs/distill/teacher-7200.jsonl max_steps=450 eval_every=150 distill.teacher="$teacher" \
    output_dir=runs/distill-logit-7200

# A larger student: 20 of the 30 layers (every third dropped, the first and last kept), the
# same 450 logit-level steps on the 7,200 answers.
[ -d runs/spelling-student20 ] || "$afina" student init --from "$teacher" \
    --keep-layers 0,2,3,5,6,8,9,11,12,14,15,17,18,20,21,23,24,26,27,29 runs/spelling-student20
[ -f runs/distill-logit-7200-s20/model/model.safetensors ] || "$afina" train configs/spelling-distill.yaml \
    model=runs/spelling-student20 data.train=runs/distill/teacher-7200.jsonl max_steps=450 eval_every=150 \
    distill.teacher="$teacher" output_dir=runs/distill-logit-7200-s20

# One model per eval so each peak RSS is its own.
for model in runs/spelling-student runs/distill-seq/model runs/distill-logit/model runs/distill-logit-450/model \
        runs/distill-logit-7200/model runs/spelling-student20 runs/distill-logit-7200-s20/model "$teacher"; do
    /usr/bin/time -f "$model: peak RSS %M KiB" \
        "$afina" eval --models "$model" --task data/spelling/heldout.jsonl --max-tokens 12
done
