// Dropout and drop-path (stochastic depth). Both draw from an explicit seeded Rng and are the identity
// when not training or p = 0 (no copy, no node).

import { gradOf, record } from '../autograd.js';
import { scratch } from '../pool.js';
import type { Rng } from '../random.js';
import { empty, type Tensor } from '../tensor.js';

/** Zero each element with probability p and scale survivors by 1/(1-p). */
export function dropout(x: Tensor, p: number, rng: Rng, training = true): Tensor {
  if (!training || p === 0) return x;
  if (p < 0 || p >= 1) throw new Error(`dropout: p must be in [0, 1), got ${p}`);
  const keep = 1 - p;
  const scale = 1 / keep;
  const mask = scratch(x.size);
  for (let i = 0; i < mask.length; i++) mask[i] = rng.uniform() < keep ? scale : 0;
  const out = empty(x.shape);
  const xd = x.data;
  const od = out.data;
  for (let i = 0; i < xd.length; i++) od[i] = xd[i]! * mask[i]!;
  return record(out, 'dropout', [x], (g) => {
    const gx = gradOf(x)!;
    for (let i = 0; i < g.length; i++) gx[i] += g[i]! * mask[i]!;
  });
}

/**
 * Stochastic depth: drop the whole residual branch of a sample (dim 0) with probability p, scaling
 * kept samples by 1/(1-p) (timm drop_path with scale_by_keep).
 */
export function dropPath(x: Tensor, p: number, rng: Rng, training = true): Tensor {
  if (!training || p === 0) return x;
  if (p < 0 || p >= 1) throw new Error(`dropPath: p must be in [0, 1), got ${p}`);
  const b = x.shape[0]!;
  const per = x.size / b;
  const keep = 1 - p;
  const mask = scratch(b);
  for (let i = 0; i < b; i++) mask[i] = rng.uniform() < keep ? 1 / keep : 0;
  const out = empty(x.shape);
  const xd = x.data;
  const od = out.data;
  for (let n = 0; n < b; n++) {
    const m = mask[n]!;
    const base = n * per;
    for (let i = 0; i < per; i++) od[base + i] = xd[base + i]! * m;
  }
  return record(out, 'dropPath', [x], (g) => {
    const gx = gradOf(x)!;
    for (let n = 0; n < b; n++) {
      const m = mask[n]!;
      if (m === 0) continue;
      const base = n * per;
      for (let i = 0; i < per; i++) gx[base + i] += g[base + i]! * m;
    }
  });
}
