import { describe, expect, it } from 'vitest';
import { addColumnSums, blasBackend, blasImplementation, setBlasThreads, sgemm, sgemmBatched, typescriptBackend, wasmBackend } from '../../src/engine/blas.js';
import { wasmUnavailableReason } from '../../src/engine/gemm/wasm.js';
import { blasRequest, chooseBlas } from '../../src/engine/node/install.js';
import { loadOpenBlasAddon, shortOpenBlasSpin } from '../../src/engine/node/openblas.js';
import { available } from '../requirements.js';

const { sgemm: typescriptSgemm, sgemmBatched: typescriptSgemmBatched } = typescriptBackend;
const { sgemm: wasmSgemm, sgemmBatched: wasmSgemmBatched } = wasmBackend;

type Sgemm = typeof sgemm;
type SgemmBatched = typeof sgemmBatched;

// Small deterministic PRNG so failures reproduce.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomArray(len: number, rand: () => number): Float32Array {
  const out = new Float32Array(len);
  for (let i = 0; i < len; i++) out[i] = rand() * 2 - 1;
  return out;
}

interface Case {
  transA: boolean; transB: boolean; m: number; n: number; k: number; alpha: number; beta: number;
  a: Float32Array; aOff: number; lda: number;
  b: Float32Array; bOff: number; ldb: number;
  c: Float32Array; cOff: number; ldc: number;
  count: number; strideA: number; strideB: number; strideC: number;
}

// Builds operands with a random offset, leading dimensions wider than the rows, and (batched)
// strides with gaps, so every index formula is exercised. With beta = 0, C starts as NaN.
function makeCase(
  seed: number, transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number, beta: number,
  count = 1, shareB = false,
): Case {
  const rand = rng(seed);
  const pad = () => Math.floor(rand() * 4);
  const [aRows, aCols] = transA ? [k, m] : [m, k];
  const [bRows, bCols] = transB ? [n, k] : [k, n];
  const lda = aCols + pad(), ldb = bCols + pad(), ldc = n + pad();
  const aOff = pad(), bOff = pad(), cOff = pad();
  const strideA = aRows * lda + pad(), strideB = shareB ? 0 : bRows * ldb + pad(), strideC = m * ldc + pad();
  const a = randomArray(aOff + count * strideA + 3, rand);
  const b = randomArray(bOff + Math.max(1, count) * Math.max(strideB, bRows * ldb) + 3, rand);
  const c = randomArray(cOff + count * strideC + 3, rand);
  if (beta === 0) c.fill(Number.NaN);
  return { transA, transB, m, n, k, alpha, beta, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, count, strideA, strideB, strideC };
}

// Float64 reference, and a per-element error bound: float32 accumulation of k products has a
// typical relative error around sqrt(k) * 2^-24 of the sum of |terms|; 1e-5 * sqrt(k) leaves a
// wide margin for blocked summation orders while any indexing mistake is off by O(1).
function check(t: Case, run: (t: Case) => void): void {
  const before = Float32Array.from(t.c);
  run(t);
  const inside = new Set<number>();
  for (let q = 0; q < t.count; q++) {
    const ao = t.aOff + q * t.strideA, bo = t.bOff + q * t.strideB, co = t.cOff + q * t.strideC;
    for (let i = 0; i < t.m; i++) {
      for (let j = 0; j < t.n; j++) {
        let sum = 0, abs = 0;
        for (let p = 0; p < t.k; p++) {
          const av = t.transA ? t.a[ao + p * t.lda + i]! : t.a[ao + i * t.lda + p]!;
          const bv = t.transB ? t.b[bo + j * t.ldb + p]! : t.b[bo + p * t.ldb + j]!;
          sum += av * bv;
          abs += Math.abs(av * bv);
        }
        const ci = co + i * t.ldc + j;
        inside.add(ci);
        const old = t.beta === 0 ? 0 : before[ci]!;
        const ref = t.alpha * sum + t.beta * old;
        const scale = Math.abs(t.alpha) * abs + Math.abs(t.beta * old);
        const tol = 1e-5 * Math.sqrt(Math.max(t.k, 1)) * scale + 1e-30;
        const got = t.c[ci]!;
        if (!(Math.abs(got - ref) <= tol)) {
          expect.fail(`C[${q}](${i},${j}) = ${got}, expected ${ref} (tolerance ${tol})`);
        }
      }
    }
  }
  // Nothing outside the m x n windows may change (padding, gaps, offset prefix).
  for (let idx = 0; idx < t.c.length; idx++) {
    if (!inside.has(idx) && !Object.is(t.c[idx], before[idx])) expect.fail(`C[${idx}] outside the output was written`);
  }
}

const SHAPES: Array<[number, number, number]> = [
  [1, 1, 1], [3, 5, 7], [4, 4, 4], [65, 33, 129], [17, 19, 300], [130, 6, 5], [2, 2100, 3], [7, 1, 513],
];
const SCALARS: Array<[number, number]> = [[1, 0], [0.5, 1], [-1.5, 0.25], [2, -1]];
const TRANS: Array<[boolean, boolean]> = [[false, false], [true, false], [false, true], [true, true]];

function suite(label: string, gemm: Sgemm, batched: SgemmBatched): void {
  describe(label, () => {
    for (const [transA, transB] of TRANS) {
      const tr = `${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}`;
      it(`${tr}: odd shapes, offsets, wide leading dimensions, alpha/beta variants`, () => {
        let seed = 1;
        for (const [m, n, k] of SHAPES) {
          for (const [alpha, beta] of SCALARS) {
            check(makeCase(seed++, transA, transB, m, n, k, alpha, beta), (t) =>
              gemm(t.transA, t.transB, t.m, t.n, t.k, t.alpha, t.a, t.aOff, t.lda, t.b, t.bOff, t.ldb, t.beta, t.c, t.cOff, t.ldc));
          }
        }
      });

      it(`${tr}: batched, including a shared B (stride 0)`, () => {
        let seed = 100;
        for (const [m, n, k, count] of [[1, 1, 1, 1], [3, 5, 7, 4], [33, 17, 64, 6], [5, 9, 3, 0]] as const) {
          for (const [alpha, beta] of SCALARS) {
            for (const shareB of [false, true]) {
              check(makeCase(seed++, transA, transB, m, n, k, alpha, beta, count, shareB), (t) =>
                batched(t.count, t.strideA, t.strideB, t.strideC, t.transA, t.transB, t.m, t.n, t.k, t.alpha,
                  t.a, t.aOff, t.lda, t.b, t.bOff, t.ldb, t.beta, t.c, t.cOff, t.ldc));
            }
          }
        }
      });
    }

    it('k = 0 or alpha = 0 only scales C (beta = 0 clears NaN)', () => {
      const a = new Float32Array([Number.NaN, Number.NaN]);
      const c = new Float32Array([1, 2, 3, 4]);
      gemm(false, false, 2, 2, 0, 1, a, 0, 1, a, 0, 2, 3, c, 0, 2);
      expect(Array.from(c)).toEqual([3, 6, 9, 12]);
      c.fill(Number.NaN);
      gemm(false, false, 2, 2, 0, 1, a, 0, 1, a, 0, 2, 0, c, 0, 2);
      expect(Array.from(c)).toEqual([0, 0, 0, 0]);
      const ones = new Float32Array(4).fill(1);
      c.set([1, 2, 3, 4]);
      gemm(false, false, 2, 2, 2, 0, ones, 0, 2, ones, 0, 2, -1, c, 0, 2);
      expect(Array.from(c)).toEqual([-1, -2, -3, -4]);
    });

    it('empty products leave C alone', () => {
      const c = new Float32Array([5, 6]);
      gemm(false, false, 0, 2, 3, 1, new Float32Array(0), 0, 3, new Float32Array(6), 0, 2, 0, c, 0, 2);
      gemm(false, false, 1, 0, 3, 1, new Float32Array(3), 0, 3, new Float32Array(0), 0, 1, 0, c, 0, 1);
      expect(Array.from(c)).toEqual([5, 6]);
    });

    it('rejects operands that are too short or leading dimensions that are too small', () => {
      const x = new Float32Array(6);
      expect(() => gemm(false, false, 2, 2, 3, 1, x, 0, 3, x, 0, 2, 0, new Float32Array(3), 0, 2)).toThrow(RangeError);
      expect(() => gemm(false, false, 2, 2, 3, 1, x, 1, 3, x, 0, 2, 0, new Float32Array(4), 0, 2)).toThrow(RangeError);
      expect(() => gemm(false, false, 2, 2, 3, 1, x, 0, 2, x, 0, 2, 0, new Float32Array(4), 0, 2)).toThrow(RangeError);
      expect(() => gemm(false, true, 2, 2, 3, 1, x, 0, 3, x, 0, 2, 0, new Float32Array(4), 0, 2)).toThrow(RangeError);
      expect(() => batched(2, 6, 0, 4, false, false, 2, 2, 3, 1, x, 0, 3, x, 0, 2, 0, new Float32Array(8), 0, 2))
        .toThrow(RangeError);
    });
  });
}

suite('TypeScript kernel', typescriptSgemm, typescriptSgemmBatched);

const wasmReason = wasmUnavailableReason();
if (wasmReason === undefined) suite('WebAssembly SIMD kernel', wasmSgemm, wasmSgemmBatched);
else it.skip(`WebAssembly SIMD kernel (SKIPPED: ${wasmReason})`, () => {});

it('JavaScript kernels match the reference on products larger than every cache block', () => {
  // Exercises several k slices, m blocks and (for the JS kernels) the n blocking together.
  const t = makeCase(99, false, true, 131, 1100, 520, 0.75, 0.5);
  check(t, (x) => wasmReason === undefined
    ? wasmSgemm(x.transA, x.transB, x.m, x.n, x.k, x.alpha, x.a, x.aOff, x.lda, x.b, x.bOff, x.ldb, x.beta, x.c, x.cOff, x.ldc)
    : typescriptSgemm(x.transA, x.transB, x.m, x.n, x.k, x.alpha, x.a, x.aOff, x.lda, x.b, x.bOff, x.ldb, x.beta, x.c, x.cOff, x.ldc));
  const u = makeCase(98, true, false, 131, 2100, 300, 1, 0);
  check(u, (x) =>
    typescriptSgemm(x.transA, x.transB, x.m, x.n, x.k, x.alpha, x.a, x.aOff, x.lda, x.b, x.bOff, x.ldb, x.beta, x.c, x.cOff, x.ldc));
});

it.runIf(wasmReason === undefined)('WebAssembly kernel: beta 1 and later k slices add each slice\'s sum to C in f32, slice by slice', () => {
  // The kernel's documented order: slice sums of at most 256 terms from zero, each added to C in turn.
  const rand = rng(7);
  const [m, n, k] = [37, 45, 600];
  const a = randomArray(m * k, rand);
  const b = randomArray(k * n, rand);
  const c0 = randomArray(m * n, rand);
  const expected = Float32Array.from(c0);
  const slice = new Float32Array(m * n);
  for (let p0 = 0; p0 < k; p0 += 256) {
    const kc = Math.min(256, k - p0);
    wasmSgemm(false, false, m, n, kc, 1, a, p0, k, b, p0 * n, n, 0, slice, 0, n);
    for (let i = 0; i < m * n; i++) expected[i] = slice[i]! + expected[i]!;
  }
  const c = Float32Array.from(c0);
  wasmSgemm(false, false, m, n, k, 1, a, 0, k, b, 0, n, 1, c, 0, n);
  expect(new Uint32Array(c.buffer)).toEqual(new Uint32Array(expected.buffer));
});

it.runIf(wasmReason === undefined)('WebAssembly kernel: C stays in the scratch while many k slices add onto it, up to the scratch\'s size', () => {
  // A transposed A of more rows than one staging band (1024), and a C that just fits the scratch C
  // (1024 x 512 floats, the last row panel partly outside m): both against the reference.
  check(makeCase(31, true, false, 1100, 300, 300, 1, 0), (t) =>
    wasmSgemm(t.transA, t.transB, t.m, t.n, t.k, t.alpha, t.a, t.aOff, t.lda, t.b, t.bOff, t.ldb, t.beta, t.c, t.cOff, t.ldc));
  check(makeCase(32, true, true, 1023, 512, 260, 1, 1), (t) =>
    wasmSgemm(t.transA, t.transB, t.m, t.n, t.k, t.alpha, t.a, t.aOff, t.lda, t.b, t.bOff, t.ldb, t.beta, t.c, t.cOff, t.ldc));
});

it.runIf(wasmReason === undefined)('WebAssembly kernel: alpha scales A in double precision, rounded to f32, before the product', () => {
  // So alpha * op(A) op(B) has the bits of 1 * fround(alpha * op(A)) op(B), for any alpha.
  const rand = rng(11);
  const [m, n, k] = [21, 19, 70];
  const b = randomArray(k * n, rand);
  for (const transA of [false, true]) {
    for (const alpha of [1 / 3, 0.125, -2.5e-7]) {
      const a = randomArray(m * k, rand);
      const scaled = a.map((x) => alpha * x);
      const lda = transA ? m : k;
      const c1 = new Float32Array(m * n);
      const c2 = new Float32Array(m * n);
      wasmSgemm(transA, false, m, n, k, alpha, a, 0, lda, b, 0, n, 0, c1, 0, n);
      wasmSgemm(transA, false, m, n, k, 1, scaled, 0, lda, b, 0, n, 0, c2, 0, n);
      expect(new Uint32Array(c1.buffer)).toEqual(new Uint32Array(c2.buffer));
    }
  }
});

it.runIf(wasmReason === undefined)('WebAssembly kernel: the same bits whether rows follow one another or not', () => {
  // Operands whose rows are contiguous are staged in one copy, others row by row.
  const rand = rng(12);
  const spread = (x: Float32Array, rows: number, cols: number, ld: number): Float32Array => {
    const out = new Float32Array(rows * ld).fill(Number.NaN);
    for (let r = 0; r < rows; r++) out.set(x.subarray(r * cols, (r + 1) * cols), r * ld);
    return out;
  };
  for (const [transA, transB] of TRANS) {
    for (const [m, n, k] of [[50, 50, 50], [13, 7, 9], [65, 33, 300], [1, 12, 5]] as const) {
      const [aRows, aCols] = transA ? [k, m] : [m, k];
      const [bRows, bCols] = transB ? [n, k] : [k, n];
      const a = randomArray(aRows * aCols, rand);
      const b = randomArray(bRows * bCols, rand);
      const tight = new Float32Array(m * n);
      const loose = new Float32Array(m * (n + 3));
      wasmSgemm(transA, transB, m, n, k, 0.125, a, 0, aCols, b, 0, bCols, 0, tight, 0, n);
      wasmSgemm(transA, transB, m, n, k, 0.125, spread(a, aRows, aCols, aCols + 3), 0, aCols + 3,
        spread(b, bRows, bCols, bCols + 5), 0, bCols + 5, 0, loose, 0, n + 3);
      const looseRows = new Float32Array(m * n);
      for (let i = 0; i < m; i++) looseRows.set(loose.subarray(i * (n + 3), i * (n + 3) + n), i * n);
      expect(new Uint32Array(looseRows.buffer)).toEqual(new Uint32Array(tight.buffer));
    }
  }
});

describe('column sums (bias gradients)', () => {
  // Sums that the product ones(1 x rows) @ g gives on the same backend, bit for bit.
  const viaProduct = (gemm: Sgemm, rows: number, n: number, g: Float32Array, gOff: number, ldg: number, out: Float32Array, outOff: number) =>
    gemm(false, false, 1, n, rows, 1, new Float32Array(rows).fill(1), 0, rows, g, gOff, ldg, 1, out, outOff, n);
  const shapes: Array<[number, number, number]> = [[1, 1, 0], [7, 5, 2], [256, 9, 0], [513, 1030, 3], [3200, 192, 0]];

  it.runIf(wasmReason === undefined)('the WebAssembly backend sums without the product, with the product\'s bits', () => {
    const rand = rng(21);
    for (const [rows, n, pad] of shapes) {
      const ldg = n + pad;
      const g = randomArray(2 + rows * ldg, rand);
      const out1 = randomArray(n + 1, rand);
      const out2 = Float32Array.from(out1);
      viaProduct(wasmSgemm, rows, n, g, 2, ldg, out1, 1);
      wasmBackend.addColumnSums!(rows, n, g, 2, ldg, out2, 1);
      expect(new Uint32Array(out2.buffer)).toEqual(new Uint32Array(out1.buffer));
    }
  });

  it('the exported addColumnSums gives the backend in use\'s product bits', () => {
    const rand = rng(22);
    const impl = blasImplementation();
    for (const [rows, n, pad] of shapes) {
      const ldg = n + pad;
      const g = randomArray(rows * ldg, rand);
      const out1 = randomArray(n, rand);
      const out2 = Float32Array.from(out1);
      viaProduct(impl.sgemm, rows, n, g, 0, ldg, out1, 0);
      addColumnSums(rows, n, g, 0, ldg, out2, 0);
      expect(new Uint32Array(out2.buffer)).toEqual(new Uint32Array(out1.buffer));
    }
  });
});

const loaded = loadOpenBlasAddon();
const addon = available('openblas') && 'addon' in loaded ? loaded.addon : undefined;
const skipNote = 'reason' in loaded ? ` (SKIPPED: ${loaded.reason})` : '';
if (addon === undefined) {
  it.skip(`OpenBLAS addon${skipNote}`, () => {});
} else {
  suite('OpenBLAS addon', addon.sgemm.bind(addon), addon.sgemmBatched.bind(addon));

  describe('OpenBLAS addon', () => {
    it('rejects arguments of the wrong type', () => {
      const x = new Float32Array(4);
      const call = addon.sgemm as unknown as (...args: unknown[]) => void;
      expect(() => call(false, false, 2, 2, 2, 1, new Float64Array(4), 0, 2, x, 0, 2, 0, x, 0, 2)).toThrow(TypeError);
      expect(() => call(0, false, 2, 2, 2, 1, x, 0, 2, x, 0, 2, 0, x, 0, 2)).toThrow(TypeError);
      expect(() => call(false, false, 2.5, 2, 2, 1, x, 0, 2, x, 0, 2, 0, x, 0, 2)).toThrow(RangeError);
      expect(() => call(false, false, 2, 2, 2, 1, x, 0, 2, x, 0, 2, 0, x, 0)).toThrow(TypeError);
    });

    it('works on a view into a larger buffer without copying', () => {
      const buf = new Float32Array(16);
      const view = buf.subarray(4, 8); // [1 2; 3 4] lives at elements 4..7 of the buffer
      view.set([1, 2, 3, 4]);
      const out = buf.subarray(10, 14);
      addon.sgemm(false, false, 2, 2, 2, 1, view, 0, 2, view, 0, 2, 0, out, 0, 2);
      expect(Array.from(buf.subarray(10, 14))).toEqual([7, 10, 15, 22]);
    });

    it('sets and reports the OpenBLAS thread count', () => {
      const before = addon.getThreads();
      try {
        expect(addon.setThreads(1)).toBe(1);
        expect(addon.getThreads()).toBe(1);
      } finally {
        addon.setThreads(before);
      }
      expect(addon.getThreads()).toBe(before);
    });
  });
}

describe('backend selection', () => {
  it('reports the backend in use', () => {
    const backend = blasBackend();
    const forced = process.env['WSEL_BLAS'];
    const expected = forced === 'typescript' || forced === 'wasm' ? forced
      : addon !== undefined ? 'openblas' : wasmReason === undefined ? 'wasm' : 'typescript';
    expect(backend.name).toBe(expected);
    expect(backend.threads).toBeGreaterThanOrEqual(1);
    expect(setBlasThreads(backend.threads)).toBe(backend.threads);
  });

  for (const name of ['typescript', 'wasm'] as const) {
    it.skipIf(name === 'wasm' && wasmReason !== undefined)(`WSEL_BLAS=${name} forces that kernel`, () => {
      const chosen = chooseBlas(blasRequest({ WSEL_BLAS: name }));
      expect(chosen.backend.name).toBe(name);
      expect(chosen.reason).toMatch(new RegExp(`WSEL_BLAS=${name}`));
      const c = new Float32Array(4).fill(Number.NaN);
      const x = new Float32Array([1, 2, 3, 4]);
      chosen.backend.sgemm(false, true, 2, 2, 2, 1, x, 0, 2, x, 0, 2, 0, c, 0, 2);
      expect(Array.from(c)).toEqual([5, 11, 11, 25]);
    });
  }

  it('rejects an unknown WSEL_BLAS value', () => {
    expect(() => blasRequest({ WSEL_BLAS: 'cublas' })).toThrow(/WSEL_BLAS=cublas/);
    expect(blasRequest({})).toBe('auto');
    expect(blasRequest({ WSEL_BLAS: ' OpenBLAS ' })).toBe('openblas');
  });

  it('the exported sgemm matches the portable kernel', () => {
    check(makeCase(7, true, false, 40, 30, 50, 1, 0), (t) =>
      sgemm(t.transA, t.transB, t.m, t.n, t.k, t.alpha, t.a, t.aOff, t.lda, t.b, t.bOff, t.ldb, t.beta, t.c, t.cOff, t.ldc));
    check(makeCase(8, false, true, 9, 8, 7, 1, 0.5, 3), (t) =>
      sgemmBatched(t.count, t.strideA, t.strideB, t.strideC, t.transA, t.transB, t.m, t.n, t.k, t.alpha,
        t.a, t.aOff, t.lda, t.b, t.bOff, t.ldb, t.beta, t.c, t.cOff, t.ldc));
  });
});

it('asks OpenBLAS for its shortest idle spin unless the user set one', () => {
  const saved = process.env['OPENBLAS_THREAD_TIMEOUT'];
  try {
    delete process.env['OPENBLAS_THREAD_TIMEOUT'];
    shortOpenBlasSpin();
    expect(process.env['OPENBLAS_THREAD_TIMEOUT']).toBe('4');
    process.env['OPENBLAS_THREAD_TIMEOUT'] = '12';
    shortOpenBlasSpin();
    expect(process.env['OPENBLAS_THREAD_TIMEOUT']).toBe('12');
  } finally {
    if (saved === undefined) delete process.env['OPENBLAS_THREAD_TIMEOUT'];
    else process.env['OPENBLAS_THREAD_TIMEOUT'] = saved;
  }
});
