// The opt-in helper thread (WSEL_THREADS=2): a split training step must give the serial result
// (LayerNorm's weight/bias sums may differ in the last bits since the halves are summed separately).
// The engine is imported dynamically after setting the variable (vitest isolates each test file).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

process.env['WSEL_THREADS'] = '2';
type Engine = typeof import('../../src/engine/index.js');
type Parallel = typeof import('../../src/engine/parallel.js');
type Models = typeof import('../../src/models/index.js');

let E: Engine;
let P: Parallel;
let M: Models;
let threshold = 0;

function gradsOfStep(split: boolean): Float32Array[] {
  const prev = P.setParallelThreshold(split ? 0 : Number.POSITIVE_INFINITY);
  try {
    const m = M.createModel('vit', { img_size: 8, patch_size: 4, in_chans: 1, embed_dim: 16, depth: 2, num_heads: 2, num_classes: 3, seed: 3 });
    const x = E.tensor(new Float32Array(3 * 64).map((_, i) => Math.sin(i * 0.37)), [3, 1, 8, 8]);
    E.tidy(() => E.backward(E.crossEntropy(m.forward(x), [0, 2, 1])));
    const opt = new E.AdamW(m.parameters(), { lr: 1e-2 });
    opt.step();
    return [...m.parameters().map((p) => Float32Array.from(p.grad!)), ...m.parameters().map((p) => Float32Array.from(p.data))];
  } finally {
    P.setParallelThreshold(prev);
  }
}

function maxRel(a: Float32Array, b: Float32Array): number {
  let md = 0;
  let mb = 0;
  for (let i = 0; i < b.length; i++) { md = Math.max(md, Math.abs(a[i]! - b[i]!)); mb = Math.max(mb, Math.abs(b[i]!)); }
  return md / Math.max(mb, 1e-12);
}

describe('parallel elementwise kernels (opt-in helper thread)', () => {
  beforeAll(async () => {
    E = await import('../../src/engine/index.js');
    P = await import('../../src/engine/parallel.js');
    M = await import('../../src/models/index.js');
    await P.initParallel();
    threshold = P.setParallelThreshold(0);
  });
  afterAll(() => { P?.setParallelThreshold(threshold); });

  it('a split training step matches the serial one', () => {
    const info = P.parallelInfo();
    if (info.threads < 2) {
      console.warn(`[parallel] helper thread not running here: ${info.reason}`);
      return;
    }
    const before = info.jobs;
    const split = gradsOfStep(true);
    expect(P.parallelInfo().jobs).toBeGreaterThan(before);
    const serial = gradsOfStep(false);
    split.forEach((g, i) => expect(maxRel(g, serial[i]!)).toBeLessThan(1e-5));
  });
});
