// Matrix products: the engine's one hot kernel. Row-major single-precision GEMM,
// C[m x n] = alpha * op(A)[m x k] * op(B)[k x n] + beta * C, where op(X) is X or X^T (no copy).
// Offsets and leading dimensions count elements. As in BLAS, beta = 0 means C is only written,
// never read, so garbage (NaN) in C does not leak into the result.
//
// Three backends behind one signature, the first that works is used:
//  - 'openblas': the Node-API addon in native/ (built by `npm run build:native`), which runs
//    OpenBLAS's cblas_sgemm on the Float32Arrays' own memory, on all cores.
//  - 'wasm': a WebAssembly SIMD micro-kernel (blas-wasm.ts), single-threaded.
//  - 'typescript': a cache-blocked, register-tiled scalar kernel below, single-threaded.
// WSEL_BLAS=openblas|wasm|typescript picks one; a backend named that way that cannot load is an
// error rather than a silent fallback.

import { createRequire } from 'node:module';
import { wasmGemm, wasmUnavailableReason } from './blas-wasm.js';

export interface BlasBackend {
  readonly name: 'openblas' | 'typescript' | 'wasm';
  readonly threads: number;
  /** Why a faster backend is not in use, when one is not. */
  readonly reason?: string;
}

/** The functions exported by native/src/wsel_blas.c. */
export interface OpenBlasAddon {
  sgemm(
    transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: Float32Array, aOffset: number, lda: number,
    b: Float32Array, bOffset: number, ldb: number,
    beta: number, c: Float32Array, cOffset: number, ldc: number,
  ): void;
  sgemmBatched(
    count: number, strideA: number, strideB: number, strideC: number,
    transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: Float32Array, aOffset: number, lda: number,
    b: Float32Array, bOffset: number, ldb: number,
    beta: number, c: Float32Array, cOffset: number, ldc: number,
  ): void;
  /** Sets OpenBLAS's thread count; returns the count now in use. */
  setThreads(n: number): number;
  getThreads(): number;
}

// Relative to this module: src/engine/blas.ts under vitest/tsx and dist/engine/blas.js once
// compiled both sit two levels below the package root.
const ADDON_PATH = '../../native/build/Release/wsel_blas.node';

let addonResult: { addon: OpenBlasAddon } | { reason: string } | undefined;

/**
 * Loads the OpenBLAS addon (once), whatever WSEL_BLAS says, so tests and benchmarks can reach
 * both backends in one process. Returns the reason when it is unavailable.
 */
export function loadOpenBlasAddon(): { addon: OpenBlasAddon } | { reason: string } {
  if (addonResult === undefined) {
    try {
      const addon = createRequire(import.meta.url)(ADDON_PATH) as OpenBlasAddon;
      addonResult = { addon };
    } catch (err) {
      const code = (err as { code?: string }).code;
      addonResult = {
        reason: code === 'MODULE_NOT_FOUND'
          ? 'native addon not built (npm run build:native)'
          : `native addon failed to load: ${(err as Error).message.split('\n')[0]}`,
      };
    }
  }
  return addonResult;
}

interface Choice {
  name: BlasBackend['name'];
  addon?: OpenBlasAddon;
  reason?: string;
}

function chooseBackend(): Choice {
  const wanted = (process.env['WSEL_BLAS'] ?? '').trim().toLowerCase();
  if (wanted === 'typescript' || wanted === 'ts') return { name: 'typescript', reason: 'WSEL_BLAS=typescript' };
  if (wanted !== '' && wanted !== 'auto' && wanted !== 'openblas' && wanted !== 'wasm') {
    throw new Error(`WSEL_BLAS=${wanted}: expected 'openblas', 'wasm', 'typescript' or 'auto'`);
  }
  const reasons: string[] = [];
  if (wanted !== 'wasm') {
    const loaded = loadOpenBlasAddon();
    if ('addon' in loaded) return { name: 'openblas', addon: loaded.addon };
    if (wanted === 'openblas') throw new Error(`WSEL_BLAS=openblas but ${loaded.reason}`);
    reasons.push(loaded.reason);
  } else {
    reasons.push('WSEL_BLAS=wasm');
  }
  const wasmReason = wasmUnavailableReason();
  if (wasmReason === undefined) return { name: 'wasm', reason: reasons.join('; ') };
  if (wanted === 'wasm') throw new Error(`WSEL_BLAS=wasm but ${wasmReason}`);
  reasons.push(`WebAssembly kernel unavailable: ${wasmReason}`);
  return { name: 'typescript', reason: reasons.join('; ') };
}

const chosen = chooseBackend();
const native = chosen.addon;
const useWasm = chosen.name === 'wasm';

export function blasBackend(): BlasBackend {
  if (native !== undefined) return { name: 'openblas', threads: native.getThreads() };
  return { name: chosen.name, threads: 1, ...(chosen.reason !== undefined ? { reason: chosen.reason } : {}) };
}

/**
 * Sets how many threads the backend may use (OpenBLAS only; the JavaScript-side kernels are
 * single-threaded). Returns the count in effect.
 */
export function setBlasThreads(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`blas: thread count must be a positive integer, got ${n}`);
  return native !== undefined ? native.setThreads(n) : 1;
}

export function sgemm(
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: Float32Array, aOffset: number, lda: number,
  b: Float32Array, bOffset: number, ldb: number,
  beta: number, c: Float32Array, cOffset: number, ldc: number,
): void {
  if (native !== undefined) {
    native.sgemm(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
  } else if (useWasm) {
    wasmSgemm(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
  } else {
    typescriptSgemm(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
  }
}

/**
 * `count` independent products (e.g. attention over batch x heads): product i reads A at
 * aOffset + i * strideA, B at bOffset + i * strideB and writes C at cOffset + i * strideC.
 * A stride of 0 reuses the same operand for every product.
 */
export function sgemmBatched(
  count: number, strideA: number, strideB: number, strideC: number,
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: Float32Array, aOffset: number, lda: number,
  b: Float32Array, bOffset: number, ldb: number,
  beta: number, c: Float32Array, cOffset: number, ldc: number,
): void {
  if (native !== undefined) {
    native.sgemmBatched(count, strideA, strideB, strideC, transA, transB, m, n, k, alpha,
      a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
  } else if (useWasm) {
    wasmSgemmBatched(count, strideA, strideB, strideC, transA, transB, m, n, k, alpha,
      a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
  } else {
    typescriptSgemmBatched(count, strideA, strideB, strideC, transA, transB, m, n, k, alpha,
      a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
  }
}

// ---------------------------------------------------------------------------------------------
// JavaScript-side kernels: argument checks and edge cases shared by the WebAssembly and the
// TypeScript kernel, then the TypeScript kernel itself.

type GemmKernel = (
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: Float32Array, aOffset: number, lda: number,
  b: Float32Array, bOffset: number, ldb: number,
  beta: number, c: Float32Array, cOffset: number, ldc: number,
) => void;

/** A portable kernel as the plain and batched entry points (arguments checked, then a loop in JavaScript). */
function portable(kernel: GemmKernel) {
  const single: GemmKernel = (transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc) => {
    checkArgs(1, 0, 0, 0, transA, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc);
    runKernel(kernel, transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
  };
  const batched = (
    count: number, strideA: number, strideB: number, strideC: number,
    transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: Float32Array, aOffset: number, lda: number,
    b: Float32Array, bOffset: number, ldb: number,
    beta: number, c: Float32Array, cOffset: number, ldc: number,
  ): void => {
    checkArgs(count, strideA, strideB, strideC, transA, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc);
    for (let i = 0; i < count; i++) {
      runKernel(kernel, transA, transB, m, n, k, alpha,
        a, aOffset + i * strideA, lda, b, bOffset + i * strideB, ldb, beta, c, cOffset + i * strideC, ldc);
    }
  };
  return { single, batched };
}

const wasmKernels = portable(wasmGemm);
const typescriptKernels = portable(tsGemm);
/** The WebAssembly SIMD kernel, whatever backend is selected (tests and benchmarks). */
export const wasmSgemm = wasmKernels.single;
export const wasmSgemmBatched = wasmKernels.batched;
/** The scalar TypeScript kernel, whatever backend is selected (tests and benchmarks). */
export const typescriptSgemm = typescriptKernels.single;
export const typescriptSgemmBatched = typescriptKernels.batched;

// Empty products and alpha = 0 never reach a kernel: BLAS does not read A or B then.
function runKernel(
  kernel: GemmKernel,
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: Float32Array, aOffset: number, lda: number,
  b: Float32Array, bOffset: number, ldb: number,
  beta: number, c: Float32Array, cOffset: number, ldc: number,
): void {
  if (m === 0 || n === 0) return;
  if (k === 0 || alpha === 0) {
    scaleC(m, n, beta, c, cOffset, ldc);
    return;
  }
  kernel(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
}

// TypeScript kernel.
//
// GotoBLAS-style blocking: B is packed KC x NC at a time into NR-wide column panels, A MC x KC
// at a time into MR-tall row panels (pre-scaled by alpha, zero-padded at the edges, transposes
// undone here), and a 4x4 micro-kernel keeps its 16 sums in locals while it walks one A panel
// and one B panel. Packing into Float64Array saves a float32->float64 conversion per load in
// the inner loop (V8 computes in doubles either way); a double product of two floats is exact,
// so the only roundings are the float64 sums and the final float32 store.

const MR = 4;
const NR = 4;
const KC = 256; // one B panel (KC x NR doubles, 8 KiB) stays in L1
const MC = 64; // the packed A block (MC x KC doubles, 128 KiB) stays in L2
const NC = 2048;

const packA = new Float64Array(MC * KC);
let packB = new Float64Array(0);
const tile = new Float64Array(MR * NR);

function checkInt(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`blas: ${name} must be a non-negative integer, got ${value}`);
}

// The operand is stored rows x cols with leading dimension ld, `count` times `stride` apart.
function checkOperand(
  name: string, arr: Float32Array, offset: number, ld: number, rows: number, cols: number,
  count: number, stride: number,
): void {
  if (rows === 0 || cols === 0 || count === 0) return;
  if (ld < cols) throw new RangeError(`blas: leading dimension of ${name} (${ld}) is smaller than its row length (${cols})`);
  const last = offset + (count - 1) * stride + (rows - 1) * ld + cols - 1;
  if (last >= arr.length) throw new RangeError(`blas: ${name} is too short: index ${last} needed, length ${arr.length}`);
}

function checkArgs(
  count: number, strideA: number, strideB: number, strideC: number,
  transA: boolean, transB: boolean, m: number, n: number, k: number,
  a: Float32Array, aOffset: number, lda: number,
  b: Float32Array, bOffset: number, ldb: number,
  c: Float32Array, cOffset: number, ldc: number,
): void {
  checkInt(count, 'count'); checkInt(strideA, 'strideA'); checkInt(strideB, 'strideB'); checkInt(strideC, 'strideC');
  checkInt(m, 'm'); checkInt(n, 'n'); checkInt(k, 'k');
  checkInt(aOffset, 'aOffset'); checkInt(lda, 'lda'); checkInt(bOffset, 'bOffset'); checkInt(ldb, 'ldb');
  checkInt(cOffset, 'cOffset'); checkInt(ldc, 'ldc');
  checkOperand('a', a, aOffset, lda, transA ? k : m, transA ? m : k, count, strideA);
  checkOperand('b', b, bOffset, ldb, transB ? n : k, transB ? k : n, count, strideB);
  checkOperand('c', c, cOffset, ldc, m, n, count, strideC);
}

function tsGemm(
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: Float32Array, aOffset: number, lda: number,
  b: Float32Array, bOffset: number, ldb: number,
  beta: number, c: Float32Array, cOffset: number, ldc: number,
): void {
  const ncMax = Math.min(NC, roundUp(n, NR));
  if (packB.length < KC * ncMax) packB = new Float64Array(KC * ncMax);
  const pa = packA;
  const pb = packB;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      // Only the first slice of k applies beta; later slices add onto what it wrote.
      const betaNow = pc === 0 ? beta : 1;
      if (transB) packBTrans(pb, b, bOffset + jc * ldb + pc, ldb, kc, nc);
      else packBPlain(pb, b, bOffset + pc * ldb + jc, ldb, kc, nc);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        if (transA) packATrans(pa, a, aOffset + pc * lda + ic, lda, kc, mc, alpha);
        else packAPlain(pa, a, aOffset + ic * lda + pc, lda, kc, mc, alpha);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = Math.min(NR, nc - jr);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = Math.min(MR, mc - ir);
            microKernel(kc, pa, ir * kc, pb, jr * kc);
            storeTile(mr, nr, betaNow, c, cOffset + (ic + ir) * ldc + jc + jr, ldc);
          }
        }
      }
    }
  }
}

function roundUp(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}

function scaleC(m: number, n: number, beta: number, c: Float32Array, cOffset: number, ldc: number): void {
  if (beta === 1) return;
  for (let i = 0; i < m; i++) {
    const row = cOffset + i * ldc;
    if (beta === 0) c.fill(0, row, row + n);
    else for (let j = row; j < row + n; j++) c[j] = beta * c[j]!;
  }
}

// A block (mc x kc of op(A), A not transposed: element (i, p) at src + i * lda + p) into
// MR-row panels: panel r holds rows r*MR.. as kc groups of MR values.
function packAPlain(dst: Float64Array, a: Float32Array, src: number, lda: number, kc: number, mc: number, alpha: number): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const base = ir * kc;
    for (let i = 0; i < MR; i++) {
      let d = base + i;
      if (ir + i < mc) {
        const row = src + (ir + i) * lda;
        for (let p = 0; p < kc; p++, d += MR) dst[d] = alpha * a[row + p]!;
      } else {
        for (let p = 0; p < kc; p++, d += MR) dst[d] = 0;
      }
    }
  }
}

// Same layout, A transposed: element (i, p) of op(A) at src + p * lda + i.
function packATrans(dst: Float64Array, a: Float32Array, src: number, lda: number, kc: number, mc: number, alpha: number): void {
  for (let ir = 0; ir < mc; ir += MR) {
    let d = ir * kc;
    const rows = Math.min(MR, mc - ir);
    if (rows === MR) {
      for (let p = 0; p < kc; p++, d += MR) {
        const s = src + p * lda + ir;
        dst[d] = alpha * a[s]!;
        dst[d + 1] = alpha * a[s + 1]!;
        dst[d + 2] = alpha * a[s + 2]!;
        dst[d + 3] = alpha * a[s + 3]!;
      }
    } else {
      for (let p = 0; p < kc; p++, d += MR) {
        const s = src + p * lda + ir;
        for (let i = 0; i < MR; i++) dst[d + i] = i < rows ? alpha * a[s + i]! : 0;
      }
    }
  }
}

// B block (kc x nc of op(B), B not transposed: element (p, j) at src + p * ldb + j) into
// NR-column panels: panel r holds columns r*NR.. as kc groups of NR values.
function packBPlain(dst: Float64Array, b: Float32Array, src: number, ldb: number, kc: number, nc: number): void {
  for (let jr = 0; jr < nc; jr += NR) {
    let d = jr * kc;
    const cols = Math.min(NR, nc - jr);
    if (cols === NR) {
      for (let p = 0; p < kc; p++, d += NR) {
        const s = src + p * ldb + jr;
        dst[d] = b[s]!;
        dst[d + 1] = b[s + 1]!;
        dst[d + 2] = b[s + 2]!;
        dst[d + 3] = b[s + 3]!;
      }
    } else {
      for (let p = 0; p < kc; p++, d += NR) {
        const s = src + p * ldb + jr;
        for (let j = 0; j < NR; j++) dst[d + j] = j < cols ? b[s + j]! : 0;
      }
    }
  }
}

// Same layout, B transposed: element (p, j) of op(B) at src + j * ldb + p.
function packBTrans(dst: Float64Array, b: Float32Array, src: number, ldb: number, kc: number, nc: number): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const base = jr * kc;
    for (let j = 0; j < NR; j++) {
      let d = base + j;
      if (jr + j < nc) {
        const col = src + (jr + j) * ldb;
        for (let p = 0; p < kc; p++, d += NR) dst[d] = b[col + p]!;
      } else {
        for (let p = 0; p < kc; p++, d += NR) dst[d] = 0;
      }
    }
  }
}

// 4x4 block of packed A panel x packed B panel into `tile`. Sixteen scalar locals are what
// V8 keeps in registers; wider tiles spill (measured: 4x4 beats 2x8 and 4x8).
function microKernel(kc: number, pa: Float64Array, ai: number, pb: Float64Array, bi: number): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let p = 0; p < kc; p++) {
    const a0 = pa[ai]!, a1 = pa[ai + 1]!, a2 = pa[ai + 2]!, a3 = pa[ai + 3]!;
    const b0 = pb[bi]!, b1 = pb[bi + 1]!, b2 = pb[bi + 2]!, b3 = pb[bi + 3]!;
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
    ai += MR;
    bi += NR;
  }
  const t = tile;
  t[0] = c00; t[1] = c01; t[2] = c02; t[3] = c03;
  t[4] = c10; t[5] = c11; t[6] = c12; t[7] = c13;
  t[8] = c20; t[9] = c21; t[10] = c22; t[11] = c23;
  t[12] = c30; t[13] = c31; t[14] = c32; t[15] = c33;
}

// C tile (mr x nr, the top-left of the 4x4 `tile`) = tile + beta * C; beta 0 never reads C.
function storeTile(mr: number, nr: number, beta: number, c: Float32Array, ci: number, ldc: number): void {
  const t = tile;
  for (let i = 0; i < mr; i++, ci += ldc) {
    const ti = i * NR;
    if (beta === 0) {
      for (let j = 0; j < nr; j++) c[ci + j] = t[ti + j]!;
    } else if (beta === 1) {
      for (let j = 0; j < nr; j++) c[ci + j] = t[ti + j]! + c[ci + j]!;
    } else {
      for (let j = 0; j < nr; j++) c[ci + j] = t[ti + j]! + beta * c[ci + j]!;
    }
  }
}
