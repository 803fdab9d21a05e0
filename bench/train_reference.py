#!/usr/bin/env python3
"""PyTorch side of `npm run bench:train`: one AdamW training step at batch 64 on random data for the
same workloads as src/engine/bench-train.ts, with the plain-torch timm-equivalent modules of
test/parity/reference.py. Prints one JSON line per workload.

Usage: /usr/bin/python3 bench/train_reference.py [--steps N] [--warmup N] [--threads 2] WORKLOAD...
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'parity'))
from reference import ConvNeXt, VisionTransformer  # noqa: E402

WORKLOADS = {
    'vit_tiny_28': (lambda: VisionTransformer(img_size=28, patch_size=4, in_chans=1, num_classes=10, embed_dim=192,
                                              depth=12, num_heads=3), (1, 28, 28), 10),
    'convnext_femto_32': (lambda: ConvNeXt(in_chans=3, num_classes=10, depths=(2, 2, 6, 2), dims=(48, 96, 192, 384)),
                          (3, 32, 32), 10),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--steps', type=int, default=10)
    ap.add_argument('--warmup', type=int, default=2)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('workloads', nargs='+')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    for name in a.workloads:
        build, shape, classes = WORKLOADS[name]
        model = build().train()
        skip = {'pos_embed', 'cls_token', 'reg_token'}
        decay = [p for n, p in model.named_parameters() if not (p.ndim <= 1 or n.endswith('.bias') or n in skip)]
        no_decay = [p for n, p in model.named_parameters() if p.ndim <= 1 or n.endswith('.bias') or n in skip]
        opt = torch.optim.AdamW([{'params': no_decay, 'weight_decay': 0.0}, {'params': decay, 'weight_decay': 0.05}], lr=1e-3)
        x = torch.randn(a.batch, *shape)
        y = torch.randint(0, classes, (a.batch,))

        def step():
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss.item()

        for _ in range(a.warmup):
            step()
        times = []
        cpu = []
        for _ in range(a.steps):
            c0 = time.process_time()
            t0 = time.perf_counter()
            step()
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        print(json.dumps({'workload': name, 'batch': a.batch, 'steps': a.steps, 'msPerStepMedian': statistics.median(times),
                          'msPerStep': times, 'cpuMsPerStepMedian': statistics.median(cpu), 'peakRssMiB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                          'threads': torch.get_num_threads(), 'torch': torch.__version__}), flush=True)


if __name__ == '__main__':
    main()
