import { describe, expect, it } from 'vitest';
import { Mixup, cropFlip, drawGeometry, smoothOneHot } from '../../src/data/augment.js';
import { Rng } from '../../src/data/rng.js';

const iota = (n: number) => Float32Array.from({ length: n }, (_, i) => i + 1);

describe('random crop and flip', () => {
  it('keeps the shape and shifts content by (dy - pad, dx - pad) with zero fill', () => {
    const src = iota(2 * 4 * 5); // 2 channels of 4x5
    const out = cropFlip(src, 2, 4, 5, 2, { dy: 3, dx: 0, flip: false });
    expect(out).toHaveLength(src.length);
    for (let c = 0; c < 2; c++) {
      for (let y = 0; y < 4; y++) {
        for (let x = 0; x < 5; x++) {
          const sy = y + 1; // dy - pad = +1: content moves up one row
          const sx = x - 2; // dx - pad = -2: content moves right two columns
          const want = sy < 4 && sx >= 0 ? src[(c * 4 + sy) * 5 + sx]! : 0;
          expect(out[(c * 4 + y) * 5 + x]).toBe(want);
        }
      }
    }
    // The centered crop is the identity; a flip mirrors each row.
    expect(Array.from(cropFlip(src, 2, 4, 5, 2, { dy: 2, dx: 2, flip: false }))).toEqual(Array.from(src));
    const f = cropFlip(src, 2, 4, 5, 2, { dy: 2, dx: 2, flip: true });
    expect(Array.from(f.subarray(0, 5))).toEqual([5, 4, 3, 2, 1]);
  });

  it('draws offsets in [0, 2*pad] and flips about half the time, reproducibly', () => {
    const rng = new Rng(5);
    let flips = 0;
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const g = drawGeometry(rng, 2, true);
      seen.add(g.dy).add(g.dx);
      if (g.flip) flips++;
    }
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(flips).toBeGreaterThan(900);
    expect(flips).toBeLessThan(1100);
    expect(drawGeometry(new Rng(9), 4, true)).toEqual(drawGeometry(new Rng(9), 4, true));
    expect(drawGeometry(new Rng(9), 4, false).flip).toBe(false);
  });
});

describe('mixup / cutmix', () => {
  const shape = [4, 1, 4, 4] as const;
  const batch = () => Float32Array.from({ length: 64 }, (_, i) => Math.floor(i / 16) + 1); // sample k is all k+1
  const y = Int32Array.from([0, 1, 2, 3]);

  it('smooths one-hot targets the timm way', () => {
    const t = smoothOneHot([2], 4, 0.1);
    expect(Array.from(t).map((v) => +v.toFixed(6))).toEqual([0.025, 0.025, 0.925, 0.025]);
  });

  it('mixup: one lambda from Beta(alpha, alpha), pairs with the reversed batch, targets sum to 1', () => {
    const x = batch();
    const targets = new Float32Array(4 * 5);
    const mix = new Mixup(5, { mixupAlpha: 0.4, labelSmoothing: 0.1 });
    const info = mix.apply(x, shape, y, targets, new Rng(42));
    // Replay timm's draw order on the same stream: the prob draw, then beta.
    const r = new Rng(42);
    r.float();
    const lam = r.beta(0.4, 0.4);
    expect(info.cutmix).toBe(false);
    expect(info.lam).toBe(lam);
    for (let i = 0; i < 4; i++) {
      const want = lam * (i + 1) + (1 - lam) * (4 - i);
      for (let p = 0; p < 16; p++) expect(x[i * 16 + p]).toBeCloseTo(want, 5);
    }
    const off = 0.1 / 5;
    const on = 1 - 0.1 + off;
    for (let i = 0; i < 4; i++) {
      const row = Array.from(targets.subarray(i * 5, i * 5 + 5));
      expect(row.reduce((a, b) => a + b)).toBeCloseTo(1, 6);
      const a = y[i]!;
      const b = y[3 - i]!;
      const want = new Array(5).fill(off);
      want[a] += lam * (on - off);
      want[b] += (1 - lam) * (on - off);
      row.forEach((v, k) => expect(v).toBeCloseTo(want[k]!, 6));
    }
  });

  it('cutmix: pastes a box from the reversed batch and corrects lambda by its area', () => {
    let checked = 0;
    for (let seed = 0; seed < 30; seed++) {
      const x = batch();
      const targets = new Float32Array(4 * 4);
      const info = new Mixup(4, { cutmixAlpha: 1, labelSmoothing: 0 }).apply(x, shape, y, targets, new Rng(seed));
      expect(info.cutmix).toBe(true);
      const { y0, y1, x0, x1 } = info.box!;
      expect(info.lam).toBeCloseTo(1 - ((y1 - y0) * (x1 - x0)) / 16, 10);
      for (let i = 0; i < 4; i++) {
        let inBox = 0;
        for (let yy = 0; yy < 4; yy++) {
          for (let xx = 0; xx < 4; xx++) {
            const inside = yy >= y0 && yy < y1 && xx >= x0 && xx < x1;
            if (inside) inBox++;
            expect(x[i * 16 + yy * 4 + xx]).toBe(inside ? 4 - i : i + 1);
          }
        }
        // The pixel fraction of the sample's own image equals its label weight.
        expect(targets[i * 4 + y[i]!]).toBeCloseTo(1 - inBox / 16, 6);
        expect(targets.subarray(i * 4, i * 4 + 4).reduce((a, b) => a + b)).toBeCloseTo(1, 6);
      }
      if (info.lam < 1) checked++;
    }
    expect(checked).toBeGreaterThan(10);
  });

  it('switches between mixup and cutmix with probability 0.5 when both are on', () => {
    const mix = new Mixup(4, { mixupAlpha: 0.8, cutmixAlpha: 1 });
    let cut = 0;
    for (let s = 0; s < 1000; s++) if (mix.drawParams(new Rng(s)).cutmix) cut++;
    expect(cut).toBeGreaterThan(430);
    expect(cut).toBeLessThan(570);
  });

  it('prob 0 leaves the batch alone with smoothed one-hot targets; odd batches keep the middle sample', () => {
    const x = batch();
    const t = new Float32Array(16);
    const info = new Mixup(4, { mixupAlpha: 1, prob: 0, labelSmoothing: 0.2 }).apply(x, shape, y, t, new Rng(1));
    expect(info.lam).toBe(1);
    expect(Array.from(x)).toEqual(Array.from(batch()));
    expect(Array.from(t)).toEqual(Array.from(smoothOneHot(y, 4, 0.2)));

    const odd = Float32Array.from([1, 2, 3]);
    new Mixup(3, { mixupAlpha: 1 }).apply(odd, [3, 1, 1, 1], [0, 1, 2], new Float32Array(9), new Rng(3));
    expect(odd[1]).toBeCloseTo(2, 6);
  });

  it('same seed gives the same mixed batch', () => {
    const run = (seed: number) => {
      const x = batch();
      const t = new Float32Array(16);
      new Mixup(4, { mixupAlpha: 0.8, cutmixAlpha: 1 }).apply(x, shape, y, t, new Rng(seed));
      return [Array.from(x), Array.from(t)];
    };
    expect(run(8)).toEqual(run(8));
    expect(run(8)).not.toEqual(run(9));
  });
});

describe('Rng', () => {
  it('samples Beta(a, a) with the right mean and variance', () => {
    for (const a of [0.4, 1]) {
      const r = new Rng(123, a * 10);
      const n = 20000;
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < n; i++) {
        const v = r.beta(a, a);
        expect(v >= 0 && v <= 1).toBe(true);
        s += v;
        s2 += v * v;
      }
      const mean = s / n;
      const variance = s2 / n - mean * mean;
      expect(mean).toBeCloseTo(0.5, 1);
      expect(Math.abs(variance - 1 / (4 * (2 * a + 1)))).toBeLessThan(0.01);
    }
  });

  it('derives distinct streams from keys and draws uniform integers', () => {
    expect(new Rng(1, 2).nextU32()).toBe(new Rng(1, 2).nextU32());
    expect(new Rng(1, 2).nextU32()).not.toBe(new Rng(1, 3).nextU32());
    expect(new Rng(2 ** 40).nextU32()).not.toBe(new Rng(0).nextU32());
    const r = new Rng(7);
    const h = new Array(6).fill(0);
    for (let i = 0; i < 6000; i++) h[r.int(6)]++;
    for (const c of h) expect(Math.abs(c - 1000)).toBeLessThan(120);
    expect(() => new Rng(0.5)).toThrow(/safe integer/);
  });
});
