#!/usr/bin/env bash
# Small tuned against big prompted (README "Evaluation"): SmolLM2-135M-Instruct tuned on
# spelling correction (the main job's LoRA, and full fine-tuning) against
# qwen2.5-coder-1.5b-instruct, 11x larger, asked zero-shot and with three solved examples
# (the first three training pairs) before each word, on the 500 held-out pairs. One model
# per eval so each peak RSS is its own. About 3 minutes on 2 cores once the SmolLM2 models
# are trained, most of it the 1.5B;
# every step is skipped when its output exists.
set -euo pipefail
cd "$(dirname "$0")/.."
# AFINA=path/to/afina skips the build (a binary built earlier).
[ -n "${AFINA:-}" ] || swift build -c release --product afina
afina=${AFINA:-.build/release/afina}
big=qwen2.5-coder-1.5b-instruct
out=runs/compare

[ -f data/spelling/train.jsonl ] || "$afina" data spelling --out data/spelling
[ -f runs/spelling-lora/adapter/adapter_model.safetensors ] || "$afina" train configs/spelling-lora.yaml
[ -f runs/spelling-full/model/model.safetensors ] || "$afina" train configs/spelling-full.yaml
"$afina" pull "$big"
mkdir -p "$out"
cat <(head -n 3 data/spelling/train.jsonl) data/spelling/heldout.jsonl > "$out/heldout-3shot.jsonl"

evaluate() {    # name, then eval arguments
    local name=$1; shift
    [ -f "$out/$name/eval.json" ] || /usr/bin/time -f "$name: peak RSS %M KiB, %e s" \
        "$afina" eval --max-tokens 12 --out-dir "$out/$name" "$@"
}
evaluate smollm2-lora --models runs/spelling-lora/adapter --task data/spelling/heldout.jsonl
evaluate smollm2-full --models runs/spelling-full/model --task data/spelling/heldout.jsonl
evaluate qwen1.5b-0shot --models "$big" --task data/spelling/heldout.jsonl
evaluate qwen1.5b-3shot --models "$big" --task "$out/heldout-3shot.jsonl" --few-shot 3
for name in smollm2-lora smollm2-full qwen1.5b-0shot qwen1.5b-3shot; do tail -n +1 "$out/$name/eval.md"; done
