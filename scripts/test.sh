#!/usr/bin/env bash
# The test command: installs system libraries, pulls the default model and MiniLM (cached under
# ~/.cache/afina), builds, and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build --product afina
.build/debug/afina pull smollm2-135m-instruct
.build/debug/afina pull all-minilm-l6-v2
swift test "$@"
