#!/usr/bin/env bash
# Training under faults (README "Trust"). An `afina train` run (LoRA on SmolLM2, a checkpoint
# every step) is killed with SIGKILL KILLS times (default 20), half of them the moment a
# checkpoint is being written (its `.incomplete-*` folder exists), the others after a random
# delay, and resumed with --resume after each; it must end with the adapter of a run that was
# never interrupted, byte for byte. Then a run whose output folder is a 4 MiB tmpfs (room for
# one checkpoint of about 2.7 MiB, not for the next beside it) must stop with a clear error,
# free what it half wrote, and leave its last checkpoint, which resumes elsewhere to the same
# adapter (needs root for the mount).
#
#   bash scripts/fault_train.sh [KILLS]      (about 2.5 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${AFINA:-}" ] || swift build -c release --product afina
afina=$(realpath "${AFINA:-.build/release/afina}")
kills=${1:-20}
# Long enough that every kill lands before the run ends (a step takes about 0.15 s here).
steps=240
work=$(mktemp -d /tmp/afina-faults.XXXXXX)
trap 'umount "$work/full" 2>/dev/null || true; rm -rf "$work"' EXIT

for i in $(seq 0 31); do
    echo "{\"prompt\": \"Correct the spelling of this word: wrod$i\", \"completion\": \"word$i\"}"
done > "$work/train.jsonl"
cat > "$work/config.yaml" <<EOF
model: smollm2-135m-instruct
method: lora
data: {train: $work/train.jsonl, max_length: 64}
lora: {rank: 4, alpha: 8, dropout: 0.1, targets: [q_proj, v_proj]}
max_steps: $steps
batch_size: 2
learning_rate: 1e-3
save_every: 1
log_every: 1
output_dir: $work/run
EOF

"$afina" train "$work/config.yaml" "output_dir=$work/whole" > /dev/null 2>&1
echo "unbroken run: done"

# One interrupted attempt: start (or resume), wait for the moment, kill -9.
run_until_killed() {
    local at_checkpoint=$1
    # Killed before its first checkpoint was complete, a run starts again.
    if compgen -G "$work/run/checkpoints/step-*" > /dev/null; then
        "$afina" train --resume "$work/run" > "$work/attempt-$2.log" 2>&1 &
    else
        "$afina" train "$work/config.yaml" > "$work/attempt-$2.log" 2>&1 &
    fi
    local pid=$!
    if [ "$at_checkpoint" = 1 ]; then
        # Wait past the first checkpoint of this attempt, then for the next write to start.
        sleep 1
        until compgen -G "$work/run/checkpoints/.incomplete-*" > /dev/null || ! kill -0 "$pid" 2>/dev/null; do sleep 0.002; done
    else
        sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.2f", 0.5 + 4 * r / 32768 }')"
    fi
    kill -9 "$pid" 2>/dev/null && echo "killed $2 ($( [ "$at_checkpoint" = 1 ] && echo 'during a checkpoint write' || echo 'at a random moment'))" \
        || echo "attempt $2 ended before the kill: $(tail -n 1 "$work/attempt-$2.log")"
    wait "$pid" 2>/dev/null || true
}
for k in $(seq 1 "$kills"); do
    run_until_killed $((k % 2)) "$k"
    [ -f "$work/run/adapter/adapter_model.safetensors" ] && break
done
[ -f "$work/run/adapter/adapter_model.safetensors" ] || "$afina" train --resume "$work/run" > /dev/null 2>&1
if cmp -s "$work/run/adapter/adapter_model.safetensors" "$work/whole/adapter/adapter_model.safetensors"; then
    echo "resumed after every kill: adapter identical to the unbroken run"
else
    echo "FAIL: the resumed adapter differs from the unbroken run"; exit 1
fi
lines=$(grep -c '"step"' "$work/run/metrics.jsonl" || true)
echo "metrics.jsonl: $lines step lines for $steps steps"

mkdir -p "$work/full"
mount -t tmpfs -o size=4m tmpfs "$work/full"
if "$afina" train "$work/config.yaml" "output_dir=$work/full/run" > "$work/full.log" 2>&1; then
    echo "FAIL: the run on a full disk reported success"; exit 1
fi
echo "full disk: $(grep -m1 '^Error' "$work/full.log" || tail -n 1 "$work/full.log")"
last=$(compgen -G "$work/full/run/checkpoints/step-*" | tail -n 1 || true)
[ -n "$last" ] || { echo "FAIL: no checkpoint left"; exit 1; }
echo "last checkpoint left: $(basename "$last"); incomplete folders: $(compgen -G "$work/full/run/checkpoints/.incomplete-*" | wc -l)"
# The run moved to a disk with room resumes from that checkpoint to the unbroken run's adapter.
cp -r "$work/full/run" "$work/moved"
umount "$work/full"
"$afina" train --resume "$work/moved" > /dev/null 2>&1
cmp -s "$work/moved/adapter/adapter_model.safetensors" "$work/whole/adapter/adapter_model.safetensors" \
    && echo "resumed elsewhere from it: adapter identical to the unbroken run" \
    || { echo "FAIL: resuming after the full disk gave another adapter"; exit 1; }
