// Learning-rate schedule and gradient clipping.

import type { Tensor } from '../tensor.js';

export interface CosineScheduleOptions {
  baseLr: number;
  /** Final lr at totalIters (default 0). */
  minLr?: number;
  /** Linear warm-up length in iterations (default 0). */
  warmupIters?: number;
  /** lr at iteration 0 of the warm-up (default 0). */
  warmupStartLr?: number;
  totalIters: number;
}

/**
 * lr at iteration `iter` (0-based, per optimizer step): linear warm-up from warmupStartLr to baseLr
 * over warmupIters, then half-cosine from baseLr down to minLr at totalIters (held after).
 */
export function cosineLr(iter: number, o: CosineScheduleOptions): number {
  const minLr = o.minLr ?? 0;
  const warm = o.warmupIters ?? 0;
  if (iter < warm) {
    const start = o.warmupStartLr ?? 0;
    return start + ((o.baseLr - start) * iter) / warm;
  }
  const span = Math.max(1, o.totalIters - warm);
  const t = Math.min(1, (iter - warm) / span);
  return minLr + 0.5 * (o.baseLr - minLr) * (1 + Math.cos(Math.PI * t));
}

/** The whole schedule as an array (one lr per iteration). */
export function cosineSchedule(o: CosineScheduleOptions): Float64Array {
  const out = new Float64Array(o.totalIters);
  for (let i = 0; i < o.totalIters; i++) out[i] = cosineLr(i, o);
  return out;
}

/**
 * torch.nn.utils.clip_grad_norm_: scale all gradients by maxNorm / (norm + 1e-6) when the global L2
 * norm exceeds maxNorm. Returns the norm before clipping.
 */
export function clipGradNorm(params: readonly Tensor[], maxNorm: number): number {
  let sq = 0;
  for (const p of params) {
    const g = p.grad;
    if (g === null) continue;
    for (let i = 0; i < g.length; i++) sq += g[i]! * g[i]!;
  }
  const norm = Math.sqrt(sq);
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) {
    for (const p of params) {
      const g = p.grad;
      if (g === null) continue;
      for (let i = 0; i < g.length; i++) g[i] *= coef;
    }
  }
  return norm;
}
