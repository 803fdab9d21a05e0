// Training-step benchmark: one AdamW step (forward, cross-entropy, backward, update) at batch 64 on
// random data, for workloads defined identically in bench/train_reference.py (PyTorch). After the
// timed steps, a few more run with the engine's profiling timers on (engine/profile.ts): the share
// of the step in matrix products, the time by op, and the step's FLOPs computed from the shapes the
// ops see. Timed steps run with the timers off.

import {
  AdamW, backward, blasBackend, crossEntropy, initThreads, markProfile, noGrad, paramGroupsWeightDecay, Rng,
  setBlasThreads, startProfile, stopProfile, tensor, threadsInfo, tidy, type ProfileReport,
} from '../engine/index.js';
import { createModel, type Model } from '../models/index.js';

export interface TrainWorkload {
  readonly name: string;
  readonly description: string;
  readonly input: [number, number, number];
  readonly numClasses: number;
  build(): Model;
}

export const TRAIN_WORKLOADS: Readonly<Record<string, TrainWorkload>> = {
  vit_tiny_28: {
    name: 'vit_tiny_28',
    description: 'ViT 28x28x1, patch 4 (49 patches + class token), width 192, depth 12, 3 heads, MLP 768, 10 classes',
    input: [1, 28, 28],
    numClasses: 10,
    build: () => createModel('vit', { img_size: 28, patch_size: 4, in_chans: 1, num_classes: 10, embed_dim: 192, depth: 12, num_heads: 3 }),
  },
  convnext_femto_32: {
    name: 'convnext_femto_32',
    description: 'ConvNeXt 32x32x3, stem 4x4/4, depths 2,2,6,2, dims 48,96,192,384, dw 7x7, Linear MLP x4, layer scale, GAP head, 10 classes',
    input: [3, 32, 32],
    numClasses: 10,
    build: () => createModel('convnext', { in_chans: 3, num_classes: 10, depths: [2, 2, 6, 2], dims: [48, 96, 192, 384] }),
  },
};

export interface BenchTrainOptions {
  workload: string;
  /** Timed steps (median is reported); default 10. */
  steps?: number;
  /** Untimed steps first (pool warm-up, JIT); default 2. */
  warmup?: number;
  /** Steps run with the profiling timers on, after the timed ones; default 2. */
  profileSteps?: number;
  batch?: number;
  seed?: number;
  /** BLAS threads (OpenBLAS only); default: leave as configured. */
  threads?: number;
}

export interface BenchProfile {
  /** Wall time of a profiled step (timers on). */
  msPerStep: number;
  /** Share of the profiled step inside matrix products. */
  gemmShare: number;
  /** FLOPs of one step (matrix products and convolutions, forward and backward) from the op shapes. */
  modelFlops: number;
  /** The ops that took the most time, ms per step. */
  topOps: { op: string; ms: number; calls: number }[];
}

export interface BenchTrainResult {
  workload: string;
  batch: number;
  steps: number;
  msPerStepMedian: number;
  msPerStep: number[];
  /** Median process CPU time (all threads, user + system) per step. */
  cpuMsPerStepMedian: number;
  /** Peak resident set size of the process so far, MiB. */
  peakRssMiB: number;
  backend: string;
  /** Threads of the matrix products. */
  threads: number;
  /** Threads running the engine's own kernels (the thread pool). */
  kernelThreads: number;
  finalLoss: number;
  profile: BenchProfile | null;
}

export async function benchTrain(opts: BenchTrainOptions): Promise<BenchTrainResult> {
  const w = TRAIN_WORKLOADS[opts.workload];
  if (!w) throw new Error(`unknown workload '${opts.workload}'; known: ${Object.keys(TRAIN_WORKLOADS).join(', ')}`);
  const steps = opts.steps ?? 10;
  const warmup = opts.warmup ?? 2;
  const profileSteps = opts.profileSteps ?? 2;
  const batch = opts.batch ?? 64;
  if (opts.threads !== undefined) setBlasThreads(opts.threads);
  // Helpers ready before the first step, and buffers allocated on shared memory from the start.
  await initThreads();
  const rng = new Rng(opts.seed ?? 0);
  const model = w.build();
  model.train();
  const opt = new AdamW(paramGroupsWeightDecay(model.namedParameters(), 0.05, model.noWeightDecay()), { lr: 1e-3 });
  const [c, h, wd] = w.input;
  const x = tensor(new Float32Array(batch * c * h * wd).map(() => rng.normal()), [batch, c, h, wd]);
  const labels = Int32Array.from({ length: batch }, () => rng.int(w.numClasses));
  const step = (): number => tidy(() => {
    opt.zeroGrad();
    markProfile('zeroGrad');
    const loss = crossEntropy(model.forward(x), labels);
    backward(loss);
    noGrad(() => opt.step());
    markProfile('optimizer');
    return loss.item();
  });
  let loss = NaN;
  for (let i = 0; i < warmup; i++) loss = step();
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < steps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    loss = step();
    times.push(performance.now() - t0);
    const c1 = process.cpuUsage(c0);
    cpu.push((c1.user + c1.system) / 1000);
  }
  let profile: BenchProfile | null = null;
  if (profileSteps > 0) {
    startProfile();
    for (let i = 0; i < profileSteps; i++) loss = step();
    profile = summarize(stopProfile(), profileSteps);
  }
  const be = blasBackend();
  return {
    workload: w.name, batch, steps, msPerStepMedian: medianOf(times), msPerStep: times, cpuMsPerStepMedian: medianOf(cpu),
    peakRssMiB: process.resourceUsage().maxRSS / 1024, backend: be.name, threads: be.threads,
    kernelThreads: threadsInfo().threads, finalLoss: loss, profile,
  };
}

function summarize(report: ProfileReport, steps: number): BenchProfile {
  return {
    msPerStep: report.totalMs / steps,
    gemmShare: report.gemm.ms / report.totalMs,
    modelFlops: report.modelFlops / steps,
    topOps: Object.entries(report.ops).slice(0, 12).map(([op, t]) => ({ op, ms: t.ms / steps, calls: t.calls / steps })),
  };
}

export function medianOf(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
