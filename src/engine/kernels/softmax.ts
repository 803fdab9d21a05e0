// Row-wise softmax pieces: the in-place softmax of attention scores, its backward, and the one
// log-sum-exp row loop every log-softmax and cross-entropy uses.

/** Softmax in place of rows [r0, r1) of length n, row r starting at off + r * ld. */
export function softmaxRows(buf: Float32Array, off: number, n: number, ld: number, r0: number, r1: number): void {
  for (let r = r0; r < r1; r++) {
    const base = off + r * ld;
    let mx = -Infinity;
    for (let j = 0; j < n; j++) if (buf[base + j]! > mx) mx = buf[base + j]!;
    let s = 0;
    for (let j = 0; j < n; j++) { const e = Math.exp(buf[base + j]! - mx); buf[base + j] = e; s += e; }
    const inv = 1 / s;
    for (let j = 0; j < n; j++) buf[base + j] *= inv;
  }
}

/**
 * log(sum_j exp(src[base + j] / t)) over one row of n values, shifted by the row maximum so no exp
 * overflows. t = 1 divides exactly, so it costs no precision.
 */
export function logSumExpRow(src: Float32Array, base: number, n: number, t = 1): number {
  let mx = -Infinity;
  for (let j = 0; j < n; j++) if (src[base + j]! / t > mx) mx = src[base + j]! / t;
  let s = 0;
  for (let j = 0; j < n; j++) s += Math.exp(src[base + j]! / t - mx);
  return mx + Math.log(s);
}

/** Softmax backward in place over rows [r0, r1) of length n: dp = p * (dp - sum(dp * p)). */
export function softmaxBackwardRows(dp: Float32Array, p: Float32Array, n: number, r0: number, r1: number): void {
  for (let r = r0; r < r1; r++) {
    const base = r * n;
    let dot = 0;
    for (let j = 0; j < n; j++) dot += dp[base + j]! * p[base + j]!;
    for (let j = 0; j < n; j++) dp[base + j] = p[base + j]! * (dp[base + j]! - dot);
  }
}
