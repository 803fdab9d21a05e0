// The scalar TypeScript GEMM kernel: the last-resort portable backend (no WebAssembly SIMD).
//
// GotoBLAS-style blocking: B is packed KC x NC at a time into NR-wide column panels, A MC x KC
// at a time into MR-tall row panels (pre-scaled by alpha, zero-padded at the edges, transposes
// undone here), and a 4x4 micro-kernel keeps its 16 sums in locals while it walks one A panel
// and one B panel. Packing into Float64Array saves a float32->float64 conversion per load in
// the inner loop (V8 computes in doubles either way); a double product of two floats is exact,
// so the only roundings are the float64 sums and the final float32 store.

import { roundUp } from './check.js';

const MR = 4;
const NR = 4;
const KC = 256; // one B panel (KC x NR doubles, 8 KiB) stays in L1
const MC = 64; // the packed A block (MC x KC doubles, 128 KiB) stays in L2
const NC = 2048;

const packA = new Float64Array(MC * KC);
let packB = new Float64Array(0);
const tile = new Float64Array(MR * NR);

/** C = alpha op(A) op(B) + beta C with the scalar kernel; arguments already checked (gemm/check.ts). */
export function tsGemm(
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: Float32Array, aOffset: number, lda: number,
  b: Float32Array, bOffset: number, ldb: number,
  beta: number, c: Float32Array, cOffset: number, ldc: number,
): void {
  const ncMax = Math.min(NC, roundUp(n, NR));
  if (packB.length < KC * ncMax) packB = new Float64Array(KC * ncMax);
  const pa = packA;
  const pb = packB;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      // Only the first slice of k applies beta; later slices add onto what it wrote.
      const betaNow = pc === 0 ? beta : 1;
      if (transB) packBTrans(pb, b, bOffset + jc * ldb + pc, ldb, kc, nc);
      else packBPlain(pb, b, bOffset + pc * ldb + jc, ldb, kc, nc);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        if (transA) packATrans(pa, a, aOffset + pc * lda + ic, lda, kc, mc, alpha);
        else packAPlain(pa, a, aOffset + ic * lda + pc, lda, kc, mc, alpha);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = Math.min(NR, nc - jr);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = Math.min(MR, mc - ir);
            microKernel(kc, pa, ir * kc, pb, jr * kc);
            storeTile(mr, nr, betaNow, c, cOffset + (ic + ir) * ldc + jc + jr, ldc);
          }
        }
      }
    }
  }
}

// A block (mc x kc of op(A), A not transposed: element (i, p) at src + i * lda + p) into
// MR-row panels: panel r holds rows r*MR.. as kc groups of MR values.
function packAPlain(dst: Float64Array, a: Float32Array, src: number, lda: number, kc: number, mc: number, alpha: number): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const base = ir * kc;
    for (let i = 0; i < MR; i++) {
      let d = base + i;
      if (ir + i < mc) {
        const row = src + (ir + i) * lda;
        for (let p = 0; p < kc; p++, d += MR) dst[d] = alpha * a[row + p]!;
      } else {
        for (let p = 0; p < kc; p++, d += MR) dst[d] = 0;
      }
    }
  }
}

// Same layout, A transposed: element (i, p) of op(A) at src + p * lda + i.
function packATrans(dst: Float64Array, a: Float32Array, src: number, lda: number, kc: number, mc: number, alpha: number): void {
  for (let ir = 0; ir < mc; ir += MR) {
    let d = ir * kc;
    const rows = Math.min(MR, mc - ir);
    if (rows === MR) {
      for (let p = 0; p < kc; p++, d += MR) {
        const s = src + p * lda + ir;
        dst[d] = alpha * a[s]!;
        dst[d + 1] = alpha * a[s + 1]!;
        dst[d + 2] = alpha * a[s + 2]!;
        dst[d + 3] = alpha * a[s + 3]!;
      }
    } else {
      for (let p = 0; p < kc; p++, d += MR) {
        const s = src + p * lda + ir;
        for (let i = 0; i < MR; i++) dst[d + i] = i < rows ? alpha * a[s + i]! : 0;
      }
    }
  }
}

// B block (kc x nc of op(B), B not transposed: element (p, j) at src + p * ldb + j) into
// NR-column panels: panel r holds columns r*NR.. as kc groups of NR values.
function packBPlain(dst: Float64Array, b: Float32Array, src: number, ldb: number, kc: number, nc: number): void {
  for (let jr = 0; jr < nc; jr += NR) {
    let d = jr * kc;
    const cols = Math.min(NR, nc - jr);
    if (cols === NR) {
      for (let p = 0; p < kc; p++, d += NR) {
        const s = src + p * ldb + jr;
        dst[d] = b[s]!;
        dst[d + 1] = b[s + 1]!;
        dst[d + 2] = b[s + 2]!;
        dst[d + 3] = b[s + 3]!;
      }
    } else {
      for (let p = 0; p < kc; p++, d += NR) {
        const s = src + p * ldb + jr;
        for (let j = 0; j < NR; j++) dst[d + j] = j < cols ? b[s + j]! : 0;
      }
    }
  }
}

// Same layout, B transposed: element (p, j) of op(B) at src + j * ldb + p.
function packBTrans(dst: Float64Array, b: Float32Array, src: number, ldb: number, kc: number, nc: number): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const base = jr * kc;
    for (let j = 0; j < NR; j++) {
      let d = base + j;
      if (jr + j < nc) {
        const col = src + (jr + j) * ldb;
        for (let p = 0; p < kc; p++, d += NR) dst[d] = b[col + p]!;
      } else {
        for (let p = 0; p < kc; p++, d += NR) dst[d] = 0;
      }
    }
  }
}

// 4x4 block of packed A panel x packed B panel into `tile`. Sixteen scalar locals are what
// V8 keeps in registers; wider tiles spill (measured: 4x4 beats 2x8 and 4x8).
function microKernel(kc: number, pa: Float64Array, ai: number, pb: Float64Array, bi: number): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let p = 0; p < kc; p++) {
    const a0 = pa[ai]!, a1 = pa[ai + 1]!, a2 = pa[ai + 2]!, a3 = pa[ai + 3]!;
    const b0 = pb[bi]!, b1 = pb[bi + 1]!, b2 = pb[bi + 2]!, b3 = pb[bi + 3]!;
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
    ai += MR;
    bi += NR;
  }
  const t = tile;
  t[0] = c00; t[1] = c01; t[2] = c02; t[3] = c03;
  t[4] = c10; t[5] = c11; t[6] = c12; t[7] = c13;
  t[8] = c20; t[9] = c21; t[10] = c22; t[11] = c23;
  t[12] = c30; t[13] = c31; t[14] = c32; t[15] = c33;
}

// C tile (mr x nr, the top-left of the 4x4 `tile`) = tile + beta * C; beta 0 never reads C.
function storeTile(mr: number, nr: number, beta: number, c: Float32Array, ci: number, ldc: number): void {
  const t = tile;
  for (let i = 0; i < mr; i++, ci += ldc) {
    const ti = i * NR;
    if (beta === 0) {
      for (let j = 0; j < nr; j++) c[ci + j] = t[ti + j]!;
    } else if (beta === 1) {
      for (let j = 0; j < nr; j++) c[ci + j] = t[ti + j]! + c[ci + j]!;
    } else {
      for (let j = 0; j < nr; j++) c[ci + j] = t[ti + j]! + beta * c[ci + j]!;
    }
  }
}

