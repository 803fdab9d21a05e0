// Element-selection rules: which m of n indices a dimension keeps. Each rule returns ascending indices.
import { roundHalfEven, torchLinspaceF32 } from './torch-linspace.js';

export type ElementRule = 'uniform' | 'first' | 'random' | 'random-inconsistent' | 'magnitude' | 'activation';
export const ELEMENT_RULES: readonly ElementRule[] = ['uniform', 'first', 'random', 'random-inconsistent', 'magnitude', 'activation'];
/** Rules that keep the highest-scoring indices of a space (scores from the teacher's weights or its activations). */
export const SCORED_RULES: readonly ElementRule[] = ['magnitude', 'activation'];

function checkSizes(n: number, m: number): void {
  if (!Number.isInteger(n) || !Number.isInteger(m) || m < 0 || n < 0) throw new Error(`bad sizes n=${n}, m=${m}`);
  if (m > n) throw new Error(`cannot select ${m} of ${n} indices`);
}

/** The identity selection 0..n-1. */
export function allIndices(n: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

/**
 * The paper's uniform rule, bit-exact with its reference code: every (n/m)-th index when m divides n,
 * otherwise round-half-to-even of PyTorch's float32 linspace(0, n - 1, m).
 */
export function uniformIndices(n: number, m: number): Int32Array {
  checkSizes(n, m);
  const out = new Int32Array(m);
  if (m === 0) return out;
  if (n % m === 0) {
    const step = n / m;
    for (let i = 0; i < m; i++) out[i] = i * step;
    return out;
  }
  const points = torchLinspaceF32(0, n - 1, m);
  for (let i = 0; i < m; i++) out[i] = roundHalfEven(points[i]!);
  return out;
}

/** The first m indices. */
export function firstIndices(n: number, m: number): Int32Array {
  checkSizes(n, m);
  return allIndices(m);
}

/** m distinct indices drawn uniformly at random (partial Fisher-Yates), returned ascending. */
export function randomIndices(n: number, m: number, random: () => number): Int32Array {
  checkSizes(n, m);
  const pool = allIndices(n);
  for (let i = 0; i < m; i++) {
    const j = i + Math.floor(random() * (n - i));
    const t = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = t;
  }
  return pool.slice(0, m).sort();
}

/** The m indices with the largest scores (ties go to the lower index), returned ascending. */
export function topIndices(scores: ArrayLike<number>, m: number): Int32Array {
  const n = scores.length;
  checkSizes(n, m);
  // A NaN score (a teacher with NaN weights) ranks last, so the order stays total and the choice well defined.
  const isNaNAt = (i: number): number => (Number.isNaN(scores[i]!) ? 1 : 0);
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => isNaNAt(a) - isNaNAt(b) || scores[b]! - scores[a]! || a - b);
  return Int32Array.from(order.slice(0, m)).sort();
}
