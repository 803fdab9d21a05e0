// Whether float buffers are allocated on SharedArrayBuffers, so that helper threads (threads/pool.ts)
// can work on them without copies. Off until a thread pool is configured; ordinary and shared buffers
// are equally fast to compute on.

let shared = false;

/** Allocate later buffers on shared memory (when the runtime has it). Returns whether it is on. */
export function setSharedBuffers(on: boolean): boolean {
  shared = on && typeof SharedArrayBuffer === 'function';
  return shared;
}

export function sharedBuffers(): boolean {
  return shared;
}

/** A zeroed Float32Array that helper threads can see (an ordinary one while sharing is off). */
export function allocF32(n: number): Float32Array {
  return shared ? new Float32Array(new SharedArrayBuffer(n * 4)) : new Float32Array(n);
}

/** Whether a helper thread can see this value (numbers and booleans always; arrays on shared memory). */
export function visibleToHelpers(value: unknown): boolean {
  if (!ArrayBuffer.isView(value)) return true;
  return typeof SharedArrayBuffer === 'function' && value.buffer instanceof SharedArrayBuffer;
}
