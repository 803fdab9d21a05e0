// The helper thread of parallel.ts: runs one range kernel per message and signals completion through
// the shared control word (1 done, 2 failed).

import { parentPort, workerData } from 'node:worker_threads';
import { KERNELS } from './kernels.js';

const ctl = (workerData as { ctl: Int32Array }).ctl;

parentPort!.on('message', (m: { k: string; a: unknown[]; s: number; e: number }) => {
  let status = 1;
  try {
    KERNELS[m.k]!(...m.a, m.s, m.e);
  } catch (err) {
    status = 2;
    console.error(`wsel parallel worker: ${(err as Error).message}`);
  }
  Atomics.store(ctl, 0, status);
  Atomics.notify(ctl, 0);
});

Atomics.store(ctl, 1, 1); // ready
Atomics.notify(ctl, 1);
