import { describe, expect, it } from 'vitest';
import {
  add, AdamW, backward, crossEntropy, gradcheck, mul, noGrad, pool, record, empty, gradOf, tensor, tidy, type Tensor,
} from '../../src/engine/index.js';
import { createModel } from '../../src/models/index.js';
import { randn } from './helpers.js';

describe('autograd', () => {
  it('fan-out accumulates; leaf grads accumulate across backward calls', () => {
    const x = tensor([2], [1], { requiresGrad: true });
    const y = add(mul(x, x), x); // y = x^2 + x, dy/dx = 2x + 1 = 5
    backward(y);
    expect(x.grad![0]).toBe(5);
    backward(add(mul(x, x), x));
    expect(x.grad![0]).toBe(10);
  });
  it('noGrad records nothing', () => {
    const x = tensor([1, 2], [2], { requiresGrad: true });
    const y = noGrad(() => mul(x, x));
    expect(y.requiresGrad).toBe(false);
    expect(y.node).toBeNull();
    expect(() => backward(y)).toThrow(/does not require grad/);
  });
  it('gradcheck catches a wrong backward', () => {
    const wrongSquare = (x: Tensor): Tensor => {
      const out = empty(x.shape);
      for (let i = 0; i < x.size; i++) out.data[i] = x.data[i]! ** 2;
      return record(out, 'wrong', [x], (g) => { const gx = gradOf(x)!; for (let i = 0; i < g.length; i++) gx[i] += g[i]! * x.data[i]!; });
    };
    expect(gradcheck(wrongSquare, [randn([5], 1)]).ok).toBe(false);
  });
});

describe('scopes and the buffer pool', () => {
  it('tidy releases intermediates, keeps the returned tensor, and reading a released tensor throws', () => {
    let inner: Tensor | null = null;
    const kept = tidy(() => {
      inner = mul(tensor([1, 2], [2]), tensor([3, 4], [2]));
      return add(inner, inner);
    });
    expect(kept.toArray()).toEqual([6, 16]);
    expect(inner!.isReleased).toBe(true);
    expect(() => inner!.data).toThrow(/released/);
  });
  it('training steps reuse pooled buffers and the heap does not grow', () => {
    const m = createModel('vit', { img_size: 8, patch_size: 4, embed_dim: 16, depth: 2, num_heads: 2, num_classes: 4 });
    const opt = new AdamW(m.parameters(), { lr: 1e-3 });
    const x = randn([4, 3, 8, 8], 1);
    const step = (): number => tidy(() => {
      opt.zeroGrad();
      const loss = crossEntropy(m.forward(x), [0, 1, 2, 3]);
      backward(loss);
      opt.step();
      return loss.item();
    });
    for (let i = 0; i < 5; i++) step(); // warm the pool
    pool.resetStats();
    const freeBefore = pool.stats.freeElements;
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const rssBefore = process.memoryUsage().rss;
    const steps = 200;
    for (let i = 0; i < steps; i++) step();
    global.gc?.();
    const heapAfter = process.memoryUsage().heapUsed;
    const rssAfter = process.memoryUsage().rss;
    // Every buffer request of a warm step is served from the pool and everything goes back.
    expect(pool.stats.allocs).toBeGreaterThan(steps * 50);
    expect(pool.stats.hits).toBe(pool.stats.allocs);
    expect(pool.stats.releases).toBe(pool.stats.allocs);
    expect(pool.stats.freeElements).toBe(freeBefore);
    // Loose bounds: small bookkeeping objects churn, float buffers do not accumulate.
    expect(heapAfter - heapBefore).toBeLessThan(16 * 2 ** 20);
    expect(rssAfter - rssBefore).toBeLessThan(64 * 2 ** 20);
  });
});
