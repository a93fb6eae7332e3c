#!/usr/bin/env bash
# The encoder demonstrations in the README ("Encoders, demonstrated"), end to end:
# 1. Classification: all-MiniLM-L6-v2 (22.7M parameters) tuned on Rotten Tomatoes sentence
#    polarity, against qwen2.5-coder-1.5b-instruct (70x larger) prompted zero-shot and 3-shot,
#    on the same 1,000 held-out sentences: accuracy and macro-F1 with 95% intervals, speed, memory.
# 2. Bias: MiniLM tuned contrastively on gender-swapped pairs of the training sentences; SEAT
#    effect sizes and p-values, and Pearson r on Lee et al.'s human similarity ratings, before
#    and after.
# AFINA=path/to/afina skips the build. About 7 minutes on 2 cores (most of it the 1.5B decoder).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
if [ -z "${AFINA:-}" ]; then swift build -c release --product afina; AFINA=.build/release/afina; fi
"$AFINA" pull all-minilm-l6-v2
"$AFINA" pull qwen2.5-coder-1.5b-instruct
"$AFINA" data polarity --out data/polarity
"$AFINA" data lee-similarity --out data/lee.jsonl

echo "== 1. polarity: tuned MiniLM against prompted Qwen 1.5B"
rm -rf runs/polarity-minilm
timed() { /usr/bin/time -f "$1: %e s, peak RSS %M KiB" "${@:2}"; }
timed training "$AFINA" train configs/polarity-minilm.yaml
timed minilm "$AFINA" eval --models runs/polarity-minilm/model --task data/polarity/heldout.jsonl --out-dir runs/polarity-eval/minilm
timed qwen-0shot "$AFINA" eval --models qwen2.5-coder-1.5b-instruct --task data/polarity/heldout-prompts.jsonl \
    --metrics accuracy,macro_f1 --max-tokens 3 --out-dir runs/polarity-eval/qwen-0shot
timed qwen-3shot "$AFINA" eval --models qwen2.5-coder-1.5b-instruct --task data/polarity/heldout-prompts-3shot.jsonl --few-shot 3 \
    --metrics accuracy,macro_f1 --max-tokens 3 --out-dir runs/polarity-eval/qwen-3shot

echo "== 2. bias: MiniLM before and after counterfactual contrastive tuning"
"$AFINA" data augment --counterfactual gender data/polarity/train.jsonl --pairs --out data/counterfactual-pairs.jsonl
rm -rf runs/minilm-counterfactual
"$AFINA" train configs/minilm-counterfactual.yaml
for model in all-minilm-l6-v2 runs/minilm-counterfactual/model; do
    echo "-- $model"
    "$AFINA" bias seat --model "$model"
done
"$AFINA" eval --models all-minilm-l6-v2 runs/minilm-counterfactual/model --similarity data/lee.jsonl
