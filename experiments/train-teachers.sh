#!/bin/sh
# The teachers this project adds to teachers/ (the supervised ViT comes from scripts/train-teacher.sh):
#   convnext_fmnist  - ConvNeXt (depths 2,2,4,2, dims 32,64,128,256; 1.9M parameters), supervised on all
#                      60,000 Fashion-MNIST train images, 5 epochs, stored as f16;
#   vit_fmnist_rotation - the supervised ViT's architecture trained WITHOUT labels, on rotation prediction
#                      (every Fashion-MNIST train image at 0/90/180/270 degrees; scripts/train-rotation-teacher.ts).
# Each step continues an interrupted run with RESUME=1. OPENBLAS_NUM_THREADS=1 lets both share 2 cores.
set -eu
cd "$(dirname "$0")/.."
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
OUT=${OUT:-runs/teacher-convnext-fmnist}
node bin/wsel.js train --model convnext --config teachers/convnext_fmnist.config.json --data fashion-mnist --epochs 5 \
  --batch-size 64 --lr 1e-3 --min-lr 1e-6 --warmup-epochs 0.5 --weight-decay 0.05 --seed 0 --log-every 100 --save-dtype f16 \
  --no-progress --out "$OUT" ${RESUME:+--resume}
cp "$OUT/final.safetensors" teachers/convnext_fmnist.safetensors
cp "$OUT/metrics.jsonl" teachers/convnext_fmnist.metrics.jsonl
cp "$OUT/summary.json" teachers/convnext_fmnist.summary.json
node bin/wsel.js eval --checkpoint teachers/convnext_fmnist.safetensors --data fashion-mnist --json > teachers/convnext_fmnist.eval.json

npx tsx scripts/train-rotation-teacher.ts --steps 3750 --out runs/teacher-vit-fmnist-rotation ${RESUME:+--resume}
