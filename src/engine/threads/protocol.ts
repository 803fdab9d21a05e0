// What the main thread and a helper thread say to each other. A job's completion is signalled through
// the helper's status word in a shared Int32Array rather than a message, so the main thread can block
// on it (Atomics.wait) in the middle of a synchronous training step.

import type { KernelName } from '../kernels/index.js';

export type HelperMessage =
  | { readonly type: 'init'; readonly status: Int32Array; readonly slot: number }
  | { readonly type: 'job'; readonly kernel: KernelName; readonly args: readonly unknown[]; readonly start: number; readonly end: number };

/** Status word values: the helper is working (or still starting), idle, or its last job failed. */
export const BUSY = 0;
export const IDLE = 1;
export const FAILED = 2;
