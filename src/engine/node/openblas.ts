// The OpenBLAS backend: a Node-API addon (native/src/wsel_blas.c, built by `npm run build:native`)
// that runs cblas_sgemm on the Float32Arrays' own memory, on OpenBLAS's own threads.

import { createRequire } from 'node:module';
import type { GemmBackend } from '../blas.js';

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

/** The addon as a GemmBackend. */
export function openBlasBackend(addon: OpenBlasAddon): GemmBackend {
  return {
    name: 'openblas',
    sgemm: addon.sgemm,
    sgemmBatched: addon.sgemmBatched,
    threads: () => addon.getThreads(),
    setThreads: (n) => addon.setThreads(n),
  };
}
