// Argument checks and the edge cases every portable GEMM kernel shares. As in BLAS, beta = 0 means C
// is only written, never read; empty products and alpha = 0 never reach a kernel (BLAS does not read
// A or B then).

/** C[m x n] = alpha * op(A) op(B) + beta * C, row-major, offsets and leading dimensions in elements. */
export type GemmKernel = (
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: Float32Array, aOffset: number, lda: number,
  b: Float32Array, bOffset: number, ldb: number,
  beta: number, c: Float32Array, cOffset: number, ldc: number,
) => void;

function checkInt(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`blas: ${name} must be a non-negative integer, got ${value}`);
}

// The operand is stored rows x cols with leading dimension ld, `count` times `stride` apart.
function checkOperand(
  name: string, arr: Float32Array, offset: number, ld: number, rows: number, cols: number,
  count: number, stride: number,
): void {
  if (rows === 0 || cols === 0 || count === 0) return;
  if (ld < cols) throw new RangeError(`blas: leading dimension of ${name} (${ld}) is smaller than its row length (${cols})`);
  const last = offset + (count - 1) * stride + (rows - 1) * ld + cols - 1;
  if (last >= arr.length) throw new RangeError(`blas: ${name} is too short: index ${last} needed, length ${arr.length}`);
}

export function checkArgs(
  count: number, strideA: number, strideB: number, strideC: number,
  transA: boolean, transB: boolean, m: number, n: number, k: number,
  a: Float32Array, aOffset: number, lda: number,
  b: Float32Array, bOffset: number, ldb: number,
  c: Float32Array, cOffset: number, ldc: number,
): void {
  checkInt(count, 'count'); checkInt(strideA, 'strideA'); checkInt(strideB, 'strideB'); checkInt(strideC, 'strideC');
  checkInt(m, 'm'); checkInt(n, 'n'); checkInt(k, 'k');
  checkInt(aOffset, 'aOffset'); checkInt(lda, 'lda'); checkInt(bOffset, 'bOffset'); checkInt(ldb, 'ldb');
  checkInt(cOffset, 'cOffset'); checkInt(ldc, 'ldc');
  checkOperand('a', a, aOffset, lda, transA ? k : m, transA ? m : k, count, strideA);
  checkOperand('b', b, bOffset, ldb, transB ? n : k, transB ? k : n, count, strideB);
  checkOperand('c', c, cOffset, ldc, m, n, count, strideC);
}

/** x rounded up to a multiple of `to` (panel and vector padding). */
export function roundUp(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}

/** The kernel with BLAS's edge cases handled first. */
export function withEdgeCases(kernel: GemmKernel): GemmKernel {
  return (transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc) => {
    if (m === 0 || n === 0) return;
    if (k === 0 || alpha === 0) {
      scaleC(m, n, beta, c, cOffset, ldc);
      return;
    }
    kernel(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
  };
}

export function scaleC(m: number, n: number, beta: number, c: Float32Array, cOffset: number, ldc: number): void {
  if (beta === 1) return;
  for (let i = 0; i < m; i++) {
    const row = cOffset + i * ldc;
    if (beta === 0) c.fill(0, row, row + n);
    else for (let j = row; j < row + n; j++) c[j] = beta * c[j]!;
  }
}
