// LayerNorm over the last dim (channels-last) and over channels of NCHW input (timm's LayerNorm2d).
// Per-row mean and 1/std are kept for backward; sums run in double precision.

import { gradOf, gradTarget, record } from '../autograd.js';
import { scratch } from '../pool.js';
import { allocF32 } from '../shared.js';
import { parallelFor } from '../threads/pool.js';
import { empty, shapeStr, type Tensor } from '../tensor.js';

/** LayerNorm over the last dim with affine weight and bias (both shape (D)); PyTorch semantics (biased variance). */
export function layerNorm(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps = 1e-5): Tensor {
  const d = x.shape[x.ndim - 1]!;
  if ((weight && weight.size !== d) || (bias && bias.size !== d)) throw new Error(`layerNorm: affine params do not fit ${shapeStr(x.shape)}`);
  const rows = x.size / d;
  const out = empty(x.shape);
  const xd = x.data;
  const od = out.data;
  // Missing affine parameters act as ones / zeros, so the loops stay branch-free.
  const wd = weight?.data ?? constFor(d, 1);
  const bd = bias?.data ?? constFor(d, 0);
  const meanBuf = scratch(rows);
  const rstdBuf = scratch(rows);
  parallelFor('lnForwardRows', [xd, wd, bd, od, meanBuf, rstdBuf, d, eps], rows, { cost: 3 * d });
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  return record(out, 'layerNorm', inputs, (g) => {
    const tx = gradTarget(x);
    if (tx) parallelFor('lnBackwardRows', [xd, wd, g, meanBuf, rstdBuf, d, tx.buf, tx.fresh], rows, { cost: 4 * d });
    const gw = (weight ? gradOf(weight) : null) ?? scratchSink(d);
    const gb = (bias ? gradOf(bias) : null) ?? scratchSink(d);
    parallelFor('lnBackwardCols', [xd, g, meanBuf, rstdBuf, d, rows, gw, gb], d, { cost: 3 * rows });
  });
}

const constCache = new Map<string, Float32Array>();
/** A shared read-only vector of n copies of v. */
function constFor(n: number, v: number): Float32Array {
  const key = `${n}:${v}`;
  let c = constCache.get(key);
  if (c === undefined) { c = allocF32(n).fill(v); constCache.set(key, c); }
  return c;
}

let sink: Float32Array = new Float32Array(0);
/** A throwaway accumulator for gradients nobody asked for. */
function scratchSink(n: number): Float32Array {
  if (sink.length < n) sink = allocF32(n);
  return sink;
}

/** LayerNorm over the channel dim of NCHW input (timm LayerNorm2d); weight and bias are (C). */
export function layerNorm2d(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps = 1e-6): Tensor {
  if (x.ndim !== 4) throw new Error(`layerNorm2d: expected (B, C, H, W), got ${shapeStr(x.shape)}`);
  const [b, c, h, w] = x.shape as [number, number, number, number];
  const hw = h * w;
  const out = empty(x.shape);
  const xd = x.data;
  const od = out.data;
  const wd = weight?.data ?? null;
  const bd = bias?.data ?? null;
  const meanBuf = scratch(b * hw);
  const rstdBuf = scratch(b * hw);
  // Per-pixel moments over the channels in double precision, the same arithmetic as layerNorm's
  // rows (so NCHW here and channels-last there give the same bits), accumulated plane by plane so
  // the inner loop is contiguous.
  const s = new Float64Array(hw);
  const ss = new Float64Array(hw);
  const mu = new Float64Array(hw);
  const rs = new Float64Array(hw);
  for (let n = 0; n < b; n++) {
    const nb = n * c * hw;
    const mb = n * hw;
    s.fill(0); ss.fill(0);
    for (let ch = 0; ch < c; ch++) {
      const pb = nb + ch * hw;
      for (let p = 0; p < hw; p++) { const v = xd[pb + p]!; s[p] += v; ss[p] += v * v; }
    }
    for (let p = 0; p < hw; p++) {
      const m = s[p]! / c;
      mu[p] = m;
      rs[p] = 1 / Math.sqrt(Math.max(ss[p]! / c - m * m, 0) + eps);
      meanBuf[mb + p] = m;
      rstdBuf[mb + p] = rs[p]!;
    }
    for (let ch = 0; ch < c; ch++) {
      const pb = nb + ch * hw;
      const wv = wd ? wd[ch]! : 1;
      const bv = bd ? bd[ch]! : 0;
      for (let p = 0; p < hw; p++) od[pb + p] = (xd[pb + p]! - mu[p]!) * rs[p]! * wv + bv;
    }
  }
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  return record(out, 'layerNorm2d', inputs, (g) => {
    const gx = gradOf(x);
    const gw = weight ? gradOf(weight) : null;
    const gb = bias ? gradOf(bias) : null;
    const s1 = new Float64Array(hw);
    const s2 = new Float64Array(hw);
    for (let n = 0; n < b; n++) {
      const nb = n * c * hw;
      const mb = n * hw;
      s1.fill(0); s2.fill(0);
      for (let ch = 0; ch < c; ch++) {
        const pb = nb + ch * hw;
        const wv = wd ? wd[ch]! : 1;
        let gws = 0;
        let gbs = 0;
        for (let p = 0; p < hw; p++) {
          const xh = (xd[pb + p]! - meanBuf[mb + p]!) * rstdBuf[mb + p]!;
          const gj = g[pb + p]!;
          const dxh = gj * wv;
          s1[p] += dxh;
          s2[p] += dxh * xh;
          gws += gj * xh;
          gbs += gj;
        }
        if (gw) gw[ch] += gws;
        if (gb) gb[ch] += gbs;
      }
      if (gx) {
        for (let ch = 0; ch < c; ch++) {
          const pb = nb + ch * hw;
          const wv = wd ? wd[ch]! : 1;
          for (let p = 0; p < hw; p++) {
            const rstd = rstdBuf[mb + p]!;
            const xh = (xd[pb + p]! - meanBuf[mb + p]!) * rstd;
            gx[pb + p] += rstd * (g[pb + p]! * wv - s1[p]! / c - xh * s2[p]! / c);
          }
        }
      }
    }
  });
}
