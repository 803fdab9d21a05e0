// GELU (exact erf form, PyTorch's default), softmax and log-softmax over the last dim.

import { gradOf, gradTarget, record } from '../autograd.js';
import { parallelRange } from '../parallel.js';
import { erfc } from '../erf.js';
import { empty, type Tensor } from '../tensor.js';

const INV_SQRT2 = 0.7071067811865476;
const INV_SQRT_2PI = 0.3989422804014327;

// GELU runs on tens of millions of elements per training step, and exp-based erfc costs ~20 ns each.
// So gelu and gelu' are piecewise cubics: on each interval of width 1/128 the cubic Hermite
// interpolant of the accurate erfc-based value and derivative, stored as Horner coefficients. The
// interpolation error is below 1e-9 (h^4/384 * max|4th derivative|), far under float32 rounding.
// Outside [-10, 10], gelu(x) is x or 0 to double precision (Phi(-10) = 8e-24).
const T_LO = -10;
const T_HI = 10;
const T_SCALE = 128;
const T_INTERVALS = (T_HI - T_LO) * T_SCALE;

/** Horner coefficients [c0, c1, c2, c3] per interval of the Hermite cubic through f, f' at both ends. */
function hermiteTable(f: (x: number) => number, df: (x: number) => number): Float64Array {
  const h = 1 / T_SCALE;
  const c = new Float64Array(T_INTERVALS * 4 + 4);
  for (let i = 0; i < T_INTERVALS; i++) {
    const a = T_LO + i * h;
    const f0 = f(a), f1 = f(a + h), m0 = df(a) * h, m1 = df(a + h) * h;
    c[4 * i] = f0;
    c[4 * i + 1] = m0;
    c[4 * i + 2] = 3 * (f1 - f0) - 2 * m0 - m1;
    c[4 * i + 3] = 2 * (f0 - f1) + m0 + m1;
  }
  return c;
}

const cdf = (x: number): number => 0.5 * erfc(-x * INV_SQRT2);
const pdf = (x: number): number => INV_SQRT_2PI * Math.exp(-0.5 * x * x);
const GELU = hermiteTable((x) => x * cdf(x), (x) => cdf(x) + x * pdf(x));
const GELU_GRAD = hermiteTable((x) => cdf(x) + x * pdf(x), (x) => pdf(x) * (2 - x * x));

/** Exact-form gelu(x) = x * Phi(x) of one number (table-interpolated, see above). */
export function geluScalar(v: number): number {
  if (!(v > T_LO && v < T_HI)) return v >= T_HI ? v : v <= T_LO ? 0 : NaN;
  const u = (v - T_LO) * T_SCALE;
  const k = u | 0;
  const t = u - k;
  const j = k << 2;
  return GELU[j]! + t * (GELU[j + 1]! + t * (GELU[j + 2]! + t * GELU[j + 3]!));
}

/** gelu'(x) = Phi(x) + x * phi(x) (table-interpolated). */
export function geluGradScalar(v: number): number {
  if (!(v > T_LO && v < T_HI)) return v >= T_HI ? 1 : v <= T_LO ? 0 : NaN;
  const u = (v - T_LO) * T_SCALE;
  const k = u | 0;
  const t = u - k;
  const j = k << 2;
  return GELU_GRAD[j]! + t * (GELU_GRAD[j + 1]! + t * (GELU_GRAD[j + 2]! + t * GELU_GRAD[j + 3]!));
}

/** Kernel: o[i] = gelu(x[i]). */
export function geluForward(x: Float32Array, o: Float32Array, start: number, end: number): void {
  for (let i = start; i < end; i++) o[i] = geluScalar(x[i]!);
}

/** Kernel: gx[i] (=|+=) g[i] * gelu'(x[i]) on [start, end). */
export function geluBackward(x: Float32Array, g: Float32Array, gx: Float32Array, assign: boolean, start: number, end: number): void {
  if (assign) for (let i = start; i < end; i++) gx[i] = g[i]! * geluGradScalar(x[i]!);
  else for (let i = start; i < end; i++) gx[i] += g[i]! * geluGradScalar(x[i]!);
}

export function gelu(x: Tensor): Tensor {
  const out = empty(x.shape);
  const xd = x.data;
  // Backward re-evaluates gelu' from x: storing it in forward instead measured no faster (one more
  // memory stream each way) and held another activation-sized buffer per layer.
  parallelRange('geluForward', [xd, out.data], xd.length, 4);
  return record(out, 'gelu', [x], (g) => {
    const gx = gradTarget(x)!;
    parallelRange('geluBackward', [xd, g, gx.buf, gx.fresh], g.length, 4);
  });
}

/** Row-wise softmax in place over `rows` rows of length n starting at `off` with row stride ld. */
export function softmaxRows(buf: Float32Array, off: number, rows: number, n: number, ld: number): void {
  for (let r = 0; r < rows; r++) {
    const base = off + r * ld;
    let mx = -Infinity;
    for (let j = 0; j < n; j++) if (buf[base + j]! > mx) mx = buf[base + j]!;
    let s = 0;
    for (let j = 0; j < n; j++) { const e = Math.exp(buf[base + j]! - mx); buf[base + j] = e; s += e; }
    const inv = 1 / s;
    for (let j = 0; j < n; j++) buf[base + j] *= inv;
  }
}

/** Softmax over the last dim. */
export function softmax(x: Tensor): Tensor {
  const n = x.shape[x.ndim - 1]!;
  const rows = x.size / n;
  const out = empty(x.shape);
  const od = out.data;
  od.set(x.data);
  softmaxRows(od, 0, rows, n, n);
  return record(out, 'softmax', [x], (g) => {
    const gx = gradOf(x)!;
    // dx = p * (g - sum(g * p)).
    for (let r = 0; r < rows; r++) {
      const base = r * n;
      let dot = 0;
      for (let j = 0; j < n; j++) dot += g[base + j]! * od[base + j]!;
      for (let j = 0; j < n; j++) gx[base + j] += od[base + j]! * (g[base + j]! - dot);
    }
  });
}

/** log(softmax(x)) over the last dim, computed stably. */
export function logSoftmax(x: Tensor): Tensor {
  const n = x.shape[x.ndim - 1]!;
  const rows = x.size / n;
  const out = empty(x.shape);
  const xd = x.data;
  const od = out.data;
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    let mx = -Infinity;
    for (let j = 0; j < n; j++) if (xd[base + j]! > mx) mx = xd[base + j]!;
    let s = 0;
    for (let j = 0; j < n; j++) s += Math.exp(xd[base + j]! - mx);
    const lse = mx + Math.log(s);
    for (let j = 0; j < n; j++) od[base + j] = xd[base + j]! - lse;
  }
  return record(out, 'logSoftmax', [x], (g) => {
    const gx = gradOf(x)!;
    // dx = g - softmax * sum(g).
    for (let r = 0; r < rows; r++) {
      const base = r * n;
      let s = 0;
      for (let j = 0; j < n; j++) s += g[base + j]!;
      for (let j = 0; j < n; j++) gx[base + j] += g[base + j]! - Math.exp(od[base + j]!) * s;
    }
  });
}
