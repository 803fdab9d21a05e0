// LayerNorm over rows of width d as range kernels. Backward is split so that every output element is
// computed the same way whichever thread runs it: dx by rows, the weight and bias gradients (sums over
// rows) by columns, each column summed over the rows in one fixed order. Elementwise loops go four
// at a time (the sums stay sequential: their order is part of the result).

/** Forward of rows [r0, r1); saves mean and 1/std per row. */
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
    let j = 0;
    for (; j + 4 <= d; j += 4) {
      od[base + j] = (xd[base + j]! - mu) * rstd * wd[j]! + bd[j]!;
      od[base + j + 1] = (xd[base + j + 1]! - mu) * rstd * wd[j + 1]! + bd[j + 1]!;
      od[base + j + 2] = (xd[base + j + 2]! - mu) * rstd * wd[j + 2]! + bd[j + 2]!;
      od[base + j + 3] = (xd[base + j + 3]! - mu) * rstd * wd[j + 3]! + bd[j + 3]!;
    }
    for (; j < d; j++) od[base + j] = (xd[base + j]! - mu) * rstd * wd[j]! + bd[j]!;
  }
}

/**
 * dx of rows [r0, r1), written (assign) or added into gx:
 * rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), dxhat = g * w.
 */
export function lnBackwardRows(xd: Float32Array, wd: Float32Array, g: Float32Array, meanBuf: Float32Array,
  rstdBuf: Float32Array, d: number, gx: Float32Array, assign: boolean, r0: number, r1: number): void {
  for (let r = r0; r < r1; r++) {
    const base = r * d;
    const mu = meanBuf[r]!;
    const rstd = rstdBuf[r]!;
    let s1 = 0;
    let s2 = 0;
    for (let j = 0; j < d; j++) {
      const dxh = g[base + j]! * wd[j]!;
      s1 += dxh;
      s2 += dxh * ((xd[base + j]! - mu) * rstd);
    }
    const m1 = s1 / d;
    const m2 = s2 / d;
    if (assign) {
      let j = 0;
      for (; j + 4 <= d; j += 4) {
        gx[base + j] = rstd * (g[base + j]! * wd[j]! - m1 - (xd[base + j]! - mu) * rstd * m2);
        gx[base + j + 1] = rstd * (g[base + j + 1]! * wd[j + 1]! - m1 - (xd[base + j + 1]! - mu) * rstd * m2);
        gx[base + j + 2] = rstd * (g[base + j + 2]! * wd[j + 2]! - m1 - (xd[base + j + 2]! - mu) * rstd * m2);
        gx[base + j + 3] = rstd * (g[base + j + 3]! * wd[j + 3]! - m1 - (xd[base + j + 3]! - mu) * rstd * m2);
      }
      for (; j < d; j++) gx[base + j] = rstd * (g[base + j]! * wd[j]! - m1 - (xd[base + j]! - mu) * rstd * m2);
    } else {
      for (let j = 0; j < d; j++) gx[base + j] += rstd * (g[base + j]! * wd[j]! - m1 - (xd[base + j]! - mu) * rstd * m2);
    }
  }
}

/**
 * Weight and bias gradients of columns [j0, j1): gw[j] += sum_r g * xhat, gb[j] += sum_r g over all
 * `rows`. Rows go four at a time so the sums of a column are read and written once per four rows.
 */
export function lnBackwardCols(xd: Float32Array, g: Float32Array, meanBuf: Float32Array, rstdBuf: Float32Array,
  d: number, rows: number, gw: Float32Array, gb: Float32Array, j0: number, j1: number): void {
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const b0 = r * d, b1 = b0 + d, b2 = b1 + d, b3 = b2 + d;
    const m0 = meanBuf[r]!, m1 = meanBuf[r + 1]!, m2 = meanBuf[r + 2]!, m3 = meanBuf[r + 3]!;
    const s0 = rstdBuf[r]!, s1 = rstdBuf[r + 1]!, s2 = rstdBuf[r + 2]!, s3 = rstdBuf[r + 3]!;
    for (let j = j0; j < j1; j++) {
      const x0 = (xd[b0 + j]! - m0) * s0, x1 = (xd[b1 + j]! - m1) * s1;
      const x2 = (xd[b2 + j]! - m2) * s2, x3 = (xd[b3 + j]! - m3) * s3;
      const g0 = g[b0 + j]!, g1 = g[b1 + j]!, g2 = g[b2 + j]!, g3 = g[b3 + j]!;
      gw[j] += g0 * x0 + g1 * x1 + g2 * x2 + g3 * x3;
      gb[j] += g0 + g1 + g2 + g3;
    }
  }
  for (; r < rows; r++) {
    const base = r * d;
    const mu = meanBuf[r]!;
    const rstd = rstdBuf[r]!;
    for (let j = j0; j < j1; j++) {
      const gj = g[base + j]!;
      gw[j] += gj * ((xd[base + j]! - mu) * rstd);
      gb[j] += gj;
    }
  }
}
