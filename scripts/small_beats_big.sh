#!/usr/bin/env bash
# Small tuned against big prompted, on a task where tuning matters (README "Small tuned against
# big prompted"): all-MiniLM-L6-v2 (22.7M parameters) tuned to tell misspelled words from correct
# ones (codespell's pairs, `afina data spelling-check`), at 2.4k, 9.6k, 40k and all 107k training
# words, against decoders asked the same question zero-shot and with four solved examples:
# qwen2.5-coder-1.5b-instruct (68x larger), qwen2.5-coder-0.5b-instruct and Gemma 3 270M, on the
# same 1,000 held-out words (500 corrections no training word shares, each with one of its
# misspellings). Writes runs/small-vs-big/{table.md,curve.jsonl,curve.svg}.
# About 11 minutes on 2 cores, most of it the decoders; every step is skipped when its output exists.
set -euo pipefail
cd "$(dirname "$0")/.."
# AFINA=path/to/afina skips the build (a binary built earlier).
[ -n "${AFINA:-}" ] || swift build -c release --product afina
afina=${AFINA:-.build/release/afina}
out=runs/small-vs-big
data=data/spelling-check
mkdir -p "$out"
[ -f "$data/heldout.jsonl" ] || "$afina" data spelling-check --out "$data"
for model in all-minilm-l6-v2 qwen2.5-coder-1.5b-instruct qwen2.5-coder-0.5b-instruct gemma-3-270m; do "$afina" pull "$model"; done

# The small model at four training budgets: one pass over the first N shuffled training words
# (batch 32), each run its own linear schedule; the last is one epoch of all 106,996.
for budget in 2400 9600 40000 all; do
    run=runs/spelling-check-minilm-$budget
    steps=$([ "$budget" = all ] && echo "" || echo "epochs=null max_steps=$((budget / 32))")
    [ -f "$run/model/model.safetensors" ] || /usr/bin/time -f "%e" -o "$out/train-$budget.seconds" \
        "$afina" train configs/spelling-check-minilm.yaml $steps "output_dir=$run"
done

evaluate() {    # name, then eval arguments
    local name=$1; shift
    [ -f "$out/$name/eval.json" ] || /usr/bin/time -f "%e" -o "$out/$name.seconds" "$afina" eval --out-dir "$out/$name" "$@"
}
for budget in 2400 9600 40000 all; do
    evaluate "minilm-$budget" --models "runs/spelling-check-minilm-$budget/model" --task "$data/heldout.jsonl"
done
for model in qwen2.5-coder-1.5b-instruct qwen2.5-coder-0.5b-instruct gemma-3-270m; do
    evaluate "$model-0shot" --models "$model" --task "$data/heldout-prompts.jsonl" --metrics accuracy,macro_f1 --max-tokens 3
    evaluate "$model-4shot" --models "$model" --task "$data/heldout-prompts-4shot.jsonl" --few-shot 4 \
        --metrics accuracy,macro_f1 --max-tokens 3
done

# The table, and the learning curve against the best prompt of each decoder.
{
    echo "| model | parameters | training words | prompt | accuracy | macro-F1 | training time | 1,000 words in | tokens/s | peak RSS |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
    row() {    # name, parameters, training words, prompt, training time
        jq -r --arg p "$2" --arg w "$3" --arg prompt "$4" --arg t "$5" --arg e "$(cat "$out/$1.seconds" 2>/dev/null || echo '?')" \
            'def r: . * 10 | round / 10; .models[0] as $m | "| \($m.model) | \($p) | \($w) | \($prompt) | "
            + "\($m.metrics.accuracy | r) [\($m.intervals.accuracy[0] | r), \($m.intervals.accuracy[1] | r)] | "
            + "\($m.metrics.macro_f1 | r) | \($t) | \($e) s | \($m.tokens_per_second | round) | \($m.peak_rss_bytes / 1048576 | round) MiB |"' \
            "$out/$1/eval.json"
    }
    for budget in 2400 9600 40000 all; do
        row "minilm-$budget" 22.7M "$([ "$budget" = all ] && wc -l < "$data/train.jsonl" || echo "$budget")" "the word" \
            "$(cat "$out/train-$budget.seconds" 2>/dev/null || echo '?') s"
    done
    for model in qwen2.5-coder-1.5b-instruct:1.54B qwen2.5-coder-0.5b-instruct:494M gemma-3-270m:268M; do
        row "${model%%:*}-0shot" "${model##*:}" 0 "zero-shot" ""
        row "${model%%:*}-4shot" "${model##*:}" 0 "4 solved examples" ""
    done
} > "$out/table.md"
cat "$out/table.md"

# The learning curve: held-out accuracy of the tuned encoder against training words seen, with
# each decoder's better prompt as a level across it.
{
    for budget in 2400 9600 40000 all; do
        jq -c --argjson x "$([ "$budget" = all ] && wc -l < "$data/train.jsonl" || echo "$budget")" \
            '.models[0] | {series: "all-MiniLM-L6-v2 tuned (22.7M)", x: $x, y: .metrics.accuracy, low: .intervals.accuracy[0], high: .intervals.accuracy[1]}' \
            "$out/minilm-$budget/eval.json"
    done
    for model in qwen2.5-coder-1.5b-instruct qwen2.5-coder-0.5b-instruct gemma-3-270m; do
        jq -s -c --arg name "$model" 'map(.models[0]) | max_by(.metrics.accuracy) as $m
            | {series: "\($name), best prompt", y: $m.metrics.accuracy, low: $m.intervals.accuracy[0], high: $m.intervals.accuracy[1]}' \
            "$out/$model-0shot/eval.json" "$out/$model-4shot/eval.json"
    done
} > "$out/curve.jsonl"
"$afina" chart "$out/curve.jsonl" --out "$out/curve.svg" --log-x --legend-bottom --title "Spelling detection, 1,000 held-out words" \
    --x-label "training words seen" --y-label "accuracy (%)"
