// A Node helper thread: serves the pool's kernels over the parent port.

import { parentPort } from 'node:worker_threads';
import { serveKernels } from '../threads/serve.js';
import type { HelperMessage } from '../threads/protocol.js';

serveKernels(
  (handler) => parentPort!.on('message', (m: HelperMessage) => handler(m)),
  (text) => process.stderr.write(`wsel helper thread: ${text}\n`),
);
