// The helper-thread side of the pool: run each job's kernel and report through the status word.
// Platform-neutral: a Node worker (engine/node/worker-entry.ts) or a Web Worker hands it its messages.

import { runKernel } from '../kernels/index.js';
import { FAILED, IDLE, type HelperMessage } from './protocol.js';

/** Serve jobs; `listen` registers the message handler, `report` prints a failure. */
export function serveKernels(listen: (handler: (message: HelperMessage) => void) => void, report: (text: string) => void): void {
  let status: Int32Array | null = null;
  let slot = 0;
  const signal = (value: number): void => {
    Atomics.store(status!, slot, value);
    Atomics.notify(status!, slot);
  };
  listen((m) => {
    if (m.type === 'init') {
      status = m.status;
      slot = m.slot;
      signal(IDLE);
      return;
    }
    let outcome = IDLE;
    try {
      runKernel(m.kernel, m.args, m.start, m.end);
    } catch (err) {
      outcome = FAILED;
      report(`kernel ${m.kernel}: ${(err as Error).message}`);
    }
    signal(outcome);
  });
}
