// Timers for profiling a training step, off by default: which ops take the time (forward and
// backward), how much of it is matrix products, and the step's FLOPs computed from the shapes the ops
// see. While off, an op pays one boolean test.
//
// Forward time is attributed without touching op bodies: every op ends by calling record()
// (autograd.ts), so the time since the previous op finished is charged to the op that just finished.
// Backward time is measured around each node's backward function.

export interface OpTime {
  calls: number;
  ms: number;
}

export interface ProfileReport {
  /** Wall time between startProfile() and stopProfile(). */
  totalMs: number;
  /** Time by op name ('linear', 'linear.backward', ...) and by sections the caller marked. */
  ops: Record<string, OpTime>;
  /** Time inside matrix products (all backends), also counted in the ops that called them. */
  gemm: OpTime & { flops: number };
  /** Multiply-adds x 2 of the model's matrix products and convolutions, forward and backward, from their shapes. */
  modelFlops: number;
}

const now = (): number => performance.now();

let t0 = 0;
let last = 0;
let ops = new Map<string, OpTime>();
let modelFlops = 0;

/** Shared with blas.ts, which times every product while `on`. */
export const gemmTimer = {
  on: false,
  calls: 0,
  ms: 0,
  flops: 0,
  start: now,
  stop(started: number, flops: number): void {
    this.ms += now() - started;
    this.calls++;
    this.flops += flops;
  },
};

/** Whether timers are on. */
export function profiling(): boolean {
  return gemmTimer.on;
}

function charge(name: string, ms: number): void {
  const t = ops.get(name);
  if (t === undefined) ops.set(name, { calls: 1, ms });
  else { t.calls++; t.ms += ms; }
}

/** Charge the time since the last mark to `name` (an op that just finished, or a caller's section). */
export function markProfile(name: string): void {
  if (!gemmTimer.on) return;
  const t = now();
  charge(name, t - last);
  last = t;
}

/** Run a backward function, charging its time to `<op>.backward`. */
export function timeBackward(op: string, fn: () => void): void {
  const t = now();
  fn();
  const end = now();
  charge(`${op}.backward`, end - t);
  last = end;
}

/** Count an op's FLOPs: forward, plus backward when it records a node. */
export function countFlops(forward: number, backward: number): void {
  modelFlops += forward + backward;
}

export function startProfile(): void {
  ops = new Map();
  modelFlops = 0;
  gemmTimer.calls = 0;
  gemmTimer.ms = 0;
  gemmTimer.flops = 0;
  gemmTimer.on = true;
  t0 = last = now();
}

export function stopProfile(): ProfileReport {
  const totalMs = now() - t0;
  gemmTimer.on = false;
  return {
    totalMs,
    ops: Object.fromEntries([...ops].sort((a, b) => b[1].ms - a[1].ms)),
    gemm: { calls: gemmTimer.calls, ms: gemmTimer.ms, flops: gemmTimer.flops },
    modelFlops,
  };
}
