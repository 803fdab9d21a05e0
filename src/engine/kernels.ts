// Range kernels shared by the main thread and the helper thread (parallel.ts): plain functions over
// typed arrays whose last two arguments are the [start, end) range (elements or rows) to process.

import { geluForwardWithGrad } from './ops/activation.js';

/** o = gelu(x), d = gelu'(x) on [start, end). */
function geluFwdGrad(x: Float32Array, o: Float32Array, d: Float32Array, start: number, end: number): void {
  geluForwardWithGrad(x, o, d, start, end);
}

/** out (= | +=) a * b on [start, end). */
function mulInto(a: Float32Array, b: Float32Array, out: Float32Array, assign: boolean, start: number, end: number): void {
  if (assign) for (let i = start; i < end; i++) out[i] = a[i]! * b[i]!;
  else for (let i = start; i < end; i++) out[i] += a[i]! * b[i]!;
}

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
 * or adds dx into gx (null: not needed).
 */
export function lnBackwardRows(xd: Float32Array, wd: Float32Array, g: Float32Array, meanBuf: Float32Array, rstdBuf: Float32Array,
  d: number, gx: Float32Array | null, assign: boolean, gw: Float32Array, gb: Float32Array, r0: number, r1: number): void {
  for (let r = r0; r < r1; r++) {
    const base = r * d;
    const mu = meanBuf[r]!;
    const rstd = rstdBuf[r]!;
    // With xhat = (x - mu) * rstd and dxhat = g * w:
    // dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)).
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
    if (gx === null) continue;
    const m1 = s1 / d;
    const m2 = s2 / d;
    if (assign) {
      for (let j = 0; j < d; j++) gx[base + j] = rstd * (g[base + j]! * wd[j]! - m1 - (xd[base + j]! - mu) * rstd * m2);
    } else {
      for (let j = 0; j < d; j++) gx[base + j] += rstd * (g[base + j]! * wd[j]! - m1 - (xd[base + j]! - mu) * rstd * m2);
    }
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
  geluFwdGrad, mulInto, addSame, lnForwardRows, lnBackwardRows, adamwRange,
};

export type KernelName = 'geluFwdGrad' | 'mulInto' | 'addSame' | 'lnForwardRows' | 'lnBackwardRows' | 'adamwRange';
