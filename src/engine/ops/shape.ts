// Shape ops. reshape shares the buffer (storage is always contiguous); permute, slice, concat and
// gather copy, since every other op expects contiguous row-major input.

import { gradOf, gradTarget, record } from '../autograd.js';
import { empty, shapeSize, shapeStr, Tensor, type Shape } from '../tensor.js';
import { inScope, track } from '../pool.js';

/** Same data, new shape (one dim may be -1). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const s = [...shape];
  const neg = s.indexOf(-1);
  if (neg >= 0) {
    const rest = s.reduce((p, d, i) => (i === neg ? p : p * d), 1);
    s[neg] = x.size / rest;
  }
  if (shapeSize(s) !== x.size) throw new Error(`reshape: ${shapeStr(x.shape)} has ${x.size} elements, not ${shapeStr(s)}`);
  const out = new Tensor(x.data, s, { base: x });
  if (inScope()) track(out);
  return record(out, 'reshape', [x], (g) => {
    const gx = gradTarget(x)!;
    if (gx.fresh) { gx.buf.set(g); return; }
    const b = gx.buf;
    for (let i = 0; i < g.length; i++) b[i] += g[i]!;
  });
}

export function flatten(x: Tensor, startDim = 0): Tensor {
  const lead = x.shape.slice(0, startDim);
  return reshape(x, [...lead, -1]);
}

function stridesOf(shape: Shape): number[] {
  const st = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) { st[i] = s; s *= shape[i]!; }
  return st;
}

/**
 * Copy src (shape `shape`) into dst in the order of `perm`, or (inverse) scatter-add back.
 * The innermost output dim is a tight loop with a constant source stride.
 */
function permuteKernel(src: Float32Array, dst: Float32Array, shape: Shape, perm: readonly number[], accumulateInverse: boolean): void {
  const nd = shape.length;
  const inStr = stridesOf(shape);
  const outShape = perm.map((p) => shape[p]!);
  const srcStr = perm.map((p) => inStr[p]!); // source stride for each output dim
  const inner = outShape[nd - 1]!;
  const sIn = srcStr[nd - 1]!;
  const rows = shapeSize(outShape) / inner;
  const idx = new Array<number>(nd).fill(0);
  let so = 0;
  for (let r = 0; r < rows; r++) {
    const ob = r * inner;
    if (!accumulateInverse) {
      for (let j = 0, s = so; j < inner; j++, s += sIn) dst[ob + j] = src[s]!;
    } else {
      // dst is the input-shaped grad, src the output-shaped grad.
      for (let j = 0, s = so; j < inner; j++, s += sIn) dst[s] += src[ob + j]!;
    }
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]!++;
      so += srcStr[d]!;
      if (idx[d]! < outShape[d]!) break;
      so -= srcStr[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
}

/** Reorder dims: out.shape[i] = x.shape[perm[i]]. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  if (perm.length !== x.ndim || [...perm].sort().some((p, i) => p !== i)) throw new Error(`permute: bad permutation [${perm.join(',')}] for ${shapeStr(x.shape)}`);
  const outShape = perm.map((p) => x.shape[p]!);
  const out = empty(outShape);
  if (x.ndim === 0) { out.data.set(x.data); }
  else permuteKernel(x.data, out.data, x.shape, perm, false);
  return record(out, 'permute', [x], (g) => {
    const gx = gradOf(x)!;
    if (x.ndim === 0) { gx[0] += g[0]!; return; }
    permuteKernel(g, gx, x.shape, perm, true);
  });
}

/** Swap two dims (a copy). */
export function transpose(x: Tensor, d0: number, d1: number): Tensor {
  const nd = x.ndim;
  const a = d0 < 0 ? d0 + nd : d0;
  const b = d1 < 0 ? d1 + nd : d1;
  const perm = Array.from({ length: nd }, (_, i) => i);
  perm[a] = b; perm[b] = a;
  return permute(x, perm);
}

/** x[..., start:end, ...] along dim (a copy). */
export function slice(x: Tensor, dim: number, start: number, end: number): Tensor {
  const d = dim < 0 ? dim + x.ndim : dim;
  const len = x.shape[d]!;
  if (start < 0 || end > len || start > end) throw new Error(`slice: [${start}, ${end}) out of range for dim ${d} of ${shapeStr(x.shape)}`);
  const outer = shapeSize(x.shape.slice(0, d));
  const inner = shapeSize(x.shape.slice(d + 1));
  const n = end - start;
  const outShape = [...x.shape];
  outShape[d] = n;
  const out = empty(outShape);
  const xd = x.data;
  const od = out.data;
  const chunk = n * inner;
  for (let o = 0; o < outer; o++) {
    od.set(xd.subarray((o * len + start) * inner, (o * len + end) * inner), o * chunk);
  }
  return record(out, 'slice', [x], (g) => {
    const gx = gradOf(x)!;
    for (let o = 0; o < outer; o++) {
      const src = o * chunk;
      const dst = (o * len + start) * inner;
      for (let i = 0; i < chunk; i++) gx[dst + i] += g[src + i]!;
    }
  });
}

/** Select index i along dim, dropping the dim (x[:, i] for dim 1). */
export function select(x: Tensor, dim: number, i: number): Tensor {
  const d = dim < 0 ? dim + x.ndim : dim;
  const s = slice(x, d, i, i + 1);
  return reshape(s, x.shape.filter((_, j) => j !== d));
}

/** Join tensors along dim; all other dims must agree. */
export function concat(xs: readonly Tensor[], dim: number): Tensor {
  if (xs.length === 0) throw new Error('concat: no tensors');
  const first = xs[0]!;
  const d = dim < 0 ? dim + first.ndim : dim;
  for (const t of xs) {
    if (t.ndim !== first.ndim || t.shape.some((s, i) => i !== d && s !== first.shape[i])) {
      throw new Error(`concat: shapes ${xs.map((x) => shapeStr(x.shape)).join(' ')} differ outside dim ${d}`);
    }
  }
  const outer = shapeSize(first.shape.slice(0, d));
  const inner = shapeSize(first.shape.slice(d + 1));
  const total = xs.reduce((s, t) => s + t.shape[d]!, 0);
  const outShape = [...first.shape];
  outShape[d] = total;
  const out = empty(outShape);
  const od = out.data;
  let off = 0;
  const offsets: number[] = [];
  for (const t of xs) {
    offsets.push(off);
    const chunk = t.shape[d]! * inner;
    const td = t.data;
    for (let o = 0; o < outer; o++) od.set(td.subarray(o * chunk, (o + 1) * chunk), o * total * inner + off * inner);
    off += t.shape[d]!;
  }
  return record(out, 'concat', xs, (g) => {
    xs.forEach((t, ti) => {
      const gt = gradOf(t);
      if (!gt) return;
      const chunk = t.shape[d]! * inner;
      const o0 = offsets[ti]! * inner;
      for (let o = 0; o < outer; o++) {
        const src = o * total * inner + o0;
        const dst = o * chunk;
        for (let i = 0; i < chunk; i++) gt[dst + i] += g[src + i]!;
      }
    });
  });
}

/** Rows of x (first dim) picked by index: out[i] = x[idx[i]]; gradients scatter-add back. */
export function gatherRows(x: Tensor, idx: Int32Array | readonly number[]): Tensor {
  const n = x.shape[0]!;
  const row = x.size / n;
  const k = idx.length;
  const out = empty([k, ...x.shape.slice(1)]);
  const xd = x.data;
  const od = out.data;
  for (let i = 0; i < k; i++) {
    const r = idx[i]!;
    if (r < 0 || r >= n) throw new Error(`gatherRows: index ${r} out of range [0, ${n})`);
    od.set(xd.subarray(r * row, (r + 1) * row), i * row);
  }
  return record(out, 'gatherRows', [x], (g) => {
    const gx = gradOf(x)!;
    for (let i = 0; i < k; i++) {
      const dst = idx[i]! * row;
      const src = i * row;
      for (let j = 0; j < row; j++) gx[dst + j] += g[src + j]!;
    }
  });
}

/** Repeat x (shape (1, ...)) n times along dim 0 (e.g. a class token over the batch). */
export function expandBatch(x: Tensor, n: number): Tensor {
  if (x.shape[0] !== 1) throw new Error(`expandBatch: first dim must be 1, got ${shapeStr(x.shape)}`);
  const out = empty([n, ...x.shape.slice(1)]);
  const xd = x.data;
  const od = out.data;
  for (let i = 0; i < n; i++) od.set(xd, i * x.size);
  return record(out, 'expandBatch', [x], (g) => {
    const gx = gradOf(x)!;
    for (let i = 0; i < n; i++) {
      const base = i * x.size;
      for (let j = 0; j < x.size; j++) gx[j] += g[base + j]!;
    }
  });
}
