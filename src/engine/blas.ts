// Matrix products: the engine's one hot kernel. Row-major single-precision GEMM,
// C[m x n] = alpha * op(A)[m x k] * op(B)[k x n] + beta * C, where op(X) is X or X^T (no copy).
// PLACEHOLDER: a naive TypeScript loop until the OpenBLAS addon and the tuned fallback land.

export interface BlasBackend {
  readonly name: 'openblas' | 'typescript' | 'wasm';
  readonly threads: number;
}

export function blasBackend(): BlasBackend {
  return { name: 'typescript', threads: 1 };
}

export function sgemm(
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: Float32Array, aOffset: number, lda: number,
  b: Float32Array, bOffset: number, ldb: number,
  beta: number, c: Float32Array, cOffset: number, ldc: number,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let p = 0; p < k; p++) {
        const av = transA ? a[aOffset + p * lda + i]! : a[aOffset + i * lda + p]!;
        const bv = transB ? b[bOffset + j * ldb + p]! : b[bOffset + p * ldb + j]!;
        acc += av * bv;
      }
      const ci = cOffset + i * ldc + j;
      c[ci] = alpha * acc + (beta === 0 ? 0 : beta * c[ci]!);
    }
  }
}
