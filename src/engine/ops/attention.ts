// Scaled dot-product attention, softmax(q k^T * scale) v, per (batch, head), fused: the scores live
// in one probability buffer kept for backward, and each head's q/k/v/output are addressed in place
// through offsets and leading dimensions handed to sgemm — a packed (B, T, 3*D) qkv projection is
// never split or permuted.

import { gradCount, gradOf, gradTarget, record } from '../autograd.js';
import { sgemmBatched } from '../blas.js';
import { countFlops, profiling } from '../profile.js';
import { pool, scratch } from '../pool.js';
import { empty, shapeStr, type Tensor } from '../tensor.js';
import { parallelFor } from '../threads/pool.js';

/** Where head (b, h) of an operand lives: offset base + b*bStride + h*hStride, row stride ld. */
interface HeadLayout {
  base: number;
  bStride: number;
  hStride: number;
  ld: number;
}

interface AttnDims {
  batch: number;
  heads: number;
  tq: number;
  tk: number;
  hd: number;
  scale: number;
}

// Products go one head at a time, each as one batched GEMM over the batch (stride bStride), so there
// are 2 (forward) and 4 (backward) BLAS calls per head rather than per (sample, head); the softmax and
// its backward run once over the rows of every head, split across the thread pool.
const hoff = (l: HeadLayout, h: number): number => l.base + h * l.hStride;

// Rough nanoseconds per score of the softmax row kernels (an exp each), for the thread pool.
const SOFTMAX_COST = 12;

function attnForward(d: AttnDims, qd: Float32Array, ql: HeadLayout, kd: Float32Array, kl: HeadLayout,
  vd: Float32Array, vl: HeadLayout, od: Float32Array, ol: HeadLayout, probs: Float32Array): void {
  const { batch, heads, tq, tk, hd, scale } = d;
  const ps = heads * tq * tk; // probs stride between samples; layout (B, H, Tq, Tk)
  for (let h = 0; h < heads; h++) {
    sgemmBatched(batch, ql.bStride, kl.bStride, ps, false, true, tq, tk, hd, scale,
      qd, hoff(ql, h), ql.ld, kd, hoff(kl, h), kl.ld, 0, probs, h * tq * tk, tk);
  }
  parallelFor('softmaxRows', [probs, 0, tk, tk], batch * heads * tq, { cost: SOFTMAX_COST * tk });
  for (let h = 0; h < heads; h++) {
    sgemmBatched(batch, ps, vl.bStride, ol.bStride, false, false, tq, hd, tk, 1,
      probs, h * tq * tk, tk, vd, hoff(vl, h), vl.ld, 0, od, hoff(ol, h), ol.ld);
  }
}

/** FLOPs of one of attention's products (q k^T, or p v): 2 * B * H * Tq * Tk * hd. */
function attnFlops(d: AttnDims): number {
  return 2 * d.batch * d.heads * d.tq * d.tk * d.hd;
}

/** Gradients into gq/gk/gv; beta 0 overwrites (fresh buffers whose head regions tile them exactly). */
function attnBackward(d: AttnDims, g: Float32Array, ol: HeadLayout, probs: Float32Array,
  qd: Float32Array, ql: HeadLayout, kd: Float32Array, kl: HeadLayout, vd: Float32Array, vl: HeadLayout,
  gq: Float32Array | null, gk: Float32Array | null, gv: Float32Array | null, beta: number): void {
  const { batch, heads, tq, tk, hd, scale } = d;
  const ps = heads * tq * tk;
  for (let h = 0; h < heads && gv; h++) {
    sgemmBatched(batch, ps, ol.bStride, vl.bStride, true, false, tk, hd, tq, 1,
      probs, h * tq * tk, tk, g, hoff(ol, h), ol.ld, beta, gv, hoff(vl, h), vl.ld);
  }
  if (!gq && !gk) return;
  // dP = dO v^T, then dS = P * (dP - rowsum(dP * P)), laid out like probs.
  const dp = pool.alloc(batch * ps);
  for (let h = 0; h < heads; h++) {
    sgemmBatched(batch, ol.bStride, vl.bStride, ps, false, true, tq, tk, hd, 1,
      g, hoff(ol, h), ol.ld, vd, hoff(vl, h), vl.ld, 0, dp, h * tq * tk, tk);
  }
  parallelFor('softmaxBackwardRows', [dp, probs, tk], batch * heads * tq, { cost: 2 * tk });
  for (let h = 0; h < heads; h++) {
    const p0 = h * tq * tk;
    if (gq) {
      sgemmBatched(batch, ps, kl.bStride, ql.bStride, false, false, tq, hd, tk, scale,
        dp, p0, tk, kd, hoff(kl, h), kl.ld, beta, gq, hoff(ql, h), ql.ld);
    }
    if (gk) {
      sgemmBatched(batch, ps, ql.bStride, kl.bStride, true, false, tk, hd, tq, scale,
        dp, p0, tk, qd, hoff(ql, h), ql.ld, beta, gk, hoff(kl, h), kl.ld);
    }
  }
  pool.release(dp);
}

/**
 * softmax(q k^T * scale) v for q (B, H, Tq, hd), k and v (B, H, Tk, hd); scale defaults to 1/sqrt(hd).
 * 3-D inputs (B, T, hd) are one head.
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, opts: { scale?: number } = {}): Tensor {
  const four = q.ndim === 4;
  if ((q.ndim !== 3 && q.ndim !== 4) || k.ndim !== q.ndim || v.ndim !== q.ndim) throw new Error('scaledDotProductAttention: q, k, v must all be 3-D or 4-D');
  const batch = q.shape[0]!;
  const heads = four ? q.shape[1]! : 1;
  const tq = q.shape[q.ndim - 2]!;
  const hd = q.shape[q.ndim - 1]!;
  const tk = k.shape[k.ndim - 2]!;
  if (k.shape[k.ndim - 1] !== hd || v.shape[v.ndim - 2] !== tk || k.shape[0] !== batch || v.shape[0] !== batch ||
    (four && (k.shape[1] !== heads || v.shape[1] !== heads))) {
    throw new Error(`scaledDotProductAttention: shapes q ${shapeStr(q.shape)} k ${shapeStr(k.shape)} v ${shapeStr(v.shape)} do not fit`);
  }
  const hv = v.shape[v.ndim - 1]!;
  if (hv !== hd) throw new Error('scaledDotProductAttention: v head dim must equal q head dim');
  const d: AttnDims = { batch, heads, tq, tk, hd, scale: opts.scale ?? 1 / Math.sqrt(hd) };
  const ql: HeadLayout = { base: 0, bStride: heads * tq * hd, hStride: tq * hd, ld: hd };
  const kl: HeadLayout = { base: 0, bStride: heads * tk * hd, hStride: tk * hd, ld: hd };
  const out = empty(q.shape);
  const probs = scratch(batch * heads * tq * tk);
  const qd = q.data; const kd = k.data; const vd = v.data;
  attnForward(d, qd, ql, kd, kl, vd, kl, out.data, ql, probs);
  if (profiling()) {
    // Backward: dV = P^T dO, dP = dO V^T (for dQ or dK), dQ = dS K, dK = dS^T Q.
    const gq = gradCount(q), gk = gradCount(k);
    countFlops(2 * attnFlops(d), attnFlops(d) * (gradCount(v) + (gq + gk > 0 ? 1 : 0) + gq + gk));
  }
  return record(out, 'sdpa', [q, k, v], (g) => {
    attnBackward(d, g, ql, probs, qd, ql, kd, kl, vd, kl, gradOf(q), gradOf(k), gradOf(v), 1);
  });
}

/**
 * Multi-head self-attention core on a packed projection, as timm's Attention does it:
 * qkv (B, T, 3*D) laid out [q | k | v], each heads x headDim, gives (B, T, D) with heads merged
 * back in order (ready for the output projection).
 */
export function multiHeadAttention(qkv: Tensor, numHeads: number, opts: { scale?: number } = {}): Tensor {
  if (qkv.ndim !== 3 || qkv.shape[2]! % (3 * numHeads) !== 0) throw new Error(`multiHeadAttention: qkv ${shapeStr(qkv.shape)} is not (B, T, 3*D) for ${numHeads} heads`);
  const [batch, t, d3] = qkv.shape as [number, number, number];
  const dim = d3 / 3;
  const hd = dim / numHeads;
  const d: AttnDims = { batch, heads: numHeads, tq: t, tk: t, hd, scale: opts.scale ?? 1 / Math.sqrt(hd) };
  const ql: HeadLayout = { base: 0, bStride: t * d3, hStride: hd, ld: d3 };
  const kl: HeadLayout = { ...ql, base: dim };
  const vl: HeadLayout = { ...ql, base: 2 * dim };
  const ol: HeadLayout = { base: 0, bStride: t * dim, hStride: hd, ld: dim };
  const out = empty([batch, t, dim]);
  const probs = scratch(batch * numHeads * t * t);
  const xd = qkv.data;
  attnForward(d, xd, ql, xd, kl, xd, vl, out.data, ol, probs);
  if (profiling()) { const f = attnFlops(d); countFlops(2 * f, 4 * f * gradCount(qkv)); }
  return record(out, 'multiHeadAttention', [qkv], (g) => {
    const gx = gradTarget(qkv)!;
    attnBackward(d, g, ol, probs, xd, ql, xd, kl, xd, vl, gx.buf, gx.buf, gx.buf, gx.fresh ? 0 : 1);
  });
}
