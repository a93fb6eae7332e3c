#!/usr/bin/env bash
# The test command: installs system libraries, pulls the default model, MiniLM and Gemma 3 (cached under
# ~/.cache/afina), builds, fuzzes each reader briefly, and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build --product afina
.build/debug/afina pull smollm2-135m-instruct
.build/debug/afina pull all-minilm-l6-v2
.build/debug/afina pull gemma-3-270m
# The readers of untrusted files under libFuzzer for a few seconds each (long runs: by hand).
bash scripts/fuzz.sh all 5
swift test "$@"
