// A native GEMM (the OpenBLAS addon) as seen from portable code: a platform installs it on every
// thread that can load it (engine/node/ does, on the main thread and in each helper), so that the
// thread pool can share the products of a batch between threads.

import type { GemmKernel } from './check.js';

let native: GemmKernel | null = null;

export function setNativeGemm(kernel: GemmKernel | null): void {
  native = kernel;
}

/** The installed native kernel; throws on a thread that has none. */
export const nativeGemm: GemmKernel = (transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc) => {
  if (native === null) throw new Error('no native GEMM on this thread');
  native(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
};
