// Deterministic class-balanced subsets, for few-shot / small-data runs that must be reproducible.

import { Rng } from './rng.js';
import type { DatasetSplit } from './types.js';

/**
 * Pick `n` indices with equal counts per class (classes = distinct labels present). The remainder
 * n mod k goes to a seeded choice of classes; when a class has too few samples it gives all it has and
 * the shortfall is spread over the others the same way. Same (labels, n, seed) -> same indices; output is
 * sorted ascending. Within a class the picks are a prefix of a seeded permutation, so for one seed a
 * larger n usually contains the smaller subset.
 */
export function stratifiedSubset(labels: ArrayLike<number>, n: number, seed: number): Int32Array {
  if (!Number.isInteger(n) || n < 0) throw new Error(`subset size must be a non-negative integer, got ${n}`);
  if (n > labels.length) throw new Error(`subset of ${n} requested from ${labels.length} samples`);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    let list = byClass.get(l);
    if (!list) byClass.set(l, (list = []));
    list.push(i);
  }
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const quota = new Map<number, number>(classes.map((c) => [c, 0]));
  // Seeded priority order of classes for the remainder, independent of n.
  const order = new Rng(seed, 0x5ab5e7).shuffle(classes.map((_, i) => i)).map((i) => classes[i]!);
  let left = n;
  while (left > 0) {
    const open = order.filter((c) => quota.get(c)! < byClass.get(c)!.length);
    const share = Math.floor(left / open.length);
    let given = 0;
    for (const c of open) {
      const room = byClass.get(c)!.length - quota.get(c)!;
      const add = Math.min(share, room);
      quota.set(c, quota.get(c)! + add);
      given += add;
    }
    if (given === 0) {
      // Fewer left than open classes: one more each, in seeded priority order.
      for (const c of open) {
        if (left - given === 0) break;
        quota.set(c, quota.get(c)! + 1);
        given++;
      }
    }
    left -= given;
  }
  const out = new Int32Array(n);
  let o = 0;
  for (const c of classes) {
    const members = byClass.get(c)!;
    const q = quota.get(c)!;
    // Partial Fisher-Yates on a stream keyed by the class label: the first q picks do not depend on q.
    const rng = new Rng(seed, 0xc1a55, c);
    const pool = members.slice();
    for (let i = 0; i < q; i++) {
      const j = i + rng.int(pool.length - i);
      const pick = pool[j]!;
      pool[j] = pool[i]!;
      pool[i] = pick;
      out[o++] = pick;
    }
  }
  out.sort();
  return out;
}

/** Materialize a split restricted to `indices` (copies the selected images and labels). */
export function takeSubset(split: DatasetSplit, indices: ArrayLike<number>): DatasetSplit {
  const size = split.channels * split.height * split.width;
  const images = new Uint8Array(indices.length * size);
  const labels = new (split.labels.constructor as Uint8ArrayConstructor | Uint16ArrayConstructor)(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const s = indices[i]!;
    if (!(s >= 0 && s < split.n)) throw new Error(`subset index ${s} out of range 0..${split.n - 1}`);
    images.set(split.images.subarray(s * size, (s + 1) * size), i * size);
    labels[i] = split.labels[s]!;
  }
  return { ...split, images, labels, n: indices.length };
}
