#!/usr/bin/env bash
# Fuzzing the readers of untrusted input with libFuzzer and AddressSanitizer (README "Trust").
#
#   bash scripts/fuzz.sh [TARGET|all] [SECONDS]      (default: all targets, 60 s each)
#
# Targets: gguf, safetensors, tokenizer, template, jsonl, yaml, openai (Sources/afina-fuzz). Each run starts
# from the committed seeds (Tests/Fixtures/fuzz/TARGET) plus what earlier runs here found
# (runs/fuzz/corpus/TARGET); a crash, a timeout (10 s on one input) or an allocation over
# 2 GiB stops the run and leaves the input in runs/fuzz/crashes/TARGET: fix the bug, then
# commit that input under Tests/Fixtures/fuzz/TARGET so the replay test keeps it fixed.
# CI runs every target for a few seconds after the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
targets=${1:-all}
seconds=${2:-60}
[ "$targets" = all ] && targets="gguf safetensors tokenizer template jsonl yaml openai"

# A separate build folder: every module compiled with coverage and AddressSanitizer. lld, since
# gold fails on libFuzzer's objects; the entry point is this package's @main (see Main.swift).
swift build --product afina-fuzz --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address \
    -Xswiftc -DAFINA_LIBFUZZER -Xswiftc -use-ld=lld 2>&1 | grep -v "warning: Cannot export" | tail -n 1
fuzzer=.build-fuzz/debug/afina-fuzz

for target in $targets; do
    corpus=runs/fuzz/corpus/$target crashes=runs/fuzz/crashes/$target
    mkdir -p "$corpus" "$crashes"
    echo "== $target: $seconds s"
    AFINA_FUZZ_TARGET=$target ASAN_OPTIONS=detect_leaks=0 "$fuzzer" "$corpus" "Tests/Fixtures/fuzz/$target" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -malloc_limit_mb=2048 -max_len=65536 \
        -artifact_prefix="$crashes/" -print_final_stats=1 2>&1 \
        | grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)" || true
    if compgen -G "$crashes/*" > /dev/null; then
        echo "FAIL: $target: inputs in $crashes"; exit 1
    fi
done
