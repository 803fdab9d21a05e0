// The AdamW update as a range kernel (the rule is in optim/adamw.ts): in WebAssembly where it runs
// (simd.ts, same bits), else in JavaScript.

import { simdAdamw } from './adamw-simd.js';

/** AdamW update of elements [start, end): moments m, v and the parameter d in place. */
export function adamwRange(d: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, b1: number, b2: number,
  eps: number, stepSize: number, bc2Sqrt: number, decay: number, start: number, end: number): void {
  if (simdAdamw(d, g, m, v, b1, b2, eps, stepSize, bc2Sqrt, decay, start, end)) return;
  adamwRangeJs(d, g, m, v, b1, b2, eps, stepSize, bc2Sqrt, decay, start, end);
}

export function adamwRangeJs(d: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, b1: number, b2: number,
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
