// Whether float buffers live on SharedArrayBuffers, so the helper thread of parallel.ts can work on
// them. Decided once at startup. Opt-in: WSEL_THREADS=2 (the helper was slower than one thread on
// the shared 2-core machine it was measured on, where it competes with OpenBLAS's spinning threads).

import { availableParallelism } from 'node:os';

const env = Number(process.env['WSEL_THREADS'] ?? '');
/** Threads for elementwise work (main + helpers). */
export const WANTED_THREADS = Number.isFinite(env) && env >= 1 ? Math.min(Math.floor(env), 2, availableParallelism()) : 1;
export const SHARED = WANTED_THREADS > 1 && typeof SharedArrayBuffer === 'function';

/** A zeroed Float32Array the helper thread can see (an ordinary one when sharing is off). */
export function allocF32(n: number): Float32Array {
  return SHARED ? new Float32Array(new SharedArrayBuffer(n * 4)) : new Float32Array(n);
}
