// Range kernels shared by the main thread and the helper thread (parallel.ts): plain functions over
// typed arrays whose last two arguments are the [start, end) range (elements or rows) to process.

import { geluBackward, geluForward } from './ops/activation.js';

/** o = a + b on [start, end). */
function addSame(a: Float32Array, b: Float32Array, o: Float32Array, start: number, end: number): void {
  for (let i = start; i < end; i++) o[i] = a[i]! + b[i]!;
}

/** LayerNorm forward of rows [r0, r1) of width d; saves mean and 1/std per row. */
export function lnForwardRows(xd: Float32Array, wd: Float32Array, bd: Float32Array, od: Float32Array,
  meanBuf: Float32Array, rstdBuf: Float32Array, d: number, eps: number, r0: number, r1: number): void {
  for (let r = r0; r < r1; r++) {
    const base = r * d;
    // One pass for both moments, in double precision: var = E[x^2] - mean^2 loses only
    // ~1e-16 * (mean/std)^2 relative, negligible for activations.
    let s = 0;
    let ss = 0;
    for (let j = 0; j < d; j++) { const v = xd[base + j]!; s += v; ss += v * v; }
    const mu = s / d;
    const rstd = 1 / Math.sqrt(Math.max(ss / d - mu * mu, 0) + eps);
    meanBuf[r] = mu;
    rstdBuf[r] = rstd;
    for (let j = 0; j < d; j++) od[base + j] = (xd[base + j]! - mu) * rstd * wd[j]! + bd[j]!;
  }
}

/**
 * LayerNorm backward of rows [r0, r1): accumulates d(weight), d(bias) into gw, gb and writes (assign)
 * or adds dx into gx (null: not needed). Rows go four at a time so gw and gb are read and written
 * once per four rows.
 */
export function lnBackwardRows(xd: Float32Array, wd: Float32Array, g: Float32Array, meanBuf: Float32Array, rstdBuf: Float32Array,
  d: number, gx: Float32Array | null, assign: boolean, gw: Float32Array, gb: Float32Array, r0: number, r1: number): void {
  let r = r0;
  for (; r + 4 <= r1; r += 4) {
    const b0 = r * d, b1 = b0 + d, b2 = b1 + d, b3 = b2 + d;
    const m0 = meanBuf[r]!, m1 = meanBuf[r + 1]!, m2 = meanBuf[r + 2]!, m3 = meanBuf[r + 3]!;
    const s0 = rstdBuf[r]!, s1 = rstdBuf[r + 1]!, s2 = rstdBuf[r + 2]!, s3 = rstdBuf[r + 3]!;
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0; // sum(dxhat) per row
    let c0 = 0, c1 = 0, c2 = 0, c3 = 0; // sum(dxhat * xhat) per row
    for (let j = 0; j < d; j++) {
      const w = wd[j]!;
      const x0 = (xd[b0 + j]! - m0) * s0, x1 = (xd[b1 + j]! - m1) * s1;
      const x2 = (xd[b2 + j]! - m2) * s2, x3 = (xd[b3 + j]! - m3) * s3;
      const g0 = g[b0 + j]!, g1 = g[b1 + j]!, g2 = g[b2 + j]!, g3 = g[b3 + j]!;
      a0 += g0 * w; a1 += g1 * w; a2 += g2 * w; a3 += g3 * w;
      c0 += g0 * w * x0; c1 += g1 * w * x1; c2 += g2 * w * x2; c3 += g3 * w * x3;
      gw[j] += g0 * x0 + g1 * x1 + g2 * x2 + g3 * x3;
      gb[j] += g0 + g1 + g2 + g3;
    }
    if (gx === null) continue;
    lnDx(xd, wd, g, b0, m0, s0, a0 / d, c0 / d, d, gx, assign);
    lnDx(xd, wd, g, b1, m1, s1, a1 / d, c1 / d, d, gx, assign);
    lnDx(xd, wd, g, b2, m2, s2, a2 / d, c2 / d, d, gx, assign);
    lnDx(xd, wd, g, b3, m3, s3, a3 / d, c3 / d, d, gx, assign);
  }
  for (; r < r1; r++) {
    const base = r * d;
    const mu = meanBuf[r]!;
    const rstd = rstdBuf[r]!;
    let s1 = 0;
    let s2 = 0;
    for (let j = 0; j < d; j++) {
      const xh = (xd[base + j]! - mu) * rstd;
      const gj = g[base + j]!;
      const dxh = gj * wd[j]!;
      s1 += dxh;
      s2 += dxh * xh;
      gw[j] += gj * xh;
      gb[j] += gj;
    }
    if (gx !== null) lnDx(xd, wd, g, base, mu, rstd, s1 / d, s2 / d, d, gx, assign);
  }
}

/** dx of one row: rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), dxhat = g * w. */
function lnDx(xd: Float32Array, wd: Float32Array, g: Float32Array, base: number, mu: number, rstd: number,
  m1: number, m2: number, d: number, gx: Float32Array, assign: boolean): void {
  if (assign) {
    for (let j = 0; j < d; j++) gx[base + j] = rstd * (g[base + j]! * wd[j]! - m1 - (xd[base + j]! - mu) * rstd * m2);
  } else {
    for (let j = 0; j < d; j++) gx[base + j] += rstd * (g[base + j]! * wd[j]! - m1 - (xd[base + j]! - mu) * rstd * m2);
  }
}

/** AdamW update of elements [start, end) (see optim/adamw.ts for the rule). */
export function adamwRange(d: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, b1: number, b2: number,
  eps: number, stepSize: number, bc2Sqrt: number, decay: number, start: number, end: number): void {
  const c1 = 1 - b1;
  const c2 = 1 - b2;
  for (let i = start; i < end; i++) {
    const gi = g[i]!;
    const mi = b1 * m[i]! + c1 * gi;
    const vi = b2 * v[i]! + c2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    d[i] = d[i]! * decay - (stepSize * mi) / (Math.sqrt(vi) / bc2Sqrt + eps);
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyKernel = (...args: any[]) => void;

export const KERNELS: Readonly<Record<string, AnyKernel>> = {
  geluForward, geluBackward, addSame, lnForwardRows, lnBackwardRows, adamwRange,
};

export type KernelName = 'geluForward' | 'geluBackward' | 'addSame' | 'lnForwardRows' | 'lnBackwardRows' | 'adamwRange';
