// GELU (exact erf form, PyTorch's default), softmax and log-softmax over the last dim.

import { gradOf, gradTarget, record } from '../autograd.js';
import { logSumExpRow } from '../kernels/softmax.js';
import { parallelFor } from '../threads/pool.js';
import { empty, type Tensor } from '../tensor.js';

// Rough nanoseconds per element of the GELU kernels (kernels/gelu.ts), for the thread pool.
const GELU_COST = 4;

export function gelu(x: Tensor): Tensor {
  const out = empty(x.shape);
  const xd = x.data;
  // Backward re-evaluates gelu' from x: storing it in forward instead measured no faster (one more
  // memory stream each way) and held another activation-sized buffer per layer.
  parallelFor('geluForward', [xd, out.data], xd.length, { cost: GELU_COST });
  return record(out, 'gelu', [x], (g) => {
    const gx = gradTarget(x)!;
    parallelFor('geluBackward', [xd, g, gx.buf, gx.fresh], g.length, { cost: GELU_COST });
  });
}

/** Softmax over the last dim. */
export function softmax(x: Tensor): Tensor {
  const n = x.shape[x.ndim - 1]!;
  const rows = x.size / n;
  const out = empty(x.shape);
  const od = out.data;
  od.set(x.data);
  parallelFor('softmaxRows', [od, 0, n, n], rows, { cost: 15 * n });
  return record(out, 'softmax', [x], (g) => {
    const gx = gradOf(x)!;
    // dx = p * (g - sum(g * p)).
    for (let r = 0; r < rows; r++) {
      const base = r * n;
      let dot = 0;
      for (let j = 0; j < n; j++) dot += g[base + j]! * od[base + j]!;
      for (let j = 0; j < n; j++) gx[base + j] += od[base + j]! * (g[base + j]! - dot);
    }
  });
}

/** log(softmax(x)) over the last dim, computed stably. */
export function logSoftmax(x: Tensor): Tensor {
  const n = x.shape[x.ndim - 1]!;
  const rows = x.size / n;
  const out = empty(x.shape);
  const xd = x.data;
  const od = out.data;
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    const lse = logSumExpRow(xd, base, n);
    for (let j = 0; j < n; j++) od[base + j] = xd[base + j]! - lse;
  }
  return record(out, 'logSoftmax', [x], (g) => {
    const gx = gradOf(x)!;
    // dx = g - softmax * sum(g).
    for (let r = 0; r < rows; r++) {
      const base = r * n;
      let s = 0;
      for (let j = 0; j < n; j++) s += g[base + j]!;
      for (let j = 0; j < n; j++) gx[base + j] += g[base + j]! - Math.exp(od[base + j]!) * s;
    }
  });
}
