// Elementwise ops with NumPy broadcasting, scalar ops, unary functions and the fixed-mask multiply.
// Broadcasting is planned once per shape pair: the output is walked as rows of its last dimension, and
// for every row the plan holds where that row starts in each operand plus each operand's step along
// the row (1, or 0 when broadcast). Kernels are then plain loops over Float32Arrays.

import { gradOf, gradTarget, record } from '../autograd.js';
import { parallelFor } from '../threads/pool.js';
import { empty, sameShape, shapeStr, type Shape, Tensor } from '../tensor.js';

export interface BroadcastPlan {
  readonly outShape: Shape;
  readonly rows: number;
  readonly inner: number;
  readonly aOff: Int32Array;
  readonly bOff: Int32Array;
  readonly aStep: number;
  readonly bStep: number;
}

const planCache = new Map<string, BroadcastPlan>();

export function broadcastShapes(a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`cannot broadcast ${shapeStr(a)} with ${shapeStr(b)}`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

function stridesFor(shape: Shape, ndim: number, outShape: Shape): number[] {
  // Strides of `shape` right-aligned to ndim dims, 0 where the dim is broadcast.
  const st = new Array<number>(ndim).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const oi = ndim - shape.length + i;
    st[oi] = shape[i] === 1 && outShape[oi] !== 1 ? 0 : s;
    s *= shape[i]!;
  }
  return st;
}

export function broadcastPlan(a: Shape, b: Shape): BroadcastPlan {
  const key = `${a.join(',')}|${b.join(',')}`;
  const cached = planCache.get(key);
  if (cached !== undefined) return cached;
  const outShape = broadcastShapes(a, b);
  const nd = outShape.length;
  const inner = nd === 0 ? 1 : outShape[nd - 1]!;
  let rows = 1;
  for (let i = 0; i < nd - 1; i++) rows *= outShape[i]!;
  const sa = stridesFor(a, nd, outShape);
  const sb = stridesFor(b, nd, outShape);
  const aOff = new Int32Array(rows);
  const bOff = new Int32Array(rows);
  const idx = new Array<number>(Math.max(nd - 1, 0)).fill(0);
  let oa = 0;
  let ob = 0;
  for (let r = 0; r < rows; r++) {
    aOff[r] = oa; bOff[r] = ob;
    // Odometer over the leading dims.
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]!++;
      oa += sa[d]!; ob += sb[d]!;
      if (idx[d]! < outShape[d]!) break;
      oa -= sa[d]! * outShape[d]!; ob -= sb[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
  const plan: BroadcastPlan = {
    outShape, rows, inner, aOff, bOff,
    aStep: nd === 0 ? 0 : sa[nd - 1]!, bStep: nd === 0 ? 0 : sb[nd - 1]!,
  };
  if (planCache.size > 512) planCache.clear();
  planCache.set(key, plan);
  return plan;
}

const enum Bin { Add, Sub, Mul, Div }

function binaryForward(op: Bin, a: Float32Array, b: Float32Array, o: Float32Array, p: BroadcastPlan): void {
  const { rows, inner, aOff, bOff, aStep, bStep } = p;
  for (let r = 0; r < rows; r++) {
    let ia = aOff[r]!;
    let ib = bOff[r]!;
    const base = r * inner;
    switch (op) {
      case Bin.Add: for (let j = 0; j < inner; j++, ia += aStep, ib += bStep) o[base + j] = a[ia]! + b[ib]!; break;
      case Bin.Sub: for (let j = 0; j < inner; j++, ia += aStep, ib += bStep) o[base + j] = a[ia]! - b[ib]!; break;
      case Bin.Mul: for (let j = 0; j < inner; j++, ia += aStep, ib += bStep) o[base + j] = a[ia]! * b[ib]!; break;
      case Bin.Div: for (let j = 0; j < inner; j++, ia += aStep, ib += bStep) o[base + j] = a[ia]! / b[ib]!; break;
    }
  }
}

/** Accumulate g (output-shaped) times a factor into an operand's grad, summing over broadcast dims. */
function reduceInto(dst: Float32Array, off: Int32Array, step: number, g: Float32Array, p: BroadcastPlan,
  factor: Float32Array | null, fOff: Int32Array | null, fStep: number, sign: number): void {
  const { rows, inner } = p;
  for (let r = 0; r < rows; r++) {
    let id = off[r]!;
    const base = r * inner;
    if (factor === null) {
      if (step === 0) {
        let s = 0;
        for (let j = 0; j < inner; j++) s += g[base + j]!;
        dst[id] += sign * s;
      } else {
        for (let j = 0; j < inner; j++, id += step) dst[id] += sign * g[base + j]!;
      }
    } else {
      let jf = fOff![r]!;
      if (step === 0) {
        let s = 0;
        for (let j = 0; j < inner; j++, jf += fStep) s += g[base + j]! * factor[jf]!;
        dst[id] += sign * s;
      } else {
        for (let j = 0; j < inner; j++, id += step, jf += fStep) dst[id] += sign * g[base + j]! * factor[jf]!;
      }
    }
  }
}

function addInto(dst: Float32Array, src: Float32Array, s: number): void {
  if (s === 1) for (let i = 0; i < src.length; i++) dst[i] += src[i]!;
  else for (let i = 0; i < src.length; i++) dst[i] += s * src[i]!;
}

function binary(op: Bin, name: string, a: Tensor, b: Tensor): Tensor {
  const p = broadcastPlan(a.shape, b.shape);
  const out = empty(p.outShape);
  const ad = a.data;
  const bd = b.data;
  if (op === Bin.Add && ad.length === bd.length && sameShape(a.shape, b.shape)) {
    parallelFor('addSame', [ad, bd, out.data], ad.length);
  } else {
    binaryForward(op, ad, bd, out.data, p);
  }
  const plain = sameShape(a.shape, b.shape) && a !== b;
  return record(out, name, [a, b], (g) => {
    if (plain && (op === Bin.Add || op === Bin.Sub)) {
      // Residual connections: the gradient passes through; a first-time gradient is a plain copy.
      const ta = gradTarget(a);
      if (ta) { if (ta.fresh) ta.buf.set(g); else addInto(ta.buf, g, 1); }
      const tb = gradTarget(b);
      if (tb) {
        const s = op === Bin.Add ? 1 : -1;
        if (tb.fresh && s === 1) tb.buf.set(g);
        else if (tb.fresh) for (let i = 0; i < g.length; i++) tb.buf[i] = -g[i]!;
        else addInto(tb.buf, g, s);
      }
      return;
    }
    const ga = gradOf(a);
    const gb = gradOf(b);
    switch (op) {
      case Bin.Add:
        if (ga) reduceInto(ga, p.aOff, p.aStep, g, p, null, null, 0, 1);
        if (gb) reduceInto(gb, p.bOff, p.bStep, g, p, null, null, 0, 1);
        break;
      case Bin.Sub:
        if (ga) reduceInto(ga, p.aOff, p.aStep, g, p, null, null, 0, 1);
        if (gb) reduceInto(gb, p.bOff, p.bStep, g, p, null, null, 0, -1);
        break;
      case Bin.Mul:
        if (ga) reduceInto(ga, p.aOff, p.aStep, g, p, bd, p.bOff, p.bStep, 1);
        if (gb) reduceInto(gb, p.bOff, p.bStep, g, p, ad, p.aOff, p.aStep, 1);
        break;
      case Bin.Div: {
        // d(a/b)/da = 1/b, d(a/b)/db = -a/b^2 = -out/b.
        const { rows, inner, aOff, bOff, aStep, bStep } = p;
        const od = out.data;
        for (let r = 0; r < rows; r++) {
          let ia = aOff[r]!;
          let ib = bOff[r]!;
          const base = r * inner;
          for (let j = 0; j < inner; j++, ia += aStep, ib += bStep) {
            const gj = g[base + j]! / bd[ib]!;
            if (ga) ga[ia] += gj;
            if (gb) gb[ib] -= gj * od[base + j]!;
          }
        }
        break;
      }
    }
  });
}

export function add(a: Tensor, b: Tensor): Tensor { return binary(Bin.Add, 'add', a, b); }
export function sub(a: Tensor, b: Tensor): Tensor { return binary(Bin.Sub, 'sub', a, b); }
export function mul(a: Tensor, b: Tensor): Tensor { return binary(Bin.Mul, 'mul', a, b); }
export function div(a: Tensor, b: Tensor): Tensor { return binary(Bin.Div, 'div', a, b); }

/** a * s + t for scalars s, t. */
export function affineScalar(a: Tensor, s: number, t = 0): Tensor {
  const out = empty(a.shape);
  const x = a.data;
  const o = out.data;
  for (let i = 0; i < x.length; i++) o[i] = x[i]! * s + t;
  return record(out, 'affineScalar', [a], (g) => {
    const ga = gradOf(a)!;
    for (let i = 0; i < g.length; i++) ga[i] += g[i]! * s;
  });
}

export function mulScalar(a: Tensor, s: number): Tensor { return affineScalar(a, s, 0); }
export function addScalar(a: Tensor, t: number): Tensor { return affineScalar(a, 1, t); }
export function neg(a: Tensor): Tensor { return affineScalar(a, -1, 0); }

/** a ** p for a scalar exponent. */
export function powScalar(a: Tensor, p: number): Tensor {
  const out = empty(a.shape);
  const x = a.data;
  const o = out.data;
  for (let i = 0; i < x.length; i++) o[i] = Math.pow(x[i]!, p);
  return record(out, 'powScalar', [a], (g) => {
    const ga = gradOf(a)!;
    for (let i = 0; i < g.length; i++) ga[i] += g[i]! * p * Math.pow(x[i]!, p - 1);
  });
}

export function exp(a: Tensor): Tensor {
  const out = empty(a.shape);
  const x = a.data;
  const o = out.data;
  for (let i = 0; i < x.length; i++) o[i] = Math.exp(x[i]!);
  return record(out, 'exp', [a], (g) => {
    const ga = gradOf(a)!;
    for (let i = 0; i < g.length; i++) ga[i] += g[i]! * o[i]!;
  });
}

export function log(a: Tensor): Tensor {
  const out = empty(a.shape);
  const x = a.data;
  const o = out.data;
  for (let i = 0; i < x.length; i++) o[i] = Math.log(x[i]!);
  return record(out, 'log', [a], (g) => {
    const ga = gradOf(a)!;
    for (let i = 0; i < g.length; i++) ga[i] += g[i]! / x[i]!;
  });
}

export function relu(a: Tensor): Tensor {
  const out = empty(a.shape);
  const x = a.data;
  const o = out.data;
  for (let i = 0; i < x.length; i++) o[i] = x[i]! > 0 ? x[i]! : 0;
  return record(out, 'relu', [a], (g) => {
    const ga = gradOf(a)!;
    for (let i = 0; i < g.length; i++) if (x[i]! > 0) ga[i] += g[i]!;
  });
}

/**
 * x * mask for a fixed (non-trainable) mask of the same shape, e.g. a sparsity pattern: gradients
 * of masked entries are exactly zero.
 */
export function maskMul(a: Tensor, mask: Float32Array | Tensor): Tensor {
  const m = mask instanceof Tensor ? mask.data : mask;
  if (m.length !== a.size) throw new Error(`maskMul: mask has ${m.length} elements, tensor ${shapeStr(a.shape)}`);
  const out = empty(a.shape);
  const x = a.data;
  const o = out.data;
  for (let i = 0; i < x.length; i++) o[i] = x[i]! * m[i]!;
  return record(out, 'maskMul', [a], (g) => {
    const ga = gradOf(a)!;
    for (let i = 0; i < g.length; i++) ga[i] += g[i]! * m[i]!;
  });
}

/** True when shapes match exactly (helper for callers picking fast paths). */
export function shapesEqual(a: Tensor, b: Tensor): boolean {
  return sameShape(a.shape, b.shape);
}
