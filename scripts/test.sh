#!/usr/bin/env bash
# The test command: installs system libraries, pulls the default model, MiniLM and Gemma 3 (cached under
# ~/.cache/afina), builds, and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build --product afina
.build/debug/afina pull smollm2-135m-instruct
.build/debug/afina pull all-minilm-l6-v2
.build/debug/afina pull gemma-3-270m
swift test "$@"
