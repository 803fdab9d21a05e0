// Configuring the engine for Node from the environment. Node entry points (the CLI, the test setup)
// call installNodeEngine() once; portable code never imports this folder.
//
//   WSEL_BLAS=openblas|wasm|typescript   force a matrix-product backend (default: OpenBLAS when its
//                                        addon is built, else WebAssembly SIMD)
//   WSEL_THREADS=N                       threads for the engine's own kernels (default: see threadRequest)

import { availableParallelism } from 'node:os';
import { WselError, EXIT_CODES } from '../../errors.js';
import { setBlasChooser, typescriptBackend, wasmBackend, type BlasName, type GemmBackend } from '../blas.js';
import { wasmUnavailableReason } from '../gemm/wasm.js';
import { configureThreads } from '../threads/pool.js';
import { loadOpenBlasAddon, openBlasBackend, shortOpenBlasSpin } from './openblas.js';
import { nodeThreads } from './threads.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The backend WSEL_BLAS asks for ('auto' when unset). */
export function blasRequest(env: Env): BlasName | 'auto' {
  const wanted = (env['WSEL_BLAS'] ?? '').trim().toLowerCase();
  if (wanted === '' || wanted === 'auto') return 'auto';
  if (wanted === 'ts') return 'typescript';
  if (wanted === 'openblas' || wanted === 'wasm' || wanted === 'typescript') return wanted;
  throw new WselError(`WSEL_BLAS=${wanted}: expected openblas, wasm, typescript or auto`, EXIT_CODES.usage);
}

/**
 * Threads for the engine's kernels: WSEL_THREADS, else OPENBLAS_NUM_THREADS (a limit set for the
 * matrix products holds for the rest of the step too, e.g. one per run when runs share the cores),
 * else every core. The thread count never changes results, only speed.
 */
export function threadRequest(env: Env): number {
  const cores = availableParallelism();
  for (const name of ['WSEL_THREADS', 'OPENBLAS_NUM_THREADS'] as const) {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') continue;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) {
      if (name === 'WSEL_THREADS') throw new WselError(`WSEL_THREADS=${raw}: expected a whole number of at least 1`, EXIT_CODES.usage);
      continue; // OpenBLAS's own variable: it is OpenBLAS's to judge
    }
    return Math.min(n, cores);
  }
  return cores;
}

/** The backend for a request, with why a faster one is not used; throws when a forced one cannot load. */
export function chooseBlas(request: BlasName | 'auto'): { backend: GemmBackend; reason?: string } {
  if (request === 'typescript') return { backend: typescriptBackend, reason: 'WSEL_BLAS=typescript' };
  const reasons: string[] = [];
  if (request !== 'wasm') {
    const loaded = loadOpenBlasAddon();
    if ('addon' in loaded) return { backend: openBlasBackend(loaded.addon) };
    if (request === 'openblas') throw new WselError(`WSEL_BLAS=openblas, but the OpenBLAS ${loaded.reason}`, EXIT_CODES.usage);
    reasons.push(loaded.reason);
  } else {
    reasons.push('WSEL_BLAS=wasm');
  }
  const wasmReason = wasmUnavailableReason();
  if (wasmReason === undefined) return { backend: wasmBackend, reason: reasons.join('; ') };
  if (request === 'wasm') throw new WselError(`WSEL_BLAS=wasm but WebAssembly SIMD is unavailable: ${wasmReason}`, EXIT_CODES.usage);
  reasons.push(`WebAssembly SIMD unavailable: ${wasmReason}`);
  return { backend: typescriptBackend, reason: reasons.join('; ') };
}

/**
 * Configure the engine for Node from the environment: worker threads (they start on first use), the
 * matrix-product backend (chosen on first use) and OpenBLAS's short idle spin (shortOpenBlasSpin).
 * Throws a usage error for a malformed variable.
 */
export function installNodeEngine(env: Env = process.env): void {
  const request = blasRequest(env);
  shortOpenBlasSpin();
  configureThreads(nodeThreads, threadRequest(env));
  setBlasChooser(() => chooseBlas(request));
}
