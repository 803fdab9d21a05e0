// A Node helper thread: serves the pool's kernels over the parent port.

import { parentPort } from 'node:worker_threads';
import { setNativeGemm } from '../gemm/native.js';
import { serveKernels } from '../threads/serve.js';
import type { HelperMessage } from '../threads/protocol.js';
import { loadOpenBlasAddon } from './openblas.js';

// Where the addon loads, this thread can take its share of a batch of small OpenBLAS products.
const loaded = loadOpenBlasAddon();
if ('addon' in loaded) setNativeGemm(loaded.addon.sgemm);

serveKernels(
  (handler) => parentPort!.on('message', (m: HelperMessage) => handler(m)),
  (text) => process.stderr.write(`wsel helper thread: ${text}\n`),
);
