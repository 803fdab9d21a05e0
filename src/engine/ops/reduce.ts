// Sums and means over all elements or one dim, and global average pooling.

import { gradOf, record } from '../autograd.js';
import { empty, shapeSize, type Tensor } from '../tensor.js';

function reduceDim(x: Tensor, dim: number | undefined, keepDim: boolean, scaleByCount: boolean, op: string): Tensor {
  if (dim === undefined) {
    const xd = x.data;
    let s = 0;
    for (let i = 0; i < xd.length; i++) s += xd[i]!;
    const scale = scaleByCount ? 1 / x.size : 1;
    const out = empty(keepDim ? x.shape.map(() => 1) : []);
    out.data[0] = s * scale;
    return record(out, op, [x], (g) => {
      const gx = gradOf(x)!;
      const gv = g[0]! * scale;
      for (let i = 0; i < gx.length; i++) gx[i] += gv;
    });
  }
  const d = dim < 0 ? dim + x.ndim : dim;
  const outer = shapeSize(x.shape.slice(0, d));
  const n = x.shape[d]!;
  const inner = shapeSize(x.shape.slice(d + 1));
  const outShape = keepDim ? x.shape.map((s, i) => (i === d ? 1 : s)) : x.shape.filter((_, i) => i !== d);
  const out = empty(outShape, true);
  const xd = x.data;
  const od = out.data;
  const scale = scaleByCount ? 1 / n : 1;
  for (let o = 0; o < outer; o++) {
    const ob = o * inner;
    for (let j = 0; j < n; j++) {
      const xb = (o * n + j) * inner;
      for (let i = 0; i < inner; i++) od[ob + i] += xd[xb + i]!;
    }
  }
  if (scale !== 1) for (let i = 0; i < od.length; i++) od[i] *= scale;
  return record(out, op, [x], (g) => {
    const gx = gradOf(x)!;
    for (let o = 0; o < outer; o++) {
      const ob = o * inner;
      for (let j = 0; j < n; j++) {
        const xb = (o * n + j) * inner;
        for (let i = 0; i < inner; i++) gx[xb + i] += g[ob + i]! * scale;
      }
    }
  });
}

/** Sum of all elements (dim undefined, shape []) or along one dim. */
export function sum(x: Tensor, dim?: number, keepDim = false): Tensor {
  return reduceDim(x, dim, keepDim, false, 'sum');
}

/** Mean of all elements (dim undefined, shape []) or along one dim. */
export function mean(x: Tensor, dim?: number, keepDim = false): Tensor {
  return reduceDim(x, dim, keepDim, true, 'mean');
}

/**
 * Global average pooling to (B, C): 'nchw' averages (B, C, H, W) over H, W; 'nhwc' averages
 * channels-last (B, H, W, C) or token-major (B, N, C) input over everything between B and C.
 */
export function globalAvgPool(x: Tensor, layout: 'nchw' | 'nhwc' = 'nchw'): Tensor {
  const b = x.shape[0]!;
  const c = layout === 'nchw' ? x.shape[1]! : x.shape[x.ndim - 1]!;
  const n = x.size / (b * c);
  // Viewed as (outer, n, inner): nchw is (B*C, HW, 1), nhwc is (B, HW, C).
  const outer = layout === 'nchw' ? b * c : b;
  const inner = layout === 'nchw' ? 1 : c;
  const out = empty([b, c], true);
  const xd = x.data;
  const od = out.data;
  const scale = 1 / n;
  for (let o = 0; o < outer; o++) {
    const ob = o * inner;
    for (let j = 0; j < n; j++) {
      const xb = (o * n + j) * inner;
      for (let i = 0; i < inner; i++) od[ob + i] += xd[xb + i]!;
    }
  }
  for (let i = 0; i < od.length; i++) od[i] *= scale;
  return record(out, 'globalAvgPool', [x], (g) => {
    const gx = gradOf(x)!;
    for (let o = 0; o < outer; o++) {
      const ob = o * inner;
      for (let j = 0; j < n; j++) {
        const xb = (o * n + j) * inner;
        for (let i = 0; i < inner; i++) gx[xb + i] += g[ob + i]! * scale;
      }
    }
  });
}
