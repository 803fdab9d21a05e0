// WebAssembly SIMD GEMM kernel: the portable backend used when the OpenBLAS addon is not built.
// Same blocking as the TypeScript kernel (gemm/typescript.ts), but the micro-kernel is a 4x8 f32x4 tile
// (eight v128 accumulators) written in WebAssembly, about 7x faster than scalar TypeScript.
//
// The module is a few hundred bytes, assembled below from its instructions at load time so the
// repository holds no binary and needs no WebAssembly toolchain. JavaScript packs A and B
// panels into the module's memory (undoing transposes, applying alpha, zero-padding edges), the
// module multiplies one packed block into a scratch C block, and JavaScript folds that block
// into the caller's C with beta. Callers validate arguments (gemm/check.ts).

import { code, f32x4, i32, i32t, instantiate, v128, v128t, wasmModule, type Bytes, type ValType, type WasmFunction } from '../wasm/encode.js';

const MR = 4; // rows of a micro-tile: one f32 splat each
const NV = 2; // v128 per tile row
const NR = 4 * NV; // columns of a micro-tile
const KC = 256;
const MC = MR * Math.ceil(64 / MR);
const NC = 1024;

// Byte offsets of the three scratch areas in the module's memory.
const A_PTR = 0;
const B_PTR = A_PTR + MC * KC * 4;
const C_PTR = B_PTR + KC * NC * 4;
const MEMORY_BYTES = C_PTR + MC * NC * 4;
const MEMORY_PAGES = Math.ceil(MEMORY_BYTES / 65536);

// block(a, b, c, mPanels, nPanels, kc, ldcBytes): for every MR-row panel of packed A (at a, each
// kc*MR floats) and NR-column panel of packed B (at b, each kc*NR floats), writes the MR x NR
// product tile into the row-major scratch C at c (row pitch ldcBytes). Each element's sum runs over
// k in order, one f32 multiply and one f32 add per step, whatever the tile shape. blockAdd does the
// same but adds each sum to what the scratch C holds (one f32 add, as the JavaScript merge would):
// beta = 1 without a scalar pass over C.
export function wasmKernelBytes(): Uint8Array {
  return wasmModule(MEMORY_PAGES, [blockFunction('block', false), blockFunction('blockAdd', true)]);
}

function blockFunction(name: string, accumulate: boolean): WasmFunction {
  // Parameters 0..6, then locals.
  const [A, B, C, M_PANELS, N_PANELS, KCL, LDC] = [0, 1, 2, 3, 4, 5, 6];
  const [JR, IR, P, AP, BP, CP] = [7, 8, 9, 10, 11, 12];
  const ACC = 13; // MR * NV accumulators: row r, vector v is ACC + r * NV + v
  const BV = ACC + MR * NV; // NV loaded B vectors
  const AV = BV + NV;
  const { get, set, loop, brIf } = code;

  const step: Bytes[] = [];
  for (let v = 0; v < NV; v++) step.push(set(BV + v, v128.load(get(BP), 16 * v)));
  for (let r = 0; r < MR; r++) {
    step.push(set(AV, v128.load32Splat(get(AP), 4 * r)));
    for (let v = 0; v < NV; v++) {
      const acc = ACC + r * NV + v;
      step.push(set(acc, f32x4.add(get(acc), f32x4.mul(get(AV), get(BV + v)))));
    }
  }
  step.push(
    set(AP, i32.add(get(AP), code.i32(MR * 4))),
    set(BP, i32.add(get(BP), code.i32(NR * 4))),
    brIf(0, code.tee(P, i32.sub(get(P), code.i32(1)))), // kc >= 1, counted down to 0
  );

  const tile: Bytes[] = [];
  for (let i = 0; i < MR * NV; i++) tile.push(set(ACC + i, v128.zero()));
  tile.push(
    set(AP, i32.add(get(A), i32.mul(i32.mul(get(IR), get(KCL)), code.i32(MR * 4)))),
    set(BP, i32.add(get(B), i32.mul(i32.mul(get(JR), get(KCL)), code.i32(NR * 4)))),
    set(P, get(KCL)),
    loop(...step),
    // cp = c + ir * MR * ldc + jr * NR * 4
    set(CP, i32.add(i32.add(get(C), i32.mul(i32.mul(get(IR), get(LDC)), code.i32(MR))), i32.mul(get(JR), code.i32(NR * 4)))),
  );
  for (let r = 0; r < MR; r++) {
    for (let v = 0; v < NV; v++) {
      const sum = get(ACC + r * NV + v);
      tile.push(v128.store(get(CP), accumulate ? f32x4.add(sum, v128.load(get(CP), 16 * v)) : sum, 16 * v));
    }
    tile.push(set(CP, i32.add(get(CP), get(LDC))));
  }
  tile.push(brIf(0, i32.ltU(code.tee(IR, i32.add(get(IR), code.i32(1))), get(M_PANELS))));

  const body: Bytes = [
    ...set(JR, code.i32(0)),
    ...loop(
      set(IR, code.i32(0)),
      loop(...tile),
      brIf(0, i32.ltU(code.tee(JR, i32.add(get(JR), code.i32(1))), get(N_PANELS))),
    ),
  ];
  return {
    name, params: new Array<ValType>(7).fill(i32t), locals: [...new Array<ValType>(6).fill(i32t), ...new Array<ValType>(MR * NV + NV + 1).fill(v128t)], body,
  };
}

// --- instance --------------------------------------------------------------------------------

type BlockFn = (a: number, b: number, c: number, mPanels: number, nPanels: number, kc: number, ldcBytes: number) => void;

let kernel: BlockFn | undefined;
let kernelAdd: BlockFn | undefined;
let mem = new Float32Array(0);
let loadError: string | undefined;

function load(): void {
  if (kernel !== undefined || loadError !== undefined) return;
  const made = instantiate(wasmKernelBytes(), MEMORY_PAGES);
  if ('error' in made) {
    loadError = made.error;
    return;
  }
  kernel = made.exports['block'] as BlockFn;
  kernelAdd = made.exports['blockAdd'] as BlockFn;
  mem = new Float32Array(made.memory);
}

/** Undefined when the WebAssembly SIMD kernel works here, else why not. */
export function wasmUnavailableReason(): string | undefined {
  load();
  return loadError;
}

/** C = alpha op(A) op(B) + beta C with the WebAssembly kernel; arguments already validated. */
export function wasmGemm(
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: Float32Array, aOffset: number, lda: number,
  b: Float32Array, bOffset: number, ldb: number,
  beta: number, c: Float32Array, cOffset: number, ldc: number,
): void {
  load();
  const block = kernel;
  const blockAdd = kernelAdd!;
  if (block === undefined) throw new Error(`blas: WebAssembly kernel unavailable (${loadError})`);
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    const ncPad = Math.ceil(nc / NR) * NR;
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      // Only the first slice of k applies beta; later slices add onto what it wrote.
      const betaNow = pc === 0 ? beta : 1;
      if (transB) packBTrans(b, bOffset + jc * ldb + pc, ldb, kc, nc);
      else packBPlain(b, bOffset + pc * ldb + jc, ldb, kc, nc);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        if (transA) packATrans(a, aOffset + pc * lda + ic, lda, kc, mc, alpha);
        else packAPlain(a, aOffset + ic * lda + pc, lda, kc, mc, alpha);
        const ci = cOffset + ic * ldc + jc;
        const mPanels = Math.ceil(mc / MR);
        if (betaNow === 1) {
          loadC(mc, nc, ncPad, c, ci, ldc);
          blockAdd(A_PTR, B_PTR, C_PTR, mPanels, ncPad / NR, kc, ncPad * 4);
          merge(mc, nc, ncPad, 0, c, ci, ldc);
        } else {
          block(A_PTR, B_PTR, C_PTR, mPanels, ncPad / NR, kc, ncPad * 4);
          merge(mc, nc, ncPad, betaNow, c, ci, ldc);
        }
      }
    }
  }
}

// Scratch C rows = the caller's C block (for blockAdd); padding columns are left as they are.
function loadC(mc: number, nc: number, pitch: number, c: Float32Array, ci: number, ldc: number): void {
  const f = mem;
  for (let i = 0; i < mc; i++, ci += ldc) f.set(c.subarray(ci, ci + nc), (C_PTR >> 2) + i * pitch);
}

// C block = scratch + beta * C block; beta 0 never reads C (beta 1 goes through blockAdd).
function merge(mc: number, nc: number, pitch: number, beta: number, c: Float32Array, ci: number, ldc: number): void {
  const f = mem;
  for (let i = 0; i < mc; i++, ci += ldc) {
    const s = (C_PTR >> 2) + i * pitch;
    if (beta === 0) {
      c.set(f.subarray(s, s + nc), ci);
    } else {
      for (let j = 0; j < nc; j++) c[ci + j] = f[s + j]! + beta * c[ci + j]!;
    }
  }
}

// Packed A: MR-row panels, each kc groups of MR floats, alpha applied, rows past mc zero. Whole panels
// are written in order, reading their rows side by side (unrolled for MR = 4).
function packAPlain(a: Float32Array, src: number, lda: number, kc: number, mc: number, alpha: number): void {
  const f = mem;
  for (let ir = 0; ir < mc; ir += MR) {
    const base = (A_PTR >> 2) + ir * kc;
    const row = src + ir * lda;
    if (ir + MR <= mc && MR === 4) {
      const r1 = row + lda, r2 = r1 + lda, r3 = r2 + lda;
      for (let p = 0, d = base; p < kc; p++, d += 4) {
        f[d] = alpha * a[row + p]!;
        f[d + 1] = alpha * a[r1 + p]!;
        f[d + 2] = alpha * a[r2 + p]!;
        f[d + 3] = alpha * a[r3 + p]!;
      }
      continue;
    }
    for (let i = 0; i < MR; i++) {
      let d = base + i;
      if (ir + i < mc) {
        const r = row + i * lda;
        for (let p = 0; p < kc; p++, d += MR) f[d] = alpha * a[r + p]!;
      } else {
        for (let p = 0; p < kc; p++, d += MR) f[d] = 0;
      }
    }
  }
}

function packATrans(a: Float32Array, src: number, lda: number, kc: number, mc: number, alpha: number): void {
  const f = mem;
  for (let ir = 0; ir < mc; ir += MR) {
    let d = (A_PTR >> 2) + ir * kc;
    const rows = Math.min(MR, mc - ir);
    for (let p = 0; p < kc; p++, d += MR) {
      const s = src + p * lda + ir;
      if (rows === MR) {
        for (let i = 0; i < MR; i++) f[d + i] = alpha * a[s + i]!;
      } else {
        for (let i = 0; i < MR; i++) f[d + i] = i < rows ? alpha * a[s + i]! : 0;
      }
    }
  }
}

// Packed B: NR-column panels, each kc groups of NR floats, columns past nc zero.
function packBPlain(b: Float32Array, src: number, ldb: number, kc: number, nc: number): void {
  const f = mem;
  for (let jr = 0; jr < nc; jr += NR) {
    let d = (B_PTR >> 2) + jr * kc;
    const cols = Math.min(NR, nc - jr);
    for (let p = 0; p < kc; p++, d += NR) {
      const s = src + p * ldb + jr;
      if (cols === NR) {
        for (let j = 0; j < NR; j++) f[d + j] = b[s + j]!;
      } else {
        for (let j = 0; j < NR; j++) f[d + j] = j < cols ? b[s + j]! : 0;
      }
    }
  }
}

function packBTrans(b: Float32Array, src: number, ldb: number, kc: number, nc: number): void {
  const f = mem;
  for (let jr = 0; jr < nc; jr += NR) {
    const base = (B_PTR >> 2) + jr * kc;
    for (let j = 0; j < NR; j++) {
      let d = base + j;
      if (jr + j < nc) {
        const col = src + (jr + j) * ldb;
        for (let p = 0; p < kc; p++, d += NR) f[d] = b[col + p]!;
      } else {
        for (let p = 0; p < kc; p++, d += NR) f[d] = 0;
      }
    }
  }
}
