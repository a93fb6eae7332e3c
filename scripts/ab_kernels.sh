#!/usr/bin/env bash
# Kernel A/B benchmark (not a test): every run-time kernel choice this CPU offers, timed against
# its alternative in interleaved rounds on the default model, so one command on a new CPU says
# whether the defaults chosen on the AMD EPYC hold there (the Intel Xeon: AMX against AVX-512
# BF16, the fp32 input gradients' register tiles against OpenBLAS):
#   AFINA_BF16_KERNEL            bf16 training, full and LoRA        (amx | avx512bf16)
#   AFINA_INPUT_GRADIENT_KERNEL  fp32 training, full and LoRA        (tiles | openblas)
#   AFINA_DECODE_KERNEL          batch-1 decode, SmolLM2 Q4_1 and Qwen2.5-Coder 0.5B Q4_K_M
#                                                                    (int16 | avx512 | avx2)
# A choice with one kernel here is skipped.
#   bash scripts/ab_kernels.sh [rounds, default 3]
# AFINA=path/to/afina picks the binary (default: a release build).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${AFINA:-}" ]; then swift build -c release --product afina; AFINA=.build/release/afina; fi
rounds=${1:-3}
"$AFINA" pull qwen2.5-coder-0.5b-instruct >/dev/null
field() { python3 -c "import json, sys; print(round(json.loads(sys.stdin.read().splitlines()[-1])['$1'], 1))"; }
# Of the candidates for one choice, those this CPU runs (afina warns on stderr of the others).
runnable() {
    local variable=$1 kernel; shift
    for kernel in "$@"; do
        env "$variable=$kernel" "$AFINA" bench generate --batch 1 --prompt-tokens 1 --tokens 1 --json 2>&1 >/dev/null \
            | grep -q "is not a" || printf '%s ' "$kernel"
    done
}
"$AFINA" bench peak
printf '\n| choice | kernel | what | tokens/s, round by round |\n|---|---|---|---|\n'
measure() {  # variable, its candidates (one word), the JSON field, the bench arguments
    local variable=$1 field=$3 candidates kernels; read -ra candidates <<<"$2"; shift 3
    read -ra kernels <<<"$(runnable "$variable" "${candidates[@]}")"
    [ "${#kernels[@]}" -gt 1 ] || return 0
    declare -A speeds=()
    for _ in $(seq "$rounds"); do
        for kernel in "${kernels[@]}"; do
            speeds[$kernel]+="$(env "$variable=$kernel" "$AFINA" bench "$@" --json | field "$field") "
        done
    done
    for kernel in "${kernels[@]}"; do printf '| %s | %s | %s | %s|\n' "$variable" "$kernel" "$*" "${speeds[$kernel]}"; done
}
for method in full lora; do
    measure AFINA_BF16_KERNEL "amx avx512bf16" tokens_per_second train --method "$method" --precision bf16 --steps 2
    measure AFINA_INPUT_GRADIENT_KERNEL "tiles openblas" tokens_per_second train --method "$method" --steps 2
done
for model in smollm2-135m-instruct qwen2.5-coder-0.5b-instruct; do
    measure AFINA_DECODE_KERNEL "int16 avx512 avx2" decode_tokens_per_second generate --model "$model" --batch 1
done
