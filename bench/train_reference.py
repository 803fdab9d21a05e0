#!/usr/bin/env python3
"""PyTorch side of `npm run bench:train`: one AdamW training step at batch 64 on random data for the
same workloads as src/bench/train.ts, with the plain-torch timm-equivalent modules of
test/parity/reference.py. Prints one JSON line per workload.

The caller chooses the thread configuration: --threads N calls torch.set_num_threads(N) (omit it for
torch's default), and OPENBLAS_NUM_THREADS / OMP_NUM_THREADS in the environment set the BLAS's own
threads (Debian's torch runs its matrix products on OpenBLAS, whose threads set_num_threads does not
change).

After the timed steps, --profile-steps more steps run under torch.profiler to split the step into
matrix products (mm, addmm, bmm, baddbmm and dense convolutions, self time) and everything else.

Usage: /usr/bin/python3 bench/train_reference.py [--steps N] [--warmup N] [--threads N] [--profile-steps N] WORKLOAD...
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

GEMM_OPS = {'aten::mm', 'aten::addmm', 'aten::bmm', 'aten::baddbmm', 'aten::addbmm', 'aten::dot', 'aten::mv', 'aten::addmv'}
CONV_OPS = {'aten::mkldnn_convolution', 'aten::_slow_conv2d_forward', 'aten::_slow_conv2d_backward',
            'aten::thnn_conv2d', 'aten::_convolution_depthwise2d', 'aten::mkldnn_convolution_backward',
            'aten::convolution_backward', 'aten::_conv_depthwise2d', 'aten::_conv_depthwise2d_backward'}


def is_dense_conv(event):
    """A convolution whose weight has more than one input channel per group (not depthwise)."""
    shapes = [s for s in (event.input_shapes or []) if len(s) == 4]
    # forward: (input, weight, ...); backward: (grad_output, input, weight, ...): the weight is the last 4-D shape.
    return bool(shapes) and shapes[-1][1] > 1


def gemm_share(step, steps):
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        wall = (time.perf_counter() - t0) * 1e3
    gemm = 0.0
    for e in prof.events():
        if e.name in GEMM_OPS or (e.name in CONV_OPS and is_dense_conv(e)):
            gemm += e.self_cpu_time_total / 1e3
    return gemm / wall, wall / steps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--steps', type=int, default=10)
    ap.add_argument('--warmup', type=int, default=2)
    ap.add_argument('--threads', type=int, default=None, help='torch.set_num_threads (default: leave torch default)')
    ap.add_argument('--profile-steps', type=int, default=0)
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('workloads', nargs='+')
    a = ap.parse_args()
    if a.threads is not None:
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
        result = {'workload': name, 'batch': a.batch, 'steps': a.steps, 'msPerStepMedian': statistics.median(times),
                  'msPerStep': times, 'cpuMsPerStepMedian': statistics.median(cpu),
                  'threads': torch.get_num_threads(), 'torch': torch.__version__}
        if a.profile_steps > 0:
            share, profiled_ms = gemm_share(step, a.profile_steps)
            result['gemmShare'] = share
            result['profiledMsPerStep'] = profiled_ms
        result['peakRssMiB'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result), flush=True)


if __name__ == '__main__':
    main()
