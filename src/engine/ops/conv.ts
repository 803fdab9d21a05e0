// Convolutions. conv2d is the general NCHW case (stride, padding, groups) by im2col + one sgemm per
// image and group. Depthwise convolution runs a direct kernel on channels-last data so the inner
// loop walks contiguous channels; the NCHW entry point permutes around it. Patchify / patchEmbed are
// the stride == kernel case (ViT patch embedding, ConvNeXt stem and downsampling) as a gather plus
// one GEMM over all patches of the batch.

import { gradCount, gradOf, gradTarget, record } from '../autograd.js';
import { dwBackwardInputScatter, type DwGeom } from '../kernels/depthwise.js';
import { sgemm } from '../blas.js';
import { countFlops, profiling } from '../profile.js';
import { pool, scratch } from '../pool.js';
import { empty, shapeStr, type Tensor } from '../tensor.js';
import { parallelFor } from '../threads/pool.js';
import { linear } from './matmul.js';
import { permute, reshape } from './shape.js';

export interface Conv2dOptions {
  stride?: number | [number, number];
  padding?: number | [number, number];
  groups?: number;
}

const pair = (v: number | [number, number] | undefined, d: number): [number, number] =>
  v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v;

interface ConvGeom {
  c: number; h: number; w: number; kh: number; kw: number;
  sh: number; sw: number; ph: number; pw: number; ho: number; wo: number;
}

function im2col(x: Float32Array, xOff: number, g: ConvGeom, c0: number, nc: number, col: Float32Array): void {
  const { h, w, kh, kw, sh, sw, ph, pw, ho, wo } = g;
  const hwo = ho * wo;
  for (let c = 0; c < nc; c++) {
    const plane = xOff + (c0 + c) * h * w;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const row = ((c * kh + i) * kw + j) * hwo;
        for (let oh = 0; oh < ho; oh++) {
          const ih = oh * sh - ph + i;
          const rb = row + oh * wo;
          if (ih < 0 || ih >= h) { col.fill(0, rb, rb + wo); continue; }
          const xb = plane + ih * w;
          for (let ow = 0; ow < wo; ow++) {
            const iw = ow * sw - pw + j;
            col[rb + ow] = iw >= 0 && iw < w ? x[xb + iw]! : 0;
          }
        }
      }
    }
  }
}

function col2imAdd(col: Float32Array, g: ConvGeom, c0: number, nc: number, gx: Float32Array, xOff: number): void {
  const { h, w, kh, kw, sh, sw, ph, pw, ho, wo } = g;
  const hwo = ho * wo;
  for (let c = 0; c < nc; c++) {
    const plane = xOff + (c0 + c) * h * w;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const row = ((c * kh + i) * kw + j) * hwo;
        for (let oh = 0; oh < ho; oh++) {
          const ih = oh * sh - ph + i;
          if (ih < 0 || ih >= h) continue;
          const rb = row + oh * wo;
          const xb = plane + ih * w;
          for (let ow = 0; ow < wo; ow++) {
            const iw = ow * sw - pw + j;
            if (iw >= 0 && iw < w) gx[xb + iw] += col[rb + ow]!;
          }
        }
      }
    }
  }
}

/** 2-D convolution, NCHW input (B, Cin, H, W), weight (Cout, Cin/groups, kh, kw), bias (Cout). */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  if (x.ndim !== 4 || weight.ndim !== 4) throw new Error(`conv2d: expected 4-D input and weight, got ${shapeStr(x.shape)} and ${shapeStr(weight.shape)}`);
  const [b, c, h, w] = x.shape as [number, number, number, number];
  const [cout, cig, kh, kw] = weight.shape as [number, number, number, number];
  const groups = opts.groups ?? 1;
  const [sh, sw] = pair(opts.stride, 1);
  const [ph, pw] = pair(opts.padding, 0);
  if (c !== cig * groups || cout % groups !== 0) throw new Error(`conv2d: input ${shapeStr(x.shape)} and weight ${shapeStr(weight.shape)} do not fit groups=${groups}`);
  const ho = Math.floor((h + 2 * ph - kh) / sh) + 1;
  const wo = Math.floor((w + 2 * pw - kw) / sw) + 1;
  const geom: ConvGeom = { c, h, w, kh, kw, sh, sw, ph, pw, ho, wo };
  const cog = cout / groups;
  const kk = cig * kh * kw;
  const hwo = ho * wo;
  const out = empty([b, cout, ho, wo]);
  const xd = x.data;
  const wd = weight.data;
  const od = out.data;
  const bd = bias?.data ?? null;
  const col = pool.alloc(groups * kk * hwo);
  for (let n = 0; n < b; n++) {
    im2col(xd, n * c * h * w, geom, 0, c, col);
    if (bd) for (let oc = 0; oc < cout; oc++) od.fill(bd[oc]!, (n * cout + oc) * hwo, (n * cout + oc + 1) * hwo);
    for (let gi = 0; gi < groups; gi++) {
      sgemm(false, false, cog, hwo, kk, 1, wd, gi * cog * kk, kk, col, gi * kk * hwo, hwo, bd ? 1 : 0, od, (n * cout + gi * cog) * hwo, hwo);
    }
  }
  pool.release(col);
  if (profiling()) { const f = 2 * b * cout * hwo * kk; countFlops(f, f * gradCount(x, weight)); }
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(out, 'conv2d', inputs, (g) => {
    const gx = gradOf(x);
    const gw = gradOf(weight);
    const gb = bias ? gradOf(bias) : null;
    const colB = pool.alloc(groups * kk * hwo);
    const dcol = gx ? pool.alloc(groups * kk * hwo) : null;
    for (let n = 0; n < b; n++) {
      if (gw) im2col(xd, n * c * h * w, geom, 0, c, colB);
      for (let gi = 0; gi < groups; gi++) {
        const go = (n * cout + gi * cog) * hwo;
        if (gw) sgemm(false, true, cog, kk, hwo, 1, g, go, hwo, colB, gi * kk * hwo, hwo, 1, gw, gi * cog * kk, kk);
        if (dcol) sgemm(true, false, kk, hwo, cog, 1, wd, gi * cog * kk, kk, g, go, hwo, 0, dcol, gi * kk * hwo, hwo);
      }
      if (dcol && gx) col2imAdd(dcol, geom, 0, c, gx, n * c * h * w);
      if (gb) {
        for (let oc = 0; oc < cout; oc++) {
          let s = 0;
          const base = (n * cout + oc) * hwo;
          for (let p = 0; p < hwo; p++) s += g[base + p]!;
          gb[oc] += s;
        }
      }
    }
    pool.release(colB);
    if (dcol) pool.release(dcol);
  });
}

/**
 * Depthwise convolution on channels-last input (B, H, W, C) with a PyTorch-layout weight (C, 1, k, k)
 * and bias (C) → (B, Ho, Wo, C). Direct kernel: every tap is a contiguous multiply-add over channels,
 * and taps falling in the padding are skipped (most of a 7x7 window on small maps).
 */
export function depthwiseConv2dNhwc(x: Tensor, weight: Tensor, bias: Tensor | null, opts: { stride?: number; padding?: number } = {}): Tensor {
  if (x.ndim !== 4) throw new Error(`depthwiseConv2dNhwc: expected (B, H, W, C), got ${shapeStr(x.shape)}`);
  const [b, h, w, c] = x.shape as [number, number, number, number];
  const [wc, one, kh, kw] = weight.shape as [number, number, number, number];
  if (wc !== c || one !== 1) throw new Error(`depthwiseConv2dNhwc: weight ${shapeStr(weight.shape)} does not fit ${c} channels`);
  const s = opts.stride ?? 1;
  const p = opts.padding ?? 0;
  const ho = Math.floor((h + 2 * p - kh) / s) + 1;
  const wo = Math.floor((w + 2 * p - kw) / s) + 1;
  const geo: DwGeom = { b, h, w, c, kh, kw, s, p, ho, wo };
  const out = empty([b, ho, wo, c]);
  // Weight as (kh*kw, C) so every tap is a contiguous channel vector.
  const kk = kh * kw;
  const wt = scratch(kk * c);
  const wd = weight.data;
  for (let ch = 0; ch < c; ch++) for (let t = 0; t < kk; t++) wt[t * c + ch] = wd[ch * kk + t]!;
  const xd = x.data;
  parallelFor('dwForwardRows', [geo, xd, wt, bias?.data ?? null, out.data], b * ho, { cost: wo * c * kk });
  if (profiling()) { const f = 2 * b * ho * wo * c * kk; countFlops(f, f * gradCount(x, weight)); }
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(out, 'depthwiseConv2d', inputs, (g) => {
    const gw = gradOf(weight);
    const gb = bias ? gradOf(bias) : null;
    if (gb) parallelFor('columnSums', [g, b * ho * wo, c, gb], c, { cost: b * ho * wo });
    if (s === 1) {
      // A fresh gradient is written, not added: the sums start from +0, so the bits are the same.
      const gx = gradTarget(x);
      if (gx) parallelFor('dwBackwardInputRows', [geo, g, wt, gx.buf, !gx.fresh], b * h, { cost: w * c * kk });
    } else {
      const gx = gradOf(x);
      if (gx) dwBackwardInputScatter(geo, g, wt, gx);
    }
    const gwt = gw ? pool.alloc(kk * c, true) : null;
    if (gwt) parallelFor('dwBackwardWeightTaps', [geo, g, xd, gwt], kk, { cost: b * ho * wo * c });
    if (gw && gwt) {
      for (let ch = 0; ch < c; ch++) for (let t = 0; t < kk; t++) gw[ch * kk + t] += gwt[t * c + ch]!;
      pool.release(gwt);
    }
  });
}

/** Depthwise convolution on NCHW input (B, C, H, W), weight (C, 1, k, k): groups = C. */
export function depthwiseConv2d(x: Tensor, weight: Tensor, bias: Tensor | null, opts: { stride?: number; padding?: number } = {}): Tensor {
  const nhwc = permute(x, [0, 2, 3, 1]);
  const y = depthwiseConv2dNhwc(nhwc, weight, bias, opts);
  return permute(y, [0, 3, 1, 2]);
}

interface PatchGeom {
  b: number; c: number; p: number; ho: number; wo: number; k: number;
  cStride: number; yStride: number; xStride: number; imgStride: number;
}

/** Copy image pixels into patch rows, or (backwardAdd) add patch-row gradients back to the pixels. */
function patchGather(geo: PatchGeom, src: Float32Array, dst: Float32Array, backwardAdd: boolean): void {
  const { b, c, p, ho, wo, k, cStride, yStride, xStride, imgStride } = geo;
  for (let n = 0; n < b; n++) {
    for (let py = 0; py < ho; py++) {
      for (let px = 0; px < wo; px++) {
        let t = ((n * ho + py) * wo + px) * k;
        for (let ch = 0; ch < c; ch++) {
          for (let i = 0; i < p; i++) {
            let s = n * imgStride + ch * cStride + (py * p + i) * yStride + px * p * xStride;
            if (!backwardAdd) for (let j = 0; j < p; j++, t++, s += xStride) dst[t] = src[s]!;
            else for (let j = 0; j < p; j++, t++, s += xStride) dst[s] += src[t]!;
          }
        }
      }
    }
  }
}

/**
 * Non-overlapping p x p patches as rows: (B, C, H, W) ('nchw') or (B, H, W, C) ('nhwc') →
 * (B, H/p * W/p, C*p*p), each row ordered (c, i, j) like a flattened conv kernel. Trailing pixels
 * that do not fill a patch are dropped, as a stride-p convolution would.
 */
export function patchify(x: Tensor, p: number, layout: 'nchw' | 'nhwc' = 'nchw'): Tensor {
  if (x.ndim !== 4) throw new Error(`patchify: expected 4-D input, got ${shapeStr(x.shape)}`);
  const nchw = layout === 'nchw';
  const [b, d1, d2, d3] = x.shape as [number, number, number, number];
  const c = nchw ? d1 : d3;
  const h = nchw ? d2 : d1;
  const w = nchw ? d3 : d2;
  const ho = Math.floor(h / p);
  const wo = Math.floor(w / p);
  const k = c * p * p;
  const out = empty([b, ho * wo, k]);
  const xd = x.data;
  const od = out.data;
  // Element (n, ch, y, x) of the image lives at src(n, ch, y, x); patch rows are written in (c, i, j) order.
  const cStride = nchw ? h * w : 1;
  const yStride = nchw ? w : w * c;
  const xStride = nchw ? 1 : c;
  const imgStride = c * h * w;
  const geo: PatchGeom = { b, c, p, ho, wo, k, cStride, yStride, xStride, imgStride };
  patchGather(geo, xd, od, false);
  return record(out, 'patchify', [x], (g) => {
    patchGather(geo, g, gradOf(x)!, true);
  });
}

/**
 * Convolution with stride == kernel == p (weight (D, C, p, p), bias (D)) on NCHW or NHWC input,
 * returning channels-last (B, H/p, W/p, D).
 */
export function patchEmbed(x: Tensor, weight: Tensor, bias: Tensor | null, layout: 'nchw' | 'nhwc' = 'nchw'): Tensor {
  const p = weight.shape[2]!;
  if (weight.ndim !== 4 || weight.shape[3] !== p) throw new Error(`patchEmbed: weight ${shapeStr(weight.shape)} is not (D, C, p, p)`);
  const nchw = layout === 'nchw';
  const h = x.shape[nchw ? 2 : 1]!;
  const w = x.shape[nchw ? 3 : 2]!;
  const cols = patchify(x, p, layout);
  const y = linear(cols, weight, bias);
  return reshape(y, [x.shape[0]!, Math.floor(h / p), Math.floor(w / p), weight.shape[0]!]);
}
