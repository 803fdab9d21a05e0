import { describe, expect, it } from 'vitest';
import { stratifiedSubset, takeSubset } from '../../src/data/subset.js';
import type { DatasetSplit } from '../../src/data/types.js';

/** Labels 0..k-1 with the given counts, interleaved so classes are not contiguous. */
function makeLabels(counts: number[]): Uint8Array {
  const out: number[] = [];
  const left = counts.slice();
  while (left.some((c) => c > 0)) left.forEach((c, k) => c > 0 && (out.push(k), left[k]!--));
  return Uint8Array.from(out);
}

function perClass(labels: ArrayLike<number>, idx: ArrayLike<number>, k: number): number[] {
  const h = new Array<number>(k).fill(0);
  for (let i = 0; i < idx.length; i++) h[labels[idx[i]!]!]!++;
  return h;
}

const isSortedUnique = (a: Int32Array) => a.every((v, i) => i === 0 || a[i - 1]! < v);

describe('stratifiedSubset', () => {
  const labels = makeLabels([50, 60, 70, 80, 90, 100, 110, 120, 130, 140]);

  it('takes equal counts per class, sorted and unique', () => {
    const s = stratifiedSubset(labels, 100, 7);
    expect(s).toHaveLength(100);
    expect(perClass(labels, s, 10)).toEqual(new Array(10).fill(10));
    expect(isSortedUnique(s)).toBe(true);
  });

  it('spreads the remainder over a seeded choice of classes', () => {
    const s = stratifiedSubset(labels, 25, 7);
    const h = perClass(labels, s, 10);
    expect(h.reduce((a, b) => a + b)).toBe(25);
    expect(h.filter((c) => c === 3)).toHaveLength(5);
    expect(h.filter((c) => c === 2)).toHaveLength(5);
    // Another seed picks other classes for the extras, at least for some seed.
    const others = [1, 2, 3, 4, 5].map((seed) => perClass(labels, stratifiedSubset(labels, 25, seed), 10).join());
    expect(new Set([h.join(), ...others]).size).toBeGreaterThan(1);
  });

  it('is reproducible per seed and differs across seeds', () => {
    expect(Array.from(stratifiedSubset(labels, 40, 3))).toEqual(Array.from(stratifiedSubset(labels, 40, 3)));
    expect(Array.from(stratifiedSubset(labels, 40, 3))).not.toEqual(Array.from(stratifiedSubset(labels, 40, 4)));
  });

  it('nests: a larger subset with the same seed contains a smaller one', () => {
    const small = new Set(stratifiedSubset(labels, 50, 11));
    const large = new Set(stratifiedSubset(labels, 200, 11));
    for (const i of small) expect(large.has(i)).toBe(true);
  });

  it('redistributes when a class runs out, and handles the edges', () => {
    const l = makeLabels([2, 30, 30]);
    const s = stratifiedSubset(l, 30, 0);
    expect(perClass(l, s, 3)).toEqual([2, 14, 14]);
    expect(stratifiedSubset(l, 0, 0)).toHaveLength(0);
    expect(perClass(l, stratifiedSubset(l, 62, 0), 3)).toEqual([2, 30, 30]);
    expect(() => stratifiedSubset(l, 63, 0)).toThrow(/63 requested from 62/);
    expect(() => stratifiedSubset(l, 1.5, 0)).toThrow(/non-negative integer/);
  });

  it('takeSubset copies the chosen samples', () => {
    const split: DatasetSplit = {
      images: Uint8Array.from({ length: 5 * 4 }, (_, i) => i),
      labels: Uint8Array.from([0, 1, 0, 1, 2]),
      n: 5, height: 2, width: 2, channels: 1, classes: 3,
    };
    const sub = takeSubset(split, [4, 1]);
    expect(sub.n).toBe(2);
    expect(Array.from(sub.labels)).toEqual([2, 1]);
    expect(Array.from(sub.images)).toEqual([16, 17, 18, 19, 4, 5, 6, 7]);
    expect(sub.classes).toBe(3);
    expect(() => takeSubset(split, [5])).toThrow(/out of range/);
  });
});
