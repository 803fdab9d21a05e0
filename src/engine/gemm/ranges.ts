// A GEMM kernel as range kernels for the thread pool: one thread computes a band of C's columns,
// rows, or a range of the products of a batch. Every element of C is computed the same way whichever
// band it falls in (the portable kernels' sums depend only on the k blocking), so a split product is
// bit-identical to an unsplit one.

import { withEdgeCases, type GemmKernel } from './check.js';

type GemmArgs = Parameters<GemmKernel>;
type GemmRange = (...args: [...GemmArgs, start: number, end: number]) => void;
type BatchedGemmRange = (...args: [count: number, strideA: number, strideB: number, strideC: number, ...GemmArgs, start: number, end: number]) => void;

/** Columns [j0, j1) of C. */
export function gemmColumns(kernel: GemmKernel): GemmRange {
  const run = withEdgeCases(kernel);
  return (transA, transB, m, _n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc, j0, j1) =>
    run(transA, transB, m, j1 - j0, k, alpha, a, aOffset, lda,
      b, bOffset + (transB ? j0 * ldb : j0), ldb, beta, c, cOffset + j0, ldc);
}

/** Rows [i0, i1) of C. */
export function gemmRows(kernel: GemmKernel): GemmRange {
  const run = withEdgeCases(kernel);
  return (transA, transB, _m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc, i0, i1) =>
    run(transA, transB, i1 - i0, n, k, alpha, a, aOffset + (transA ? i0 : i0 * lda), lda,
      b, bOffset, ldb, beta, c, cOffset + i0 * ldc, ldc);
}

/** Products [i0, i1) of a batch whose operands sit `stride` elements apart. */
export function gemmItems(kernel: GemmKernel): BatchedGemmRange {
  const run = withEdgeCases(kernel);
  return (_count, strideA, strideB, strideC, transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb,
    beta, c, cOffset, ldc, i0, i1) => {
    for (let i = i0; i < i1; i++) {
      run(transA, transB, m, n, k, alpha, a, aOffset + i * strideA, lda, b, bOffset + i * strideB, ldb,
        beta, c, cOffset + i * strideC, ldc);
    }
  };
}
