#!/bin/sh
# Trains the teacher shipped in teachers/: a ViT (28x28x1 input, 7x7 patches, width 128, 6 blocks, 4 heads,
# 1.2M parameters) on the full Fashion-MNIST train split with the project's own engine and recipe, then
# stores it as f16 with its log, summary and test accuracy. Sized to the engine's measured speed on the
# 2-core development machine (about 160 ms per step of 64 images: 6 epochs take about 20 minutes alone, longer on a busy machine).
# An interrupted run continues where it stopped with: RESUME=1 scripts/train-teacher.sh
set -eu
cd "$(dirname "$0")/.."
OUT=${OUT:-runs/teacher-vit-fmnist}
node bin/wsel.js train --model vit --config teachers/vit_fmnist.config.json --data fashion-mnist \
  --epochs 6 --batch-size 64 --lr 1e-3 --min-lr 1e-6 --warmup-epochs 1 --weight-decay 0.05 \
  --seed 0 --log-every 100 --save-dtype f16 --out "$OUT" ${RESUME:+--resume}
cp "$OUT/final.safetensors" teachers/vit_fmnist.safetensors
cp "$OUT/metrics.jsonl" teachers/vit_fmnist.metrics.jsonl
cp "$OUT/summary.json" teachers/vit_fmnist.summary.json
node bin/wsel.js eval --checkpoint teachers/vit_fmnist.safetensors --data fashion-mnist --json > teachers/vit_fmnist.eval.json
node bin/wsel.js eval --checkpoint teachers/vit_fmnist.safetensors --data fashion-mnist
