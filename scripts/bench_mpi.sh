#!/usr/bin/env bash
# Data-parallel benchmark (not a test): `afina bench train` tokens/s as one process with 2
# threads against 2 processes (mpirun) with 1 thread each, on this machine, for LoRA and full
# fine-tuning of the default model; with the share of a 2-rank step spent summing gradients.
#   bash scripts/bench_mpi.sh [extra `afina bench train` flags, e.g. --batch 16 --steps 5]
# AFINA=path/to/afina picks the binary (default: a release build).
set -euo pipefail
cd "$(dirname "$0")/.."
afina=${AFINA:-}
if [ -z "$afina" ]; then
    swift build -c release --product afina
    afina=.build/release/afina
fi
mpirun=(mpirun --allow-run-as-root --oversubscribe -np 2)
shape=(--batch 8 --sequence-length 128 --steps 4)
field() { python3 -c "import json, sys; print(json.loads(sys.stdin.read())['$1'])"; }
printf '| method | 1 process x 2 threads | 2 processes x 1 thread | all-reduce share (2 processes) |\n|---|---|---|---|\n'
for method in lora full; do
    one=$(AFINA_THREADS=2 "$afina" bench train --method "$method" "${shape[@]}" "$@" --json)
    two=$(AFINA_THREADS=1 "${mpirun[@]}" "$afina" bench train --method "$method" "${shape[@]}" "$@" --json)
    printf '| %s | %.0f tokens/s | %.0f tokens/s | %.1f%% |\n' "$method" \
        "$(field tokens_per_second <<<"$one")" "$(field tokens_per_second <<<"$two")" \
        "$(python3 -c "print(100 * $(field allreduce_share <<<"$two"))")"
done
