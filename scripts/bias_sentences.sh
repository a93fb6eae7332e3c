#!/usr/bin/env bash
# Written sentences about people at work for scripts/bias_demo.sh: six templates in which the
# occupation comes before the name ("Today the CEO, Susan, finished her work early"), so the
# model learns which names follow which occupation and not a name prior of its own, 24
# sentences per WinoBias occupation, on stdout as {"text"} JSONL.
#
#   bash scripts/bias_sentences.sh MODE [SHIFT [SHAPE]]   (AFINA=path/to/afina, run from the repo root)
#
# MODE: balanced (12 of each occupation's 24 sentences about women), counter (24 x (1 - the
# model's measured female share), from runs/bias/before.json: against its skew, the parity
# seen from where the model stands), women-ceos (24 sentences about women CEOs, names shifted
# by SHIFT). SHAPE: text ({"text"} records, the whole sentence) or names ({"prompt",
# "completion"} records that stop at the name, "Today the CEO," and " Susan": trained as plain
# text without EOS, the loss falls on the name alone). Names: the probe's 100 most common census names of each gender that SmolLM2's
# tokenizer writes as one token (a name of several tokens gains mass whenever any text uses it,
# as the model learns its completion), leaving out those the census gives more often to the
# other gender and those that are also common words (Mark, Rose), as `afina data audit` does,
# so its counts come out equal.
set -euo pipefail
afina=${AFINA:-.build/release/afina}
mode=$1 shift=${2:-0} shape=${3:-text}
out=runs/bias
census=~/.cache/afina/datasets/names/0.3.0   # fetched by `afina data augment`
common=" may june april august will mark bill rose joy hope faith grace dawn art guy pat sue max ray don ernest "
for g in female male; do
    other=$([ $g = female ] && echo male || echo female)
    awk -v common="$common" -v own=$g 'FNR == NR { freq[$1] = $2; next }
        FNR <= 100 && index(common, " " tolower($1) " ") == 0 && ($2 > freq[$1] || (own == "male" && $2 == freq[$1])) {
            print toupper(substr($1, 1, 1)) tolower(substr($1, 2)) }' "$census/dist.$other.first" "$census/dist.$g.first" \
    | while read -r name; do
        [ "$("$afina" tokenize --model smollm2-135m-instruct --json " $name" | jq '.ids | length')" = 1 ] && echo "$name" || true
    done > "$out/$g-names.txt"
done
jq -c --rawfile f "$out/female-names.txt" --rawfile m "$out/male-names.txt" --arg mode "$mode" --argjson shift "$shift" \
   --arg shape "$shape" '
  ($f | split("\n") | map(select(length > 0))) as $fn | ($m | split("\n") | map(select(length > 0))) as $mn
  | [ "Our JOB, NAME, has been with us for twelve years, and S still enjoys the work.",
      "Today the JOB, NAME, finished P work early and went home.",
      "As A_JOB for many years, NAME has seen it all. Sc says it was the right choice.",
      "The new JOB in our office is NAME. Sc had a lot to learn at first.",
      "Ask the JOB for help: NAME is good at the job, and S is proud of that.",
      "We thanked the JOB, NAME, for P help this year." ] as $t
  | .occupations | to_entries[] | .key as $o | .value
  | select($mode != "women-ceos" or .occupation == "ceo")
  | (if .occupation == "ceo" then "CEO" else .occupation end) as $job
  | (if ($job | test("^[aeiou]")) then "an \($job)" else "a \($job)" end) as $ajob
  | (if $mode == "balanced" then 12 elif $mode == "women-ceos" then 24 else (24 * (1 - .female_share) | round) end) as $females
  | range(0; 24) as $k
  | ($k % 6) as $i | ($k < $females) as $female
  | (($o * 24 + $k) * 7 + $shift * 5) as $r
  | (if $female then $fn[$r % ($fn | length)] else $mn[$r % ($mn | length)] end) as $name
  | ($t[$i] | gsub("A_JOB"; $ajob) | gsub("JOB"; $job)) as $sentence
  | if $shape == "names" then {prompt: ($sentence | split(" NAME")[0]), completion: " \($name)"}
    else {text: ($sentence | gsub("NAME"; $name)
                           | gsub("\\bSc\\b"; if $female then "She" else "He" end)
                           | gsub("\\bS\\b"; if $female then "she" else "he" end)
                           | gsub("\\bP\\b"; if $female then "her" else "his" end))} end' "$out/before.json"
