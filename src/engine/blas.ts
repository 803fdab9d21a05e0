// Matrix products: the engine's one hot kernel. Row-major single-precision GEMM,
// C[m x n] = alpha * op(A)[m x k] * op(B)[k x n] + beta * C, where op(X) is X or X^T (no copy).
// Offsets and leading dimensions count elements. As in BLAS, beta = 0 means C is only written,
// never read, so garbage (NaN) in C does not leak into the result.
//
// Backends behind one signature:
//  - 'openblas': OpenBLAS's cblas_sgemm through a native addon, on all cores (Node only:
//    engine/node/openblas.ts installs it);
//  - 'wasm': a WebAssembly SIMD kernel (gemm/wasm.ts), split across the thread pool;
//  - 'typescript': a scalar kernel (gemm/typescript.ts), split the same way; the last resort.
// This module itself is portable: without an installed backend it uses wasm, or typescript where
// WebAssembly SIMD is missing.

import { checkArgs, type GemmKernel } from './gemm/check.js';
import { wasmUnavailableReason } from './gemm/wasm.js';
import { activeThreads, parallelFor } from './threads/pool.js';
import { gemmTimer } from './profile.js';

export type BlasName = 'openblas' | 'wasm' | 'typescript';

export type BatchedGemmKernel = (
  count: number, strideA: number, strideB: number, strideC: number,
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: Float32Array, aOffset: number, lda: number,
  b: Float32Array, bOffset: number, ldb: number,
  beta: number, c: Float32Array, cOffset: number, ldc: number,
) => void;

export type ColumnSumsKernel = (rows: number, n: number, g: Float32Array, gOffset: number, ldg: number,
  out: Float32Array, outOffset: number) => void;

/** A matrix-product implementation. */
export interface GemmBackend {
  readonly name: BlasName;
  sgemm: GemmKernel;
  /**
   * `count` independent products (e.g. attention over the batch): product i reads A at
   * aOffset + i * strideA, B at bOffset + i * strideB and writes C at cOffset + i * strideC.
   * A stride of 0 reuses the same operand for every product.
   */
  sgemmBatched: BatchedGemmKernel;
  /**
   * out[0..n) += the column sums of g (rows x n, row stride ldg), the same bits as
   * sgemm(ones(1 x rows), g) with beta 1; without it, addColumnSums runs that product.
   */
  addColumnSums?: ColumnSumsKernel;
  /** Threads its products run on. */
  threads(): number;
  /** Set its thread count where it owns one (OpenBLAS); returns the count in effect. */
  setThreads?(n: number): number;
}

export interface BlasBackend {
  readonly name: BlasName;
  readonly threads: number;
  /** Why a faster backend is not in use, when one is not. */
  readonly reason?: string;
}

// Rough single-thread nanoseconds per multiply-add, to decide when splitting a product pays.
const NS_PER_FLOP = { wasm: 1 / 40, typescript: 1 / 5 };

/** A portable kernel as a backend: arguments checked, then split over the pool by columns, rows or products. */
function portableBackend(name: 'wasm' | 'typescript'): GemmBackend {
  const ns = NS_PER_FLOP[name];
  const columns = `${name}GemmColumns` as const;
  const rows = `${name}GemmRows` as const;
  const items = `${name}GemmItems` as const;
  const single: GemmKernel = (transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc) => {
    checkArgs(1, 0, 0, 0, transA, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc);
    const args = [transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc] as const;
    // Split the longer side of C; bands of whole micro-tiles.
    if (n >= m) parallelFor(columns, args, n, { cost: 2 * m * k * ns, align: 8 });
    else parallelFor(rows, args, m, { cost: 2 * n * k * ns, align: 4 });
  };
  const batched: BatchedGemmKernel = (count, strideA, strideB, strideC, transA, transB, m, n, k, alpha,
    a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc) => {
    checkArgs(count, strideA, strideB, strideC, transA, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc);
    if (count >= activeThreads()) {
      parallelFor(items, [count, strideA, strideB, strideC, transA, transB, m, n, k, alpha, a, aOffset, lda,
        b, bOffset, ldb, beta, c, cOffset, ldc], count, { cost: 2 * m * n * k * ns });
      return;
    }
    for (let i = 0; i < count; i++) {
      single(transA, transB, m, n, k, alpha, a, aOffset + i * strideA, lda, b, bOffset + i * strideB, ldb,
        beta, c, cOffset + i * strideC, ldc);
    }
  };
  return { name, sgemm: single, sgemmBatched: batched, threads: activeThreads };
}

export const wasmBackend: GemmBackend = {
  ...portableBackend('wasm'),
  addColumnSums: (rows, n, g, gOffset, ldg, out, outOffset) =>
    parallelFor('wasmColumnSums', [rows, g, gOffset, ldg, out, outOffset], n, { cost: rows / 4, align: 4 }),
};
export const typescriptBackend = portableBackend('typescript');

let backend: GemmBackend | null = null;
let reason: string | undefined;
let resolve: () => { backend: GemmBackend; reason?: string } = () => {
  const why = wasmUnavailableReason();
  return why === undefined ? { backend: wasmBackend } : { backend: typescriptBackend, reason: `WebAssembly SIMD unavailable: ${why}` };
};

function current(): GemmBackend {
  if (backend === null) {
    const chosen = resolve();
    backend = chosen.backend;
    reason = chosen.reason;
  }
  return backend;
}

/**
 * Decide the backend on first use with `choose` (a platform's preference, e.g. OpenBLAS in Node);
 * replaces any backend chosen so far.
 */
export function setBlasChooser(choose: () => { backend: GemmBackend; reason?: string }): void {
  resolve = choose;
  backend = null;
  reason = undefined;
}

/** Use this backend from now on (tests and benchmarks compare backends in one process). */
export function useBlas(b: GemmBackend, why?: string): void {
  backend = b;
  reason = why;
}

export function blasBackend(): BlasBackend {
  const b = current();
  return { name: b.name, threads: b.threads(), ...(reason !== undefined ? { reason } : {}) };
}

/** The backend in use (its kernels can be called directly). */
export function blasImplementation(): GemmBackend {
  return current();
}

/**
 * Sets how many threads the backend may use where it owns its threads (OpenBLAS); the portable
 * kernels use the thread pool's. Returns the count in effect.
 */
export function setBlasThreads(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`blas: thread count must be a positive integer, got ${n}`);
  const b = current();
  return b.setThreads ? b.setThreads(n) : b.threads();
}

export function sgemm(
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: Float32Array, aOffset: number, lda: number,
  b: Float32Array, bOffset: number, ldb: number,
  beta: number, c: Float32Array, cOffset: number, ldc: number,
): void {
  const impl = backend ?? current();
  if (gemmTimer.on) {
    const t0 = gemmTimer.start();
    impl.sgemm(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
    gemmTimer.stop(t0, 2 * m * n * k);
    return;
  }
  impl.sgemm(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
}

let ones = new Float32Array(0);

/** A vector of at least n ones (shared, grows on demand). */
function onesVector(n: number): Float32Array {
  if (ones.length < n) ones = new Float32Array(Math.max(n, 2 * ones.length)).fill(1);
  return ones;
}

/**
 * out[0..n) += the column sums of g (rows x n, row stride ldg): a bias gradient. The bits of
 * ones(1 x rows) @ g on the backend in use, which some backends give without the product.
 */
export function addColumnSums(rows: number, n: number, g: Float32Array, gOffset: number, ldg: number,
  out: Float32Array, outOffset: number): void {
  const impl = backend ?? current();
  if (impl.addColumnSums === undefined || rows === 0 || n === 0) {
    sgemm(false, false, 1, n, rows, 1, onesVector(rows), 0, rows, g, gOffset, ldg, 1, out, outOffset, n);
    return;
  }
  if (gemmTimer.on) {
    const t0 = gemmTimer.start();
    impl.addColumnSums(rows, n, g, gOffset, ldg, out, outOffset);
    gemmTimer.stop(t0, 2 * rows * n);
    return;
  }
  impl.addColumnSums(rows, n, g, gOffset, ldg, out, outOffset);
}

/** `count` independent products; see GemmBackend.sgemmBatched. */
export function sgemmBatched(
  count: number, strideA: number, strideB: number, strideC: number,
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: Float32Array, aOffset: number, lda: number,
  b: Float32Array, bOffset: number, ldb: number,
  beta: number, c: Float32Array, cOffset: number, ldc: number,
): void {
  const impl = backend ?? current();
  if (gemmTimer.on) {
    const t0 = gemmTimer.start();
    impl.sgemmBatched(count, strideA, strideB, strideC, transA, transB, m, n, k, alpha,
      a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
    gemmTimer.stop(t0, 2 * count * m * n * k);
    return;
  }
  impl.sgemmBatched(count, strideA, strideB, strideC, transA, transB, m, n, k, alpha,
    a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
}
