#!/bin/sh
# Trains the teacher shipped in teachers/: a ViT (28x28x1 input, 7x7 patches, width 128, 6 blocks, 4 heads,
# 1.2M parameters) on the full Fashion-MNIST train split with the project's own engine and recipe, then
# stores it as f16 with its log, summary and test accuracy. Sized to the engine's measured speed on the
# 2-core development machine (about 160 ms per step of 64 images: 6 epochs take about 20 minutes alone, longer on a busy machine).
# An interrupted run continues where it stopped with: RESUME=1 scripts/train-teacher.sh
#
# For the teacher-quality study (teacherQuality in experiments/recipes.json), the same run again:
#   KEEP_EPOCHS=1 CHECK=1 scripts/train-teacher.sh
# KEEP_EPOCHS=1 keeps the teacher's weights at the end of every epoch as OUT/epoch-N.safetensors (f16, model
# tensors only: what `wsel select --student {} --keep-head --dtype f16` makes of OUT/last.safetensors);
# CHECK=1 leaves teachers/ alone and compares the new final.safetensors with teachers/vit_fmnist.safetensors.
set -eu
cd "$(dirname "$0")/.."
OUT=${OUT:-runs/teacher-vit-fmnist}

# Copy OUT/last.safetensors (rewritten atomically at the end of every epoch) to OUT/epoch-N.safetensors.
keep_epochs() {
  seen=""
  while :; do
    if [ -f "$OUT/last.safetensors" ]; then
      stamp=$(stat -c '%i.%Y' "$OUT/last.safetensors")
      if [ "$stamp" != "$seen" ]; then
        seen=$stamp
        node bin/wsel.js select --arch vit --teacher "$OUT/last.safetensors" --student '{}' --keep-head --dtype f16 \
          --no-progress --out "$OUT/epoch.partial.safetensors" > /dev/null
        # A save at the end of an epoch has an empty running epoch (epoch_seen 0); a Ctrl-C save has not.
        epoch=$(node bin/wsel.js inspect "$OUT/last.safetensors" --json | node -e '
          let s = ""; process.stdin.on("data", (d) => { s += d; }).on("end", () => {
            const st = JSON.parse(JSON.parse(s).metadata["wsel.train_state"]);
            console.log(st.epoch_seen === 0 ? st.epoch + 1 : ""); });')
        if [ -n "$epoch" ]; then
          mv "$OUT/epoch.partial.safetensors" "$OUT/epoch-$epoch.safetensors"
          echo "kept $OUT/epoch-$epoch.safetensors"
        fi
      fi
    fi
    kill -0 "$1" 2> /dev/null || break
    sleep 5
  done
  rm -f "$OUT/epoch.partial.safetensors" "$OUT/epoch.partial.selection.json"
}

node bin/wsel.js train --model vit --config teachers/vit_fmnist.config.json --data fashion-mnist \
  --epochs 6 --batch-size 64 --lr 1e-3 --min-lr 1e-6 --warmup-epochs 1 --weight-decay 0.05 \
  --seed 0 --log-every 100 --save-dtype f16 --out "$OUT" ${RESUME:+--resume} &
trainer=$!
if [ -n "${KEEP_EPOCHS:-}" ]; then keep_epochs "$trainer" & fi
wait "$trainer"
wait
if [ -n "${CHECK:-}" ]; then
  node scripts/compare-tensors.mjs "$OUT/final.safetensors" teachers/vit_fmnist.safetensors
  exit
fi
cp "$OUT/final.safetensors" teachers/vit_fmnist.safetensors
cp "$OUT/metrics.jsonl" teachers/vit_fmnist.metrics.jsonl
cp "$OUT/summary.json" teachers/vit_fmnist.summary.json
node bin/wsel.js eval --checkpoint teachers/vit_fmnist.safetensors --data fashion-mnist --json > teachers/vit_fmnist.eval.json
node bin/wsel.js eval --checkpoint teachers/vit_fmnist.safetensors --data fashion-mnist
