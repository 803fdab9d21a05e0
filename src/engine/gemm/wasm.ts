// WebAssembly SIMD GEMM kernel: the portable backend used when the OpenBLAS addon is not built.
// Same blocking as the TypeScript kernel (gemm/typescript.ts), but the micro-kernel is a 4x8 f32x4 tile
// (eight v128 accumulators) written in WebAssembly, about 7x faster than scalar TypeScript.
//
// The module is a few kilobytes, assembled below from its instructions at load time so the
// repository holds no binary and needs no WebAssembly toolchain. JavaScript copies whole rows of
// each operand block into the module's memory, the module packs them into panels (undoing
// transposes, applying alpha, zero-padding edges; gemm/wasm-pack.ts) and multiplies one packed
// block into a scratch C block, and JavaScript folds that block into the caller's C with beta.
// Callers validate arguments (gemm/check.ts).

import { code, f32x4, i32, i32t, instantiate, v128, v128t, wasmModule, type Bytes, type ValType, type WasmFunction } from '../wasm/encode.js';
import { roundUp } from './check.js';
import { copyPanelsFunction, sumStepsFunction, transposePanelsFunction } from './wasm-pack.js';

const MR = 4; // rows of a micro-tile: one f32 splat each
const NV = 2; // v128 per tile row
const NR = 4 * NV; // columns of a micro-tile
const KC = 256;
const MC = MR * Math.ceil(64 / MR);
const NC = 1024;

// C's rows the scratch C holds: a whole band of them when k takes several slices, so that each slice
// adds onto it in place rather than C being copied in and out once per slice.
const C_FLOATS = 512 * 1024;

// Byte offsets of the scratch areas in the module's memory: packed A, packed B, the C block, and the
// staging area where rows of an operand block are copied for the module to pack (at most KC x NC).
const A_PTR = 0;
const B_PTR = A_PTR + MC * KC * 4;
const C_PTR = B_PTR + KC * NC * 4;
const STAGE_PTR = C_PTR + C_FLOATS * 4;
const MEMORY_BYTES = STAGE_PTR + KC * NC * 4 + 64; // slack: see stageRows
const MEMORY_PAGES = Math.ceil(MEMORY_BYTES / 65536);

// block(a, b, c, mPanels, nPanels, kc, ldcBytes): for every MR-row panel of packed A (at a, each
// kc*MR floats) and NR-column panel of packed B (at b, each kc*NR floats), writes the MR x NR
// product tile into the row-major scratch C at c (row pitch ldcBytes). Each element's sum runs over
// k in order, one f32 multiply and one f32 add per step, whatever the tile shape. blockAdd does the
// same but adds each sum to what the scratch C holds (one f32 add, as the JavaScript merge would):
// beta = 1 without a scalar pass over C. The packing functions are gemm/wasm-pack.ts's.
export function wasmKernelBytes(): Uint8Array {
  return wasmModule(MEMORY_PAGES, [
    blockFunction('block', false), blockFunction('blockAdd', true),
    copyPanelsFunction('copyA', MR / 4, false), copyPanelsFunction('copyAScaled', MR / 4, true),
    transposePanelsFunction('transposeA', MR / 4, false), transposePanelsFunction('transposeAScaled', MR / 4, true),
    copyPanelsFunction('copyB', NV, false), transposePanelsFunction('transposeB', NV, false),
    sumStepsFunction('sumSteps'),
  ]);
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
type PackFn = (src: number, dst: number, kc: number, pitchBytes: number, panels: number, alpha?: number) => void;

interface Kernels {
  block: BlockFn;
  blockAdd: BlockFn;
  copyA: PackFn;
  copyAScaled: PackFn;
  transposeA: PackFn;
  transposeAScaled: PackFn;
  copyB: PackFn;
  transposeB: PackFn;
  sumSteps: (src: number, c: number, kc: number, pitchBytes: number, vectors: number) => void;
}

let kernels: Kernels | undefined;
let mem = new Float32Array(0);
let loadError: string | undefined;

function load(): void {
  if (kernels !== undefined || loadError !== undefined) return;
  const made = instantiate(wasmKernelBytes(), MEMORY_PAGES);
  if ('error' in made) {
    loadError = made.error;
    return;
  }
  kernels = made.exports as unknown as Kernels;
  mem = new Float32Array(made.memory);
}

/** The module's functions; throws where WebAssembly SIMD does not work. */
function instance(): Kernels {
  load();
  if (kernels === undefined) throw new Error(`blas: WebAssembly kernel unavailable (${loadError})`);
  return kernels;
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
  const w = instance();
  const copyA = alpha === 1 ? w.copyA : w.copyAScaled;
  const transposeA = alpha === 1 ? w.transposeA : w.transposeAScaled;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    const ncPad = roundUp(nc, NR);
    // With several slices of k and beta 0 or 1, C's rows [0, m) stay in the scratch C while the
    // slices add onto them (the same sums in the same order), where they fit.
    const resident = k > KC && (beta === 0 || beta === 1) && roundUp(m, MR) * ncPad <= C_FLOATS;
    if (resident && beta === 1) loadC(m, nc, ncPad, c, cOffset + jc, ldc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      const kcPad = roundUp(kc, 4);
      // Only the first slice of k applies beta; later slices add onto what it wrote.
      const betaNow = pc === 0 ? beta : 1;
      // B's step p is row pc + p of a plain B, column pc + p of a transposed one.
      if (transB) {
        const pitch = stageRows(b, bOffset + jc * ldb + pc, ldb, nc, kc, kcPad, ncPad);
        w.transposeB(STAGE_PTR, B_PTR, kc, pitch * 4, ncPad / NR);
      } else {
        const pitch = stageRows(b, bOffset + pc * ldb + jc, ldb, kc, nc, ncPad, kc);
        w.copyB(STAGE_PTR, B_PTR, kc, pitch * 4, ncPad / NR);
      }
      // A transposed A is staged for up to NC of C's rows at once (its rows are the steps, short
      // runs for one block), a plain one block by block.
      let band = 0;
      let bandEnd = 0;
      let bandPitch = 0;
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        const mPanels = Math.ceil(mc / MR);
        if (transA) {
          if (ic >= bandEnd) {
            band = ic;
            bandEnd = Math.min(m, ic + NC);
            bandPitch = stageRows(a, aOffset + pc * lda + band, lda, kc, bandEnd - band, roundUp(bandEnd - band, MR), kc);
          }
          copyA(STAGE_PTR + 4 * (ic - band), A_PTR, kc, bandPitch * 4, mPanels, alpha);
        } else {
          const pitch = stageRows(a, aOffset + ic * lda + pc, lda, mc, kc, kcPad, mPanels * MR);
          transposeA(STAGE_PTR, A_PTR, kc, pitch * 4, mPanels, alpha);
        }
        const nPanels = ncPad / NR;
        if (resident) {
          const scratch = C_PTR + ic * ncPad * 4;
          if (betaNow === 0) w.block(A_PTR, B_PTR, scratch, mPanels, nPanels, kc, ncPad * 4);
          else w.blockAdd(A_PTR, B_PTR, scratch, mPanels, nPanels, kc, ncPad * 4);
          continue;
        }
        const ci = cOffset + ic * ldc + jc;
        if (betaNow === 1) {
          loadC(mc, nc, ncPad, c, ci, ldc);
          w.blockAdd(A_PTR, B_PTR, C_PTR, mPanels, nPanels, kc, ncPad * 4);
          merge(mc, nc, ncPad, 0, c, ci, ldc);
        } else {
          w.block(A_PTR, B_PTR, C_PTR, mPanels, nPanels, kc, ncPad * 4);
          merge(mc, nc, ncPad, betaNow, c, ci, ldc);
        }
      }
    }
    if (resident) merge(m, nc, ncPad, 0, c, cOffset + jc, ldc);
  }
}

/**
 * out[j] += the sum of column j of g (rows x n, row stride ldg) for columns [j0, j1): the bits
 * wasmGemm gives for ones(1 x rows) @ g with beta 1 (sums over KC rows at a time, each from zero,
 * added to out), without packing g or multiplying by ones. A bias gradient.
 */
export function wasmColumnSums(rows: number, g: Float32Array, gOffset: number, ldg: number,
  out: Float32Array, outOffset: number, j0: number, j1: number): void {
  const w = instance();
  const f = mem;
  for (let jc = j0; jc < j1; jc += NC) {
    const nc = Math.min(NC, j1 - jc);
    const ncPad = roundUp(nc, 4);
    f.set(out.subarray(outOffset + jc, outOffset + jc + nc), C_PTR >> 2);
    for (let pc = 0; pc < rows; pc += KC) {
      const kc = Math.min(KC, rows - pc);
      const pitch = stageRows(g, gOffset + pc * ldg + jc, ldg, kc, nc, ncPad, kc);
      w.sumSteps(STAGE_PTR, C_PTR, kc, pitch * 4, ncPad / 4);
    }
    out.set(f.subarray(C_PTR >> 2, (C_PTR >> 2) + nc), outOffset + jc);
  }
}

// `rows` rows of `width` floats from x (starting at src, ld apart) into the staging area, `pitch`
// floats apart and zero-padded to it, then zero rows up to `padRows`; returns the pitch used. Rows
// that follow one another in x (ld = width) are copied at once and staged `width` apart: then a
// panel's lanes past the width read the next row's first floats, which land only in the padding of
// the product (rows or columns of the scratch C that are never copied out, or steps past kc that
// the next panel overwrites), and the last row's read past its end stays inside the memory (its
// slack).
function stageRows(x: Float32Array, src: number, ld: number, rows: number, width: number, pitch: number, padRows: number): number {
  const f = mem;
  let d = STAGE_PTR >> 2;
  if (ld === width || rows === 1) {
    f.set(x.subarray(src, src + rows * width), d);
    if (padRows > rows) f.fill(0, d + rows * width, d + padRows * width);
    return width;
  }
  for (let r = 0; r < rows; r++, src += ld, d += pitch) {
    f.set(x.subarray(src, src + width), d);
    if (pitch > width) f.fill(0, d + width, d + pitch);
  }
  if (padRows > rows) f.fill(0, d, d + (padRows - rows) * pitch);
  return pitch;
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
