#!/usr/bin/env bash
# The main job, end to end on the default model: install, build, pull SmolLM2-135M-Instruct,
# show what it is, and chat with it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build -c release --product afina
afina=.build/release/afina
$afina pull smollm2-135m-instruct
$afina info smollm2-135m-instruct
$afina generate --chat "Write a haiku about the sea." --max-tokens 64
$afina bench generate --batch 1
