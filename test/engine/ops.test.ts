// Finite-difference gradient checks for every op (float32 forward; eps 1e-2 central differences on
// smooth functions, relative tolerance 1e-2 of the largest gradient; see src/engine/gradcheck.ts).
import { describe, expect, it } from 'vitest';
import {
  add, sub, mul, div, mulScalar, addScalar, powScalar, exp, log, relu, maskMul, matmul, bmm, linear, reshape,
  permute, transpose, slice, select, concat, gatherRows, expandBatch, sum, mean, globalAvgPool, layerNorm, layerNorm2d,
  gelu, softmax, logSoftmax, scaledDotProductAttention, multiHeadAttention, conv2d, depthwiseConv2d,
  depthwiseConv2dNhwc, patchify, patchEmbed, dropout, dropPath, crossEntropy, distillationKL, gradcheck, Rng,
  tensor, erf, noGrad, type Tensor,
} from '../../src/engine/index.js';
import { randn } from './helpers.js';

function check(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts: { eps?: number; rtol?: number } = {}): void {
  const res = gradcheck(fn, inputs, opts);
  expect(res.errors.map((e) => e.relError).every((e) => e <= (opts.rtol ?? 1e-2)), JSON.stringify(res.errors)).toBe(true);
}

describe('elementwise with broadcasting', () => {
  it('same shape', () => {
    for (const op of [add, sub, mul]) check(op, [randn([3, 4], 1), randn([3, 4], 2)]);
    check(div, [randn([3, 4], 1), addScalar(mulScalar(randn([3, 4], 2), 0.1), 2)]);
  });
  it('trailing row vector, leading ones, middle broadcast, scalar', () => {
    check(add, [randn([2, 3, 4], 1), randn([4], 2)]);
    check(mul, [randn([2, 3, 4], 1), randn([1, 3, 1], 2)]);
    check(mul, [randn([2, 1, 4], 1), randn([3, 1], 2)]);
    check(sub, [randn([5], 1), randn([2, 5], 2)]);
    check(mul, [randn([2, 3], 1), randn([], 2)]);
    check(div, [randn([2, 3, 1], 1), addScalar(mulScalar(randn([1, 4], 2), 0.1), 2)]);
  });
  it('same tensor on both sides', () => {
    const x = randn([3, 3], 3);
    check((a) => mul(a, a), [x]);
  });
  it('rejects incompatible shapes', () => {
    expect(() => add(randn([2, 3], 1), randn([4], 2))).toThrow(/broadcast/);
  });
  it('scalar and unary ops', () => {
    check((a) => mulScalar(a, -1.5), [randn([4, 3], 1)]);
    check((a) => addScalar(a, 2), [randn([4, 3], 1)]);
    check(exp, [randn([4, 3], 1, 0.5)]);
    const pos = addScalar(mulScalar(randn([4, 3], 2), 0.1), 1.5);
    check(log, [pos]);
    check((a) => powScalar(a, 3), [randn([5], 4)]);
    // relu: keep values away from the kink so differences are exact.
    const x = randn([6, 5], 5);
    for (let i = 0; i < x.size; i++) if (Math.abs(x.data[i]!) < 0.05) x.data[i] = 0.5;
    check(relu, [x]);
  });
  it('maskMul zeroes masked gradients', () => {
    const x = randn([4, 5], 1);
    const m = new Float32Array(20).map((_, i) => (i % 3 === 0 ? 0 : 1));
    check((a) => maskMul(a, m), [x]);
    expect(Array.from(x.grad!).filter((_, i) => i % 3 === 0).every((v) => v === 0)).toBe(true);
  });
});

describe('matrix products', () => {
  it('matmul with all transpose flags, odd sizes', () => {
    for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const a = randn(tA ? [5, 3] : [3, 5], 1);
      const b = randn(tB ? [7, 5] : [5, 7], 2);
      check((x, y) => matmul(x, y, { transA: tA, transB: tB }), [a, b]);
    }
  });
  it('batched matmul with shared and per-batch right operand', () => {
    check((x, y) => matmul(x, y), [randn([2, 3, 4], 1), randn([4, 5], 2)]);
    check((x, y) => matmul(x, y, { transB: true }), [randn([2, 3, 4], 1), randn([5, 4], 2)]);
    check((x, y) => matmul(x, y, { transA: true }), [randn([2, 4, 3], 1), randn([4, 5], 2)]);
    for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      check((x, y) => bmm(x, y, { transA: tA, transB: tB }), [randn(tA ? [3, 4, 2] : [3, 2, 4], 1), randn(tB ? [3, 5, 4] : [3, 4, 5], 2)]);
    }
  });
  it('matmul matches a direct product', () => {
    const a = randn([2, 3], 1);
    const b = randn([3, 2], 2);
    const c = matmul(a, b);
    const ref = [0, 1, 2, 3].map((i) => {
      const r = Math.floor(i / 2), col = i % 2;
      let s = 0;
      for (let k = 0; k < 3; k++) s += a.data[r * 3 + k]! * b.data[k * 2 + col]!;
      return s;
    });
    ref.forEach((v, i) => expect(c.data[i]).toBeCloseTo(v, 5));
  });
  it('linear, with and without bias, batch 1 and 3-D input', () => {
    check((x, w, b) => linear(x, w, b), [randn([1, 5], 1), randn([3, 5], 2), randn([3], 3)]);
    check((x, w) => linear(x, w), [randn([2, 3, 5], 1), randn([4, 5], 2)]);
    // A transposed (non-contiguous in PyTorch terms) input: its gradient flows through the permute copy.
    check((x, w, b) => linear(transpose(x, 0, 1), w, b), [randn([5, 3], 1), randn([4, 5], 2), randn([4], 3)]);
  });
});

describe('shape ops', () => {
  it('reshape, permute, transpose', () => {
    check((x) => mul(reshape(x, [3, -1]), randn([3, 4], 9)), [randn([2, 6], 1)]);
    check((x) => permute(x, [2, 0, 1]), [randn([2, 3, 4], 1)]);
    check((x) => permute(x, [0, 2, 3, 1]), [randn([2, 3, 2, 5], 1)]);
    check((x) => transpose(x, -1, -2), [randn([2, 3, 4], 1)]);
    const t = permute(tensor([0, 1, 2, 3, 4, 5], [2, 3]), [1, 0]);
    expect(t.toArray()).toEqual([0, 3, 1, 4, 2, 5]);
  });
  it('slice, select, concat, gatherRows, expandBatch', () => {
    check((x) => slice(x, 1, 1, 3), [randn([2, 4, 3], 1)]);
    check((x) => select(x, 1, 0), [randn([2, 4, 3], 1)]);
    check((a, b) => concat([a, b], 1), [randn([2, 1, 3], 1), randn([2, 4, 3], 2)]);
    check((a, b) => concat([a, b], 0), [randn([1, 3], 1), randn([2, 3], 2)]);
    check((x) => gatherRows(x, [2, 0, 2, 1]), [randn([3, 4], 1)]);
    check((x) => expandBatch(x, 3), [randn([1, 2, 4], 1)]);
  });
});

describe('reductions', () => {
  it('sum and mean, all and per dim', () => {
    check((x) => sum(x), [randn([3, 4], 1)]);
    check((x) => mean(x), [randn([3, 4], 1)]);
    check((x) => sum(x, 1), [randn([2, 3, 4], 1)]);
    check((x) => mean(x, -1, true), [randn([2, 3, 4], 1)]);
    check((x) => mean(x, 0), [randn([2, 3, 4], 1)]);
  });
  it('global average pooling, both layouts', () => {
    check((x) => globalAvgPool(x, 'nchw'), [randn([2, 3, 2, 3], 1)]);
    check((x) => globalAvgPool(x, 'nhwc'), [randn([2, 2, 3, 4], 1)]);
    const x = randn([2, 3, 2, 2], 5);
    const y = globalAvgPool(x, 'nchw');
    const nhwc = globalAvgPool(permute(x, [0, 2, 3, 1]), 'nhwc');
    for (let i = 0; i < 6; i++) expect(nhwc.data[i]).toBeCloseTo(y.data[i]!, 6);
  });
});

describe('normalization and activations', () => {
  it('layerNorm (and without affine), layerNorm2d', () => {
    check((x, w, b) => layerNorm(x, w, b, 1e-5), [randn([3, 6], 1), randn([6], 2), randn([6], 3)]);
    check((x) => layerNorm(x, null, null), [randn([1, 5], 1)]);
    // 9 rows: the four-row blocks of the backward kernel plus a remainder row.
    check((x, w, b) => layerNorm(x, w, b, 1e-6), [randn([3, 3, 5], 4), randn([5], 5), randn([5], 6)]);
    check((x, w, b) => layerNorm2d(x, w, b), [randn([2, 4, 2, 3], 1), randn([4], 2), randn([4], 3)]);
  });
  it('layerNorm2d equals layerNorm on channels-last data, bit for bit (the same double-precision sums)', () => {
    const x = randn([2, 4, 3, 3], 1);
    const w = randn([4], 2);
    const b = randn([4], 3);
    const a = permute(layerNorm2d(x, w, b, 1e-6), [0, 2, 3, 1]);
    const c = layerNorm(permute(x, [0, 2, 3, 1]), w, b, 1e-6);
    expect(Array.from(a.data)).toEqual(Array.from(c.data));
  });
  it('gelu is the erf form', () => {
    check(gelu, [randn([4, 7], 1, 2)]);
    const y = gelu(tensor([-3, -1, 0, 0.5, 1, 2]));
    // torch.nn.functional.gelu reference values.
    const ref = [-0.0040496, -0.15865526, 0, 0.34573123, 0.84134474, 1.95449974];
    ref.forEach((v, i) => expect(Math.abs(y.data[i]! - v)).toBeLessThan(1e-6));
  });
  it('erf is accurate', () => {
    const cases: [number, number][] = [[0, 0], [1e-4, 1.1283791633342105e-4], [0.1, 0.1124629160182849], [0.5, 0.5204998778130465],
      [1, 0.8427007929497149], [2, 0.9953222650189527], [-1.5, -0.9661051464753108], [3, 0.9999779095030014]];
    for (const [x, v] of cases) expect(Math.abs(erf(x) - v)).toBeLessThanOrEqual(1.5e-7 * Math.max(Math.abs(v), 1e-3));
  });
  it('softmax and logSoftmax', () => {
    check(softmax, [randn([3, 5], 1)]);
    check(logSoftmax, [randn([2, 3, 4], 1)]);
    const p = softmax(tensor([1000, 1000], [1, 2]));
    expect(p.toArray()).toEqual([0.5, 0.5]);
  });
});

describe('attention', () => {
  it('scaledDotProductAttention 4-D, cross lengths, 3-D', () => {
    check((q, k, v) => scaledDotProductAttention(q, k, v), [randn([2, 2, 3, 4], 1), randn([2, 2, 5, 4], 2), randn([2, 2, 5, 4], 3)]);
    check((q, k, v) => scaledDotProductAttention(q, k, v), [randn([1, 3, 4], 1), randn([1, 3, 4], 2), randn([1, 3, 4], 3)]);
  });
  it('packed multi-head attention equals split heads + sdpa', () => {
    const [b, t, h, hd] = [2, 3, 2, 4];
    const d = h * hd;
    const qkv = randn([b, t, 3 * d], 4);
    check((x) => multiHeadAttention(x, h), [qkv]);
    const ref = noGrad(() => {
      const r = permute(reshape(qkv, [b, t, 3, h, hd]), [2, 0, 3, 1, 4]); // (3, B, H, T, hd)
      const q = reshape(slice(r, 0, 0, 1), [b, h, t, hd]);
      const k = reshape(slice(r, 0, 1, 2), [b, h, t, hd]);
      const v = reshape(slice(r, 0, 2, 3), [b, h, t, hd]);
      return reshape(permute(scaledDotProductAttention(q, k, v), [0, 2, 1, 3]), [b, t, d]);
    });
    const got = noGrad(() => multiHeadAttention(qkv, h));
    for (let i = 0; i < got.size; i++) expect(got.data[i]).toBeCloseTo(ref.data[i]!, 5);
  });
});

describe('convolutions', () => {
  it('conv2d: stride, padding, groups, bias', () => {
    check((x, w, b) => conv2d(x, w, b, { stride: 1, padding: 1 }), [randn([2, 3, 4, 5], 1), randn([4, 3, 3, 3], 2, 0.5), randn([4], 3)]);
    check((x, w) => conv2d(x, w, null, { stride: 2, padding: [0, 1] }), [randn([1, 2, 5, 5], 1), randn([3, 2, 3, 2], 2, 0.5)]);
    check((x, w, b) => conv2d(x, w, b, { groups: 2, padding: 1 }), [randn([2, 4, 3, 3], 1), randn([6, 2, 3, 3], 2, 0.5), randn([6], 3)]);
  });
  it('depthwise conv (7x7, padding 3) matches conv2d with groups = C', () => {
    const x = randn([2, 3, 5, 4], 1);
    const w = randn([3, 1, 7, 7], 2, 0.3);
    const b = randn([3], 3);
    const a = depthwiseConv2d(x, w, b, { padding: 3 });
    const c = conv2d(x, w, b, { padding: 3, groups: 3 });
    for (let i = 0; i < a.size; i++) expect(a.data[i]).toBeCloseTo(c.data[i]!, 4);
    check((xx, ww, bb) => depthwiseConv2d(xx, ww, bb, { padding: 3 }), [randn([1, 2, 3, 4], 1), randn([2, 1, 7, 7], 2, 0.3), randn([2], 3)]);
    check((xx, ww) => depthwiseConv2dNhwc(xx, ww, null, { stride: 2, padding: 1 }), [randn([2, 5, 5, 3], 1), randn([3, 1, 3, 3], 2, 0.3)]);
  });
  it('patchify / patchEmbed equal a stride = kernel conv, both layouts', () => {
    const x = randn([2, 3, 4, 6], 1);
    const w = randn([5, 3, 2, 2], 2, 0.5);
    const b = randn([5], 3);
    const ref = permute(conv2d(x, w, b, { stride: 2 }), [0, 2, 3, 1]);
    const p1 = patchEmbed(x, w, b, 'nchw');
    const p2 = patchEmbed(permute(x, [0, 2, 3, 1]), w, b, 'nhwc');
    expect(p1.shape).toEqual([2, 2, 3, 5]);
    for (let i = 0; i < ref.size; i++) {
      expect(p1.data[i]).toBeCloseTo(ref.data[i]!, 5);
      expect(p2.data[i]).toBeCloseTo(ref.data[i]!, 5);
    }
    check((xx) => patchify(xx, 2, 'nchw'), [randn([1, 2, 4, 5], 1)]);
    check((xx, ww, bb) => patchEmbed(xx, ww, bb, 'nhwc'), [randn([2, 4, 4, 3], 1), randn([4, 3, 2, 2], 2), randn([4], 3)]);
  });
});

describe('regularization', () => {
  it('dropout: seeded, scaled, identity in eval', () => {
    const x = randn([50, 40], 1);
    const a = dropout(x, 0.25, new Rng(7));
    const b = dropout(x, 0.25, new Rng(7));
    expect(a.toArray()).toEqual(b.toArray());
    const zeros = a.toArray().filter((v) => v === 0).length / a.size;
    expect(Math.abs(zeros - 0.25)).toBeLessThan(0.03);
    expect(dropout(x, 0.25, new Rng(7), false)).toBe(x);
    check((t) => dropout(t, 0.3, new Rng(3)), [randn([4, 5], 2)]);
  });
  it('dropPath drops whole samples', () => {
    const x = randn([64, 3, 2], 1);
    const y = dropPath(x, 0.5, new Rng(3));
    let dropped = 0;
    for (let n = 0; n < 64; n++) {
      const row = Array.from(y.data.subarray(n * 6, n * 6 + 6));
      const xs = Array.from(x.data.subarray(n * 6, n * 6 + 6));
      if (row.every((v) => v === 0)) dropped++;
      else row.forEach((v, i) => expect(v).toBeCloseTo(xs[i]! * 2, 5));
    }
    expect(dropped).toBeGreaterThan(15);
    expect(dropped).toBeLessThan(49);
    check((t) => dropPath(t, 0.5, new Rng(5)), [randn([4, 3], 2)]);
  });
});

describe('losses', () => {
  it('crossEntropy: labels, label smoothing, soft targets', () => {
    check((z) => crossEntropy(z, [2, 0, 1]), [randn([3, 4], 1)]);
    check((z) => crossEntropy(z, [3], { labelSmoothing: 0.1 }), [randn([1, 4], 1)]);
    const soft = tensor([0.7, 0.3, 0, 0, 0, 0.5, 0.5, 0], [2, 4]);
    check((z) => crossEntropy(z, soft, { labelSmoothing: 0.1 }), [randn([2, 4], 1)]);
    // Uniform logits: loss = log(C) for any target.
    expect(crossEntropy(tensor(new Float32Array(8), [2, 4]), [1, 3]).item()).toBeCloseTo(Math.log(4), 6);
  });
  it('distillation KL with temperature', () => {
    const t = randn([3, 5], 9);
    check((s) => distillationKL(s, t, 2), [randn([3, 5], 1)]);
    // Identical logits give zero loss.
    expect(Math.abs(distillationKL(t, t, 4).item())).toBeLessThan(1e-6);
  });
});

describe('composed graphs (first-write and accumulate gradient paths, fan-out)', () => {
  it('transformer-like chain through intermediates', () => {
    const [b, t, d, h] = [2, 3, 4, 2];
    check((x, w1, b1, w2, lw, lb) => {
      const y = layerNorm(x, lw, lb, 1e-6);                         // intermediate, consumed twice
      const qkv = linear(y, w1, b1);                                 // (B, T, 3D)
      const a = multiHeadAttention(qkv, h);
      const z = add(gelu(linear(a, w2)), mul(y, y));                 // residual-style fan-in
      return add(reshape(z, [b * t, d]), reshape(y, [b * t, d]));
    }, [randn([b, t, d], 1), randn([3 * d, d], 2, 0.5), randn([3 * d], 3), randn([d, d], 4, 0.5), randn([d], 5), randn([d], 6)]);
  });
  it('conv chain: patchEmbed → depthwise (NHWC) → layerNorm → pool', () => {
    check((x, w, bb, dw) => {
      const y = patchEmbed(x, w, bb, 'nchw');
      const z = depthwiseConv2dNhwc(y, dw, null, { padding: 1 });
      return globalAvgPool(add(layerNorm(z, null, null, 1e-6), y), 'nhwc');
    }, [randn([2, 2, 4, 4], 1), randn([3, 2, 2, 2], 2), randn([3], 3), randn([3, 1, 3, 3], 4)]);
  });
});
