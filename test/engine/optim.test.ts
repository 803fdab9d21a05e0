import { describe, expect, it } from 'vitest';
import { AdamW, clipGradNorm, cosineLr, cosineSchedule, paramGroupsWeightDecay, SGD, tensor } from '../../src/engine/index.js';

describe('AdamW', () => {
  it('first step: decoupled decay then a bias-corrected step of ~lr', () => {
    const p = tensor([1, -2], [2], { requiresGrad: true });
    p.grad = new Float32Array([0.5, -3]);
    const opt = new AdamW([p], { lr: 0.1, weightDecay: 0.5 });
    opt.step();
    // p * (1 - lr*wd) - lr * sign(g) (m_hat / sqrt(v_hat) = sign(g) on step 1, up to eps).
    expect(p.data[0]).toBeCloseTo(1 * 0.95 - 0.1, 6);
    expect(p.data[1]).toBeCloseTo(-2 * 0.95 + 0.1, 6);
    expect(opt.stepCount(p)).toBe(1);
  });
  it('parameter groups carry their own decay and lr scale', () => {
    const a = tensor([1], [1], { requiresGrad: true });
    const b = tensor([1], [1], { requiresGrad: true });
    a.grad = new Float32Array([0]);
    b.grad = new Float32Array([0]);
    const opt = new AdamW([{ params: [a], weightDecay: 0.1 }, { params: [b], weightDecay: 0, lrScale: 0.5 }], { lr: 1 });
    opt.setLr(0.5);
    expect(opt.groups.map((g) => g.lr)).toEqual([0.5, 0.25]);
    opt.step();
    expect(a.data[0]).toBeCloseTo(0.95, 6);
    expect(b.data[0]).toBe(1);
  });
  it('paramGroupsWeightDecay: 1-D, biases and skip names get no decay', () => {
    const t = (shape: number[]) => tensor(new Float32Array(shape.reduce((x, y) => x * y, 1)), shape, { requiresGrad: true });
    const named: [string, ReturnType<typeof t>][] = [['cls_token', t([1, 1, 4])], ['pos_embed', t([1, 3, 4])],
      ['blocks.0.norm1.weight', t([4])], ['blocks.0.attn.qkv.weight', t([12, 4])], ['blocks.0.attn.qkv.bias', t([12])], ['head.weight', t([2, 4])]];
    const [noDecay, decay] = paramGroupsWeightDecay(named, 0.05, ['cls_token', 'pos_embed']);
    expect(noDecay!.weightDecay).toBe(0);
    expect(noDecay!.params).toEqual([named[0]![1], named[1]![1], named[2]![1], named[4]![1]]);
    expect(decay!.params).toEqual([named[3]![1], named[5]![1]]);
    expect(decay!.weightDecay).toBe(0.05);
  });
});

describe('SGD', () => {
  it('momentum buffer starts at the gradient (PyTorch)', () => {
    const p = tensor([0], [1], { requiresGrad: true });
    const opt = new SGD([p], { lr: 1, momentum: 0.9 });
    p.grad = new Float32Array([1]);
    opt.step(); // buf = 1
    expect(p.data[0]).toBeCloseTo(-1, 6);
    opt.step(); // buf = 0.9 + 1
    expect(p.data[0]).toBeCloseTo(-2.9, 6);
  });
});

describe('schedule and clipping', () => {
  it('cosine with linear warm-up per iteration down to min lr', () => {
    const o = { baseLr: 1, minLr: 0.1, warmupIters: 10, totalIters: 110 };
    expect(cosineLr(0, o)).toBe(0);
    expect(cosineLr(5, o)).toBeCloseTo(0.5, 12);
    expect(cosineLr(10, o)).toBeCloseTo(1, 12);
    expect(cosineLr(60, o)).toBeCloseTo(0.55, 12);
    expect(cosineLr(110, o)).toBeCloseTo(0.1, 12);
    expect(cosineLr(500, o)).toBeCloseTo(0.1, 12);
    const s = cosineSchedule(o);
    expect(s.length).toBe(110);
    for (let i = 11; i < 110; i++) expect(s[i]!).toBeLessThanOrEqual(s[i - 1]!);
    expect(cosineLr(0, { ...o, warmupStartLr: 0.2 })).toBe(0.2);
  });
  it('clipGradNorm scales to the max norm and returns the original norm', () => {
    const a = tensor([0, 0], [2], { requiresGrad: true });
    const b = tensor([0], [1], { requiresGrad: true });
    a.grad = new Float32Array([3, 0]);
    b.grad = new Float32Array([4]);
    expect(clipGradNorm([a, b], 1)).toBeCloseTo(5, 6);
    const n = Math.hypot(a.grad[0]!, a.grad[1]!, b.grad[0]!);
    expect(n).toBeCloseTo(1, 5);
    expect(clipGradNorm([a, b], 10)).toBeCloseTo(n, 6);
    expect(a.grad[0]).toBeCloseTo(0.6, 5);
  });
});
