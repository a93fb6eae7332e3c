#!/usr/bin/env bash
# The main job, end to end on the default model: LoRA fine-tuning of SmolLM2-135M-Instruct on
# spelling correction (codespell's misspelling -> correction pairs), a few minutes on 2 CPU
# cores, then exact-match accuracy on 500 held-out pairs before and after, side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build -c release --product afina
afina=.build/release/afina
$afina pull smollm2-135m-instruct
$afina data spelling --out data/spelling
rm -rf runs/spelling-lora
$afina train configs/spelling-lora.yaml
$afina generate --adapter runs/spelling-lora/adapter --chat "Correct the spelling of this word: recieve" --max-tokens 8
$afina eval --models smollm2-135m-instruct runs/spelling-lora/adapter --task data/spelling/heldout.jsonl --max-tokens 12
