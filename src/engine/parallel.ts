// A helper thread for the elementwise work of a training step. OpenBLAS already uses every core for
// matrix products, but GELU, LayerNorm, residual adds and the optimizer update run in JavaScript on
// one thread; here they are split in two halves, one computed by a worker thread on shared memory
// while the main thread computes the other. Buffers are allocated on SharedArrayBuffers (same speed
// as ordinary ones) so the worker sees them without copies.
//
// Opt-in with WSEL_THREADS=2 (see shared.ts for why it is not the default). Kernels run whole on the main thread while the helper is not ready
// (it is spawned on the first large kernel or by initParallel(), and its start-up needs the event
// loop), when it could not start, or when a kernel's arrays are not shared.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { KERNELS, type KernelName } from './kernels.js';
import { SHARED, WANTED_THREADS } from './shared.js';

let worker: Worker | null = null;
let state: 'idle' | 'ready' | 'off' = SHARED ? 'idle' : 'off';
let offReason = SHARED ? '' : WANTED_THREADS <= 1 ? 'off (set WSEL_THREADS=2 to enable)' : 'SharedArrayBuffer unavailable';
const ctl = new Int32Array(typeof SharedArrayBuffer === 'function' ? new SharedArrayBuffer(8) : new ArrayBuffer(8));
/** Work below this many elements (or row-elements) runs on the main thread alone. */
let threshold = 1 << 16;
let jobs = 0;

function isShared(a: unknown): boolean {
  return !(a instanceof Float32Array) || a.buffer instanceof SharedArrayBuffer;
}

let ready: Promise<void> | null = null;
let pollTimer: NodeJS.Timeout | null = null;

/**
 * Spawn the helper (once). Its start-up needs the main event loop, so a synchronous training loop
 * only picks it up after the loop has turned once: await initParallel() before training to use it
 * from the first step.
 */
function spawn(awaited = false): Promise<void> {
  if (ready !== null) return ready;
  ready = new Promise<void>((resolve) => {
    const fail = (why: string): void => {
      state = 'off';
      offReason = `helper thread unavailable: ${why}`;
      void worker?.terminate();
      worker = null;
      resolve();
    };
    try {
      const here = import.meta.url;
      let code: string;
      if (here.endsWith('.ts')) {
        // Running from TypeScript sources (tests, tsx): register tsx inside the worker, then load the entry.
        const tsxDir = dirname(createRequire(here).resolve('tsx/package.json'));
        const api = pathToFileURL(join(tsxDir, 'dist', 'esm', 'api', 'index.mjs')).href;
        const entry = new URL('./parallel-worker.ts', here).href;
        code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
      } else {
        code = `import(${JSON.stringify(new URL('./parallel-worker.js', here).href)})`;
      }
      worker = new Worker(code, { eval: true, workerData: { ctl } });
      worker.unref();
      worker.on('error', (err) => fail(err.message));
      worker.on('exit', () => { if (state !== 'off') fail('worker exited'); });
      const t0 = Date.now();
      const poll = (pollTimer = setInterval(() => {
        if (Atomics.load(ctl, 1) === 1) {
          clearInterval(poll);
          if (state === 'idle') state = 'ready';
          resolve();
        } else if (state === 'off' || Date.now() - t0 > 30_000) {
          clearInterval(poll);
          if (state !== 'off') fail('worker did not start within 30 s');
          resolve();
        }
      }, 5));
      // Only an explicit initParallel() should keep the process alive while the helper boots.
      if (!awaited) poll.unref();
    } catch (err) {
      fail((err as Error).message);
    }
  });
  return ready;
}

/** Start the helper thread and wait until it can take work. Resolves with parallelInfo(). */
export async function initParallel(): Promise<ReturnType<typeof parallelInfo>> {
  if (state !== 'off') {
    const p = spawn(true);
    pollTimer?.ref();
    await p;
  }
  return parallelInfo();
}

/**
 * Run KERNELS[name](...args, 0, n), split between the main thread and the helper when n * cost is
 * large enough and every array is shared. `workerArgs` replaces args for the helper's half (e.g.
 * private partial sums). Blocks until both halves are done.
 */
export function parallelRange(name: KernelName, args: readonly unknown[], n: number, cost = 1, workerArgs?: readonly unknown[]): void {
  const kernel = KERNELS[name]!;
  const wa = workerArgs ?? args;
  if (n * cost < threshold || n < 2 || state !== 'ready' || !args.every(isShared) || !wa.every(isShared)) {
    if (state === 'idle' && n * cost >= threshold) void spawn(); // becomes available once the event loop turns
    kernel(...args, 0, n);
    return;
  }
  const mid = n >> 1;
  Atomics.store(ctl, 0, 0);
  worker!.postMessage({ k: name, a: wa, s: mid, e: n });
  kernel(...args, 0, mid);
  // A dead helper cannot report (its error event needs this blocked event loop): give up after 60 s.
  const deadline = Date.now() + 60_000;
  while (Atomics.load(ctl, 0) === 0) {
    Atomics.wait(ctl, 0, 0, 1000);
    if (Date.now() > deadline && Atomics.load(ctl, 0) === 0) {
      state = 'off';
      offReason = 'helper thread stopped answering';
      throw new Error(`parallel kernel ${name}: the helper thread stopped answering`);
    }
  }
  jobs++;
  if (Atomics.load(ctl, 0) !== 1) throw new Error(`parallel kernel ${name} failed in the helper thread`);
}

/** Whether the helper thread is in use, and why not. */
export function parallelInfo(): { threads: number; shared: boolean; jobs: number; reason?: string } {
  return { threads: state === 'ready' ? 2 : 1, shared: SHARED, jobs, ...(offReason ? { reason: offReason } : {}) };
}

/** Minimum work (elements x cost) to split; 0 splits everything (tests). Returns the previous value. */
export function setParallelThreshold(n: number): number {
  const prev = threshold;
  threshold = n;
  return prev;
}
