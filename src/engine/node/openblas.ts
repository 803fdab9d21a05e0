// The OpenBLAS backend: a Node-API addon (native/src/wsel_blas.c, built by `npm run build:native`)
// that runs cblas_sgemm on the Float32Arrays' own memory, on OpenBLAS's own threads.

import { createRequire } from 'node:module';
import type { GemmBackend } from '../blas.js';
import { checkArgs } from '../gemm/check.js';
import { setNativeGemm } from '../gemm/native.js';
import { activeThreads, parallelFor } from '../threads/pool.js';

/** The functions exported by native/src/wsel_blas.c. */
export interface OpenBlasAddon {
  sgemm: GemmBackend['sgemm'];
  sgemmBatched: GemmBackend['sgemmBatched'];
  /** Sets OpenBLAS's thread count; returns the count now in use. */
  setThreads(n: number): number;
  getThreads(): number;
}

// Relative to this module: src/engine/node/ under vitest/tsx and dist/engine/node/ once compiled
// both sit three levels below the package root.
const ADDON_PATH = '../../../native/build/Release/wsel_blas.node';

let loaded: { addon: OpenBlasAddon } | { reason: string } | undefined;

/**
 * After each product OpenBLAS's idle threads spin for 2^28 cycles (about 0.1 s) before they sleep.
 * With as many threads as cores, that spinning takes the cores the engine's own thread pool needs
 * between products (GELU, LayerNorm, softmax): a vit_tiny_28 training step on 2 cores took 1121 ms
 * with the default and 914 ms with the shortest spin (2^4). OpenBLAS reads OPENBLAS_THREAD_TIMEOUT
 * from the process environment, which only the main thread can set, and a helper thread may load
 * the library first: so this is called on the main thread before any thread starts. A value the
 * user set is kept; processes this one starts inherit the setting.
 */
export function shortOpenBlasSpin(): void {
  if (process.env['OPENBLAS_THREAD_TIMEOUT'] === undefined && process.env['GOTO_THREAD_TIMEOUT'] === undefined) {
    process.env['OPENBLAS_THREAD_TIMEOUT'] = '4';
  }
}

/** Loads the addon (once). Returns the reason when it is unavailable. */
export function loadOpenBlasAddon(): { addon: OpenBlasAddon } | { reason: string } {
  if (loaded === undefined) {
    try {
      loaded = { addon: createRequire(import.meta.url)(ADDON_PATH) as OpenBlasAddon };
    } catch (err) {
      const code = (err as { code?: string }).code;
      loaded = {
        reason: code === 'MODULE_NOT_FOUND'
          ? 'native addon not built (npm run build:native)'
          : `native addon failed to load: ${(err as Error).message.split('\n')[0]}`,
      };
    }
  }
  return loaded;
}

// OpenBLAS runs a product of fewer multiply-adds than this on the calling thread alone
// (SMP_THRESHOLD_MIN x GEMM_MULTITHREAD_THRESHOLD in its interface/gemm.c).
const OPENBLAS_SERIAL_BELOW = 65536 * 4;
// Rough single-thread nanoseconds per multiply-add of such small products.
const NS_PER_FLOP = 1 / 60;

/**
 * The addon as a GemmBackend. A batch of small products (attention: one per sample) would run one
 * after another on one core, so it is shared across the thread pool instead, each thread calling
 * OpenBLAS on whole products: each product is computed exactly as before.
 */
export function openBlasBackend(addon: OpenBlasAddon): GemmBackend {
  setNativeGemm(addon.sgemm);
  return {
    name: 'openblas',
    sgemm: addon.sgemm,
    sgemmBatched: (count, strideA, strideB, strideC, transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc) => {
      if (count < 2 || activeThreads() < 2 || m * n * k >= OPENBLAS_SERIAL_BELOW) {
        addon.sgemmBatched(count, strideA, strideB, strideC, transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
        return;
      }
      checkArgs(count, strideA, strideB, strideC, transA, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc);
      parallelFor('nativeGemmItems', [count, strideA, strideB, strideC, transA, transB, m, n, k, alpha, a, aOffset, lda,
        b, bOffset, ldb, beta, c, cOffset, ldc], count, { cost: 2 * m * n * k * NS_PER_FLOP });
    },
    threads: () => addon.getThreads(),
    setThreads: (n) => addon.setThreads(n),
  };
}
