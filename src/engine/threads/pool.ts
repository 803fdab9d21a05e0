// The thread pool: the main thread plus helper threads on shared memory. A range kernel (kernels/) is
// split into contiguous parts; the main thread computes the first while the helpers compute the rest,
// and the call returns when all are done. Kernels compute every output element the same way whichever
// part it falls in, so results are the same bits with any number of threads.
//
// The pool does not know how threads are made: a ThreadPlatform starts them (engine/node/threads.ts
// with node:worker_threads; a browser would use Web Workers running threads/serve.ts). Until one is
// configured, or while helpers are starting, or when an array is not on shared memory, kernels simply
// run whole on the calling thread.

import { runKernel, type KernelArgs, type KernelName } from '../kernels/index.js';
import { setSharedBuffers, visibleToHelpers } from '../shared.js';
import { BUSY, FAILED, IDLE, type HelperMessage } from './protocol.js';

/** One started helper thread. */
export interface HelperThread {
  post(message: HelperMessage): void;
  terminate(): void;
}

/** How a runtime starts helper threads that run serveKernels() (threads/serve.ts). */
export interface ThreadPlatform {
  /** Start one helper; `fail` is called if it cannot start or dies. */
  start(fail: (why: string) => void): HelperThread;
}

export interface ThreadsInfo {
  /** Threads that run kernels now (1: the calling thread alone). */
  threads: number;
  /** Threads configured (they start on the first large kernel or initThreads()). */
  wanted: number;
  /** Split kernels run so far. */
  jobs: number;
  /** Why fewer threads run than were asked for. */
  reason?: string;
}

type State = 'off' | 'idle' | 'starting' | 'ready';

let platform: ThreadPlatform | null = null;
let wanted = 1;
let state: State = 'off';
let offReason = 'one thread configured';
let helpers: HelperThread[] = [];
let status: Int32Array = new Int32Array(0);
let jobs = 0;
/** Kernels with less work than this (in units of about a nanosecond) run on the calling thread alone. */
let threshold = 200_000;

/**
 * Use `count` threads in all (the caller's plus count - 1 helpers) started by `platform`. Buffers
 * allocated from now on live on shared memory. Helpers start on the first large kernel (or
 * initThreads()). Returns the previous pool's helpers to nobody: they are terminated.
 */
export function configureThreads(threadPlatform: ThreadPlatform | null, count: number): ThreadsInfo {
  stopHelpers();
  wanted = Math.max(1, Math.floor(count));
  platform = threadPlatform;
  if (wanted <= 1 || platform === null) {
    state = 'off';
    offReason = wanted <= 1 ? 'one thread configured' : 'no way to start threads here';
    setSharedBuffers(false);
  } else if (!setSharedBuffers(true)) {
    state = 'off';
    offReason = 'SharedArrayBuffer unavailable (browsers need cross-origin isolation)';
  } else {
    state = 'idle';
    offReason = 'helper threads not started yet';
  }
  return threadsInfo();
}

function stopHelpers(): void {
  for (const h of helpers) h.terminate();
  helpers = [];
}

function fail(why: string): void {
  state = 'off';
  offReason = `helper threads unavailable: ${why}`;
  stopHelpers();
}

function start(): void {
  if (state !== 'idle' || platform === null) return;
  state = 'starting';
  status = new Int32Array(new SharedArrayBuffer(4 * wanted));
  try {
    for (let slot = 1; slot < wanted; slot++) {
      const h = platform.start(fail);
      helpers.push(h);
      h.post({ type: 'init', status, slot });
    }
  } catch (err) {
    fail((err as Error).message);
  }
}

/** Whether every helper has reported in; moves 'starting' to 'ready' once they have. */
function ready(): boolean {
  if (state === 'starting') {
    for (let slot = 1; slot < wanted; slot++) if (Atomics.load(status, slot) !== IDLE) return false;
    state = 'ready';
    offReason = '';
  }
  return state === 'ready';
}

/** Start the helpers and wait until they take work (at most 30 s). Resolves with threadsInfo(). */
export async function initThreads(): Promise<ThreadsInfo> {
  start();
  const deadline = Date.now() + 30_000;
  while (state === 'starting' && !ready()) {
    if (Date.now() > deadline) {
      fail('they did not start within 30 s');
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return threadsInfo();
}

export interface ParallelOptions {
  /** Work per unit of the range, in about nanoseconds (decides whether splitting pays). */
  cost?: number;
  /** Part boundaries fall on multiples of this. */
  align?: number;
}

/**
 * Run kernel `name` on [0, n) with `args`, split across the pool's threads when the work is large
 * enough and every array argument is on shared memory. Blocks until all parts are done.
 */
export function parallelFor<K extends KernelName>(name: K, args: Readonly<KernelArgs<K>>, n: number, opts: ParallelOptions = {}): void {
  const work = n * (opts.cost ?? 1);
  const align = Math.max(1, opts.align ?? 1);
  const parts = Math.min(wanted, Math.floor(n / align));
  if (work < threshold || parts < 2 || !ready() || !(args as readonly unknown[]).every(visibleToHelpers)) {
    if (state === 'idle' && work >= threshold) start(); // helpers boot meanwhile
    runKernel(name, args, 0, n);
    return;
  }
  const bounds = [0];
  for (let p = 1; p < parts; p++) bounds.push(Math.round((n * p) / parts / align) * align);
  bounds.push(n);
  for (let p = 1; p < parts; p++) {
    Atomics.store(status, p, BUSY);
    helpers[p - 1]!.post({ type: 'job', kernel: name, args, start: bounds[p]!, end: bounds[p + 1]! });
  }
  let mainError: unknown = null;
  try {
    runKernel(name, args, 0, bounds[1]!);
  } catch (err) {
    mainError = err;
  }
  // Helpers write into the same buffers: wait for them even when the main part failed.
  let failed = false;
  for (let p = 1; p < parts; p++) failed = !waitFor(p, name) || failed;
  jobs++;
  if (mainError !== null) throw mainError;
  if (failed) throw new Error(`kernel ${name} failed in a helper thread`);
}

/** Wait for helper `slot` to finish; false when its job failed. */
function waitFor(slot: number, name: string): boolean {
  // A dead helper cannot report (its error event needs this blocked event loop): give up after 60 s.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const s = Atomics.load(status, slot);
    if (s !== BUSY) return s !== FAILED;
    Atomics.wait(status, slot, BUSY, 1000);
    if (Atomics.load(status, slot) === BUSY && Date.now() > deadline) {
      fail('a helper thread stopped answering');
      throw new Error(`kernel ${name}: a helper thread stopped answering`);
    }
  }
}

/** How many threads run kernels, and why not more. */
export function threadsInfo(): ThreadsInfo {
  const threads = state === 'ready' ? wanted : 1;
  return { threads, wanted, jobs, ...(offReason ? { reason: offReason } : {}) };
}

/** Threads that would share a kernel now (1 while helpers are off or starting). */
export function activeThreads(): number {
  return ready() ? wanted : 1;
}

/** Minimum work to split; 0 splits everything (tests). Returns the previous value. */
export function setParallelThreshold(work: number): number {
  const prev = threshold;
  threshold = work;
  return prev;
}
