import { describe, expect, it } from 'vitest';
import { init, Rng, tensor } from '../../src/engine/index.js';

const stats = (d: Float32Array) => {
  const m = d.reduce((s, v) => s + v, 0) / d.length;
  const sd = Math.sqrt(d.reduce((s, v) => s + (v - m) ** 2, 0) / d.length);
  return { m, sd, max: Math.max(...Array.from(d)), min: Math.min(...Array.from(d)) };
};
const zeros = (shape: number[]) => tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);

describe('rng', () => {
  it('same seed, same numbers; different seeds differ; uniform in [0, 1)', () => {
    const a = new Rng(42); const b = new Rng(42); const c = new Rng(43);
    const xs = Array.from({ length: 100 }, () => a.uniform());
    expect(Array.from({ length: 100 }, () => b.uniform())).toEqual(xs);
    expect(c.uniform()).not.toBe(xs[0]);
    expect(xs.every((v) => v >= 0 && v < 1)).toBe(true);
    const n = new Rng(1);
    const d = new Float32Array(20000).map(() => n.normal());
    const s = stats(d);
    expect(Math.abs(s.m)).toBeLessThan(0.03);
    expect(Math.abs(s.sd - 1)).toBeLessThan(0.03);
  });
});

describe('initializers', () => {
  it('fans follow PyTorch', () => {
    expect(init.fans([8, 4, 3, 3])).toEqual({ fanIn: 36, fanOut: 72 });
    expect(init.fans([10, 5])).toEqual({ fanIn: 5, fanOut: 10 });
  });
  it('trunc normal stays in [-2std, 2std] with the truncated std', () => {
    const t = zeros([20000]);
    init.truncNormal_(t, new Rng(3), 0.02);
    const s = stats(t.data);
    expect(s.max).toBeLessThanOrEqual(0.04);
    expect(s.min).toBeGreaterThanOrEqual(-0.04);
    expect(Math.abs(s.sd - 0.02 * 0.8796)).toBeLessThan(0.0005);
  });
  it('xavier and kaiming bounds/stds', () => {
    const w = zeros([200, 100]);
    init.xavierUniform_(w, new Rng(1));
    const bound = Math.sqrt(6 / 300);
    expect(stats(w.data).max).toBeLessThanOrEqual(bound);
    expect(Math.abs(stats(w.data).sd - bound / Math.sqrt(3))).toBeLessThan(0.003);
    const k = zeros([100, 50, 3, 3]);
    init.kaimingNormal_(k, new Rng(2), { mode: 'fan_out', nonlinearity: 'relu' });
    expect(Math.abs(stats(k.data).sd - Math.sqrt(2 / 900)) / Math.sqrt(2 / 900)).toBeLessThan(0.02);
    const u = zeros([64, 32]);
    init.kaimingUniform_(u, new Rng(3), { a: Math.sqrt(5) }); // PyTorch Linear default: U(±1/sqrt(fan_in))
    expect(stats(u.data).max).toBeLessThanOrEqual(1 / Math.sqrt(32));
    expect(stats(u.data).max).toBeGreaterThan(0.95 / Math.sqrt(32));
  });
  it('same seed → same weights', () => {
    const a = zeros([10, 10]); const b = zeros([10, 10]);
    init.truncNormal_(a, new Rng(5), 0.02); init.truncNormal_(b, new Rng(5), 0.02);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
  });
});
