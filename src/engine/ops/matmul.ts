// Matrix products, all through the BLAS sgemm. Transposed operands are flags, never copies.

import { gradCount, gradOf, gradTarget, record } from '../autograd.js';
import { addColumnSums, sgemm } from '../blas.js';
import { countFlops, profiling } from '../profile.js';
import { empty, shapeStr, type Tensor } from '../tensor.js';
import { parallelFor } from '../threads/pool.js';

export interface MatmulOptions {
  /** Use a^T: a is stored (..., k, m). */
  transA?: boolean;
  /** Use b^T: b is stored (..., n, k). */
  transB?: boolean;
}

/**
 * op(a) @ op(b). a: (..., m, k) (or (..., k, m) with transA); b: (k, n) shared by every batch, or
 * (..., k, n) with the same leading dims as a. Leading dims are a batch of independent products.
 */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const tA = opts.transA ?? false;
  const tB = opts.transB ?? false;
  if (a.ndim < 2 || b.ndim < 2) throw new Error(`matmul: operands need >= 2 dims, got ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`);
  const ar = a.shape[a.ndim - 2]!;
  const ac = a.shape[a.ndim - 1]!;
  const br = b.shape[b.ndim - 2]!;
  const bc = b.shape[b.ndim - 1]!;
  const m = tA ? ac : ar;
  const k = tA ? ar : ac;
  const kb = tB ? bc : br;
  const n = tB ? br : bc;
  if (k !== kb) throw new Error(`matmul: inner dims differ: ${shapeStr(a.shape)}${tA ? '^T' : ''} @ ${shapeStr(b.shape)}${tB ? '^T' : ''}`);
  const batchShape = a.shape.slice(0, -2);
  let batch = 1;
  for (const d of batchShape) batch *= d;
  const bShared = b.ndim === 2;
  if (!bShared) {
    const bb = b.shape.slice(0, -2);
    if (bb.length !== batchShape.length || bb.some((d, i) => d !== batchShape[i])) {
      throw new Error(`matmul: batch dims differ: ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`);
    }
  }
  const lda = ac;
  const ldb = bc;
  const out = empty([...batchShape, m, n]);
  const ad = a.data;
  const bd = b.data;
  const od = out.data;
  const aStride = ar * ac;
  const bStride = bShared ? 0 : br * bc;
  const oStride = m * n;
  if (profiling()) { const f = 2 * batch * m * n * k; countFlops(f, f * gradCount(a, b)); }
  if (bShared && !tA) {
    // One big product: stack the batch into the rows of a.
    sgemm(false, tB, batch * m, n, k, 1, ad, 0, lda, bd, 0, ldb, 0, od, 0, n);
  } else {
    for (let i = 0; i < batch; i++) {
      sgemm(tA, tB, m, n, k, 1, ad, i * aStride, lda, bd, i * bStride, ldb, 0, od, i * oStride, n);
    }
  }
  return record(out, 'matmul', [a, b], (g) => {
    const ga = gradOf(a);
    const gb = gradOf(b);
    if (ga) {
      // dA = dC @ op(B)^T  (or its transpose when a was used transposed).
      for (let i = 0; i < batch; i++) {
        if (!tA) sgemm(false, !tB, m, k, n, 1, g, i * oStride, n, bd, i * bStride, ldb, 1, ga, i * aStride, lda);
        else sgemm(tB, true, k, m, n, 1, bd, i * bStride, ldb, g, i * oStride, n, 1, ga, i * aStride, lda);
      }
    }
    if (gb) {
      // dB = op(A)^T @ dC  (or its transpose); a shared b sums over the batch.
      if (bShared && !tA) {
        if (!tB) sgemm(true, false, k, n, batch * m, 1, ad, 0, lda, g, 0, n, 1, gb, 0, ldb);
        else sgemm(true, false, n, k, batch * m, 1, g, 0, n, ad, 0, lda, 1, gb, 0, ldb);
      } else {
        for (let i = 0; i < batch; i++) {
          if (!tB) sgemm(!tA, false, k, n, m, 1, ad, i * aStride, lda, g, i * oStride, n, 1, gb, i * bStride, ldb);
          else sgemm(true, tA, n, k, m, 1, g, i * oStride, n, ad, i * aStride, lda, 1, gb, i * bStride, ldb);
        }
      }
    }
  });
}

/** Batched matmul of (B, m, k) and (B, k, n) (PyTorch's bmm), with transpose flags. */
export function bmm(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  if (a.ndim !== 3 || b.ndim !== 3) throw new Error('bmm: operands must be 3-D');
  return matmul(a, b, opts);
}

/**
 * x @ W^T + b, with W stored (out, in) like PyTorch. x: (..., in). W may have more dims (a conv
 * kernel (out, c, kh, kw) acts as (out, c*kh*kw)).
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const outF = weight.shape[0]!;
  const inF = weight.size / outF;
  const xin = x.shape[x.ndim - 1]!;
  if (xin !== inF) throw new Error(`linear: input ${shapeStr(x.shape)} does not fit weight ${shapeStr(weight.shape)}`);
  if (bias && bias.size !== outF) throw new Error(`linear: bias ${shapeStr(bias.shape)} does not fit weight ${shapeStr(weight.shape)}`);
  const rows = x.size / inF;
  const out = empty([...x.shape.slice(0, -1), outF]);
  const xd = x.data;
  const wd = weight.data;
  const od = out.data;
  let beta = 0;
  if (bias) {
    // The bias copied into every row, then x @ W^T accumulated on top (beta 1) in the BLAS: the same
    // values a rank-1 product ones(rows x 1) @ b(1 x out) writes, at the cost of a copy.
    parallelFor('repeatRows', [bias.data, od], rows, { cost: outF / 8 });
    beta = 1;
  }
  sgemm(false, true, rows, outF, inF, 1, xd, 0, inF, wd, 0, inF, beta, od, 0, outF);
  if (profiling()) { const f = 2 * rows * inF * outF; countFlops(f, f * gradCount(x, weight)); }
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(out, 'linear', inputs, (g) => {
    const gx = gradTarget(x);
    const gw = gradOf(weight);
    const gbias = bias ? gradOf(bias) : null;
    if (gx) sgemm(false, false, rows, inF, outF, 1, g, 0, outF, wd, 0, inF, gx.fresh ? 0 : 1, gx.buf, 0, inF);
    if (gw) sgemm(true, false, outF, inF, rows, 1, g, 0, outF, xd, 0, inF, 1, gw, 0, inF);
    // Column sums of g, as the BLAS would give them for ones(1 x rows) @ g: vectorized and threaded.
    if (gbias) addColumnSums(rows, outF, g, 0, outF, gbias, 0);
  });
}
