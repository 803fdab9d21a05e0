// The thread pool: kernels split across helper threads give the same bits as on one thread (a whole
// training step of each model family, and the portable matrix-product kernels), and a split kernel's
// failure or a missing helper is reported, not hidden.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AdamW, backward, configureThreads, crossEntropy, initThreads, noGrad, parallelFor, setParallelThreshold, tensor,
  threadsInfo, tidy, typescriptBackend, useBlas, wasmBackend, type GemmBackend,
} from '../../src/engine/index.js';
import { blasImplementation } from '../../src/engine/blas.js';
import { wasmUnavailableReason } from '../../src/engine/gemm/wasm.js';
import { nodeThreads } from '../../src/engine/node/threads.js';
import { createModel, type ModelFamily } from '../../src/models/index.js';

const CONFIGS: Record<ModelFamily, object> = {
  vit: { img_size: 16, patch_size: 4, in_chans: 1, embed_dim: 24, depth: 2, num_heads: 3, num_classes: 5, seed: 3 },
  convnext: { in_chans: 1, depths: [1, 1, 2, 1], dims: [8, 16, 24, 32], num_classes: 5, drop_path_rate: 0.2, seed: 4 },
  mixer: { img_size: 16, patch_size: 4, in_chans: 1, embed_dim: 24, num_blocks: 2, num_classes: 5, seed: 5 },
};

/** Gradients and updated parameters after one AdamW step, as raw bits. */
function stepBits(family: ModelFamily, split: boolean): Uint32Array[] {
  const prev = setParallelThreshold(split ? 0 : Number.POSITIVE_INFINITY);
  try {
    const model = createModel(family, CONFIGS[family] as never);
    model.train();
    const side = family === 'convnext' ? 32 : 16;
    const x = tensor(new Float32Array(6 * side * side).map((_, i) => Math.sin(i * 0.37)), [6, 1, side, side]);
    const opt = new AdamW(model.parameters(), { lr: 1e-2, weightDecay: 0.05 });
    tidy(() => backward(crossEntropy(model.forward(x), [0, 2, 1, 4, 3, 0], { labelSmoothing: 0.1 })));
    noGrad(() => opt.step());
    const ps = model.parameters();
    return [...ps.map((p) => new Uint32Array(Float32Array.from(p.grad!).buffer)), ...ps.map((p) => new Uint32Array(Float32Array.from(p.data).buffer))];
  } finally {
    setParallelThreshold(prev);
  }
}

function sameBits(a: Uint32Array[], b: Uint32Array[]): boolean {
  return a.length === b.length && a.every((x, i) => x.length === b[i]!.length && x.every((v, j) => v === b[i]![j]));
}

describe('thread pool', () => {
  let original: GemmBackend;
  beforeAll(async () => {
    original = blasImplementation();
    configureThreads(nodeThreads, 2);
    const info = await initThreads();
    expect(info.threads, info.reason).toBe(2);
  });
  afterAll(() => {
    useBlas(original);
    configureThreads(null, 1);
  });

  for (const family of ['vit', 'convnext', 'mixer'] as const) {
    it(`a ${family} training step split across two threads is bit-identical to one thread`, () => {
      const before = threadsInfo().jobs;
      const split = stepBits(family, true);
      expect(threadsInfo().jobs).toBeGreaterThan(before);
      expect(sameBits(split, stepBits(family, false))).toBe(true);
    });
  }

  const backends = wasmUnavailableReason() === undefined ? [wasmBackend, typescriptBackend] : [typescriptBackend];
  for (const backend of backends) {
    it(`${backend.name} products split by columns, rows and batch items are bit-identical`, () => {
      useBlas(backend);
      for (const [transA, transB, m, n, k, count] of [[false, true, 37, 90, 70, 1], [true, false, 130, 20, 33, 1], [false, false, 9, 10, 11, 5]] as const) {
        // Arrays must be on shared memory for a helper to see them.
        // (map() would return an ordinary array.)
        const shared = (n: number, f: (i: number) => number): Float32Array => {
          const x = new Float32Array(new SharedArrayBuffer(4 * n));
          for (let i = 0; i < n; i++) x[i] = f(i);
          return x;
        };
        const a = shared(count * m * k, (i) => Math.cos(i));
        const b = shared(count * k * n, (i) => Math.sin(i * 0.3));
        const run = (split: boolean): Float32Array => {
          const c = shared(count * m * n, () => 0.5);
          const prev = setParallelThreshold(split ? 0 : Number.POSITIVE_INFINITY);
          try {
            backend.sgemmBatched(count, m * k, k * n, m * n, transA, transB, m, n, k, 0.75,
              a, 0, transA ? m : k, b, 0, transB ? k : n, 0.25, c, 0, n);
          } finally {
            setParallelThreshold(prev);
          }
          return c;
        };
        const serial = run(false);
        const before = threadsInfo().jobs;
        const c = run(true);
        expect(threadsInfo().jobs).toBeGreaterThan(before);
        expect(new Uint32Array(c.buffer)).toEqual(new Uint32Array(serial.buffer));
      }
    });
  }

  it('a kernel that throws in a helper thread is an error on the calling thread', () => {
    const prev = setParallelThreshold(0);
    try {
      const x = new Float32Array(new SharedArrayBuffer(64));
      // A wrong argument type makes the kernel throw on both threads.
      expect(() => parallelFor('addSame', [x, null as unknown as Float32Array, x], 16)).toThrow();
      // The pool still works afterwards.
      const o = new Float32Array(new SharedArrayBuffer(64));
      parallelFor('addSame', [x.fill(1), x, o], 16);
      expect(Array.from(o)).toEqual(new Array(16).fill(2));
    } finally {
      setParallelThreshold(prev);
    }
  });
});

describe('thread count from the environment', () => {
  it('WSEL_THREADS, else OPENBLAS_NUM_THREADS, else every core; never more than the cores', async () => {
    const { threadRequest } = await import('../../src/engine/node/install.js');
    const { availableParallelism } = await import('node:os');
    const cores = availableParallelism();
    expect(threadRequest({})).toBe(cores);
    expect(threadRequest({ OPENBLAS_NUM_THREADS: '1' })).toBe(1);
    expect(threadRequest({ WSEL_THREADS: '1', OPENBLAS_NUM_THREADS: '4' })).toBe(1);
    expect(threadRequest({ WSEL_THREADS: '1000' })).toBe(cores);
    expect(threadRequest({ OPENBLAS_NUM_THREADS: 'lots' })).toBe(cores);
    expect(() => threadRequest({ WSEL_THREADS: '0' })).toThrow(/WSEL_THREADS=0/);
  });
});
