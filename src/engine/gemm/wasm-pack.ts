// WebAssembly functions that pack GEMM operands into the panels the micro-kernel reads (gemm/wasm.ts),
// and one that sums staged rows the way the micro-kernel would (a bias gradient without a product).
// JavaScript copies whole rows of an operand block into a staging area of the module's memory (one
// memcpy per row); these functions cut the staged rows into panels with vector loads and stores.
// Element-by-element packing in JavaScript took about a sixth of a weight-gradient product.
//
// A panel is `width` lanes wide (4 for A, 8 for B) and holds kc steps, one after another, each the
// panel's `width` floats of one index of k. Two staged layouts:
//  - steps along rows (a transposed A, a plain B): staged row p holds step p of every panel, so a
//    panel's step is a contiguous run: copied as is;
//  - lanes along rows (a plain A, a transposed B): staged row i holds lane i of a panel for every
//    step, so four steps of four lanes are a 4x4 transpose of four rows.
// The scaled variants multiply by alpha in double precision and round to f32, as the scalar
// packing did (`alpha * x` stored into a Float32Array), so every alpha gives the same bits.

import { code, f64t, f64x2, f32x4, i32, i32t, v128, v128t, type Bytes, type ValType, type WasmFunction } from '../wasm/encode.js';

/** alpha * x for the four lanes of x, each product in double precision rounded to f32. */
function scaled(x: Bytes, alpha: Bytes): Bytes {
  const low = f32x4.demote(f64x2.mul(alpha, f64x2.promoteLow(x)));
  const high = f32x4.demote(f64x2.mul(alpha, f64x2.promoteLow(v128.shuffle32(x, x, [2, 3, 2, 3]))));
  return v128.shuffle32(low, high, [0, 1, 4, 5]);
}

/**
 * copyPanels(src, dst, kc, pitchBytes, panels[, alpha]): staged rows are steps (pitchBytes apart);
 * panel q's step p is the `4 * vectors` floats at src + p * pitchBytes + q * 16 * vectors.
 */
export function copyPanelsFunction(name: string, vectors: number, scale: boolean): WasmFunction {
  const [SRC, DST, KCL, PITCH, PANELS, ALPHA] = [0, 1, 2, 3, 4, 5];
  const first = scale ? 6 : 5;
  const [Q, P, SP, A2] = [first, first + 1, first + 2, first + 3];
  const { get, set, loop, brIf, tee } = code;
  const copy: Bytes[] = [];
  for (let v = 0; v < vectors; v++) {
    const x = v128.load(get(SP), 16 * v);
    copy.push(v128.store(get(DST), scale ? scaled(x, get(A2)) : x, 16 * v));
  }
  const body: Bytes = [
    ...(scale ? set(A2, f64x2.splat(get(ALPHA))) : []),
    ...set(Q, code.i32(0)),
    ...loop(
      set(SP, i32.add(get(SRC), i32.mul(get(Q), code.i32(16 * vectors)))),
      set(P, get(KCL)),
      loop(
        ...copy,
        set(SP, i32.add(get(SP), get(PITCH))),
        set(DST, i32.add(get(DST), code.i32(16 * vectors))),
        brIf(0, tee(P, i32.sub(get(P), code.i32(1)))), // kc >= 1, counted down to 0
      ),
      brIf(0, i32.ltU(tee(Q, i32.add(get(Q), code.i32(1))), get(PANELS))),
    ),
  ];
  return { name, params: params(scale), locals: [i32t, i32t, i32t, ...(scale ? [v128t] : [])], body };
}

/**
 * transposePanels(src, dst, kc, pitchBytes, panels[, alpha]): staged rows are lanes (pitchBytes
 * apart); panel q's lane i is row q * 4 * vectors + i. Steps go four at a time, so a kc that is not a
 * multiple of 4 reads up to 3 floats past each row's kc and writes up to 3 steps past a panel: into
 * the next panel's place (written after it) or, after the last, into space the caller leaves free.
 */
export function transposePanelsFunction(name: string, vectors: number, scale: boolean): WasmFunction {
  const lanes = 4 * vectors;
  const [SRC, DST, KCL, PITCH, PANELS, ALPHA] = [0, 1, 2, 3, 4, 5];
  const first = scale ? 6 : 5;
  const [Q, P, DP, ROW] = [first, first + 1, first + 2, first + 3]; // ROW + i: lane i's row pointer
  const X = ROW + lanes; // 4 loaded rows, then 4 half-transposed, then alpha
  const T = X + 4;
  const A2 = T + 4;
  const { get, set, loop, brIf, tee } = code;
  const group: Bytes[] = [];
  for (let v = 0; v < vectors; v++) {
    for (let r = 0; r < 4; r++) group.push(set(X + r, v128.load(get(ROW + 4 * v + r))));
    group.push(
      set(T, v128.shuffle32(get(X), get(X + 1), [0, 4, 1, 5])),
      set(T + 1, v128.shuffle32(get(X), get(X + 1), [2, 6, 3, 7])),
      set(T + 2, v128.shuffle32(get(X + 2), get(X + 3), [0, 4, 1, 5])),
      set(T + 3, v128.shuffle32(get(X + 2), get(X + 3), [2, 6, 3, 7])),
    );
    const steps = [
      v128.shuffle32(get(T), get(T + 2), [0, 1, 4, 5]),
      v128.shuffle32(get(T), get(T + 2), [2, 3, 6, 7]),
      v128.shuffle32(get(T + 1), get(T + 3), [0, 1, 4, 5]),
      v128.shuffle32(get(T + 1), get(T + 3), [2, 3, 6, 7]),
    ];
    steps.forEach((s, j) => group.push(v128.store(get(DP), scale ? scaled(s, get(A2)) : s, 16 * (j * vectors + v))));
  }
  for (let i = 0; i < lanes; i++) group.push(set(ROW + i, i32.add(get(ROW + i), code.i32(16))));
  group.push(
    set(DP, i32.add(get(DP), code.i32(64 * vectors))),
    brIf(0, i32.ltU(tee(P, i32.add(get(P), code.i32(4))), get(KCL))),
  );
  const panelStart: Bytes[] = [];
  for (let i = 0; i < lanes; i++) {
    // row i of panel q: src + (q * lanes + i) * pitch
    panelStart.push(set(ROW + i, i32.add(get(SRC), i32.mul(i32.add(i32.mul(get(Q), code.i32(lanes)), code.i32(i)), get(PITCH)))));
  }
  const body: Bytes = [
    ...(scale ? set(A2, f64x2.splat(get(ALPHA))) : []),
    ...set(Q, code.i32(0)),
    ...loop(
      ...panelStart,
      set(DP, i32.add(get(DST), i32.mul(i32.mul(get(Q), get(KCL)), code.i32(4 * lanes)))), // panel q's place
      set(P, code.i32(0)),
      loop(...group),
      brIf(0, i32.ltU(tee(Q, i32.add(get(Q), code.i32(1))), get(PANELS))),
    ),
  ];
  return {
    name, params: params(scale),
    locals: [...new Array<ValType>(3 + lanes).fill(i32t), ...new Array<ValType>(8 + (scale ? 1 : 0)).fill(v128t)],
    body,
  };
}

/**
 * sumSteps(src, c, kc, pitchBytes, vectors): for each of `vectors` groups of four columns, the sum of
 * the kc staged rows (pitchBytes apart), started from zero and taken in row order, added to the
 * floats at c: what the micro-kernel computes for a row of ones times those rows (1 * x is x).
 */
export function sumStepsFunction(name: string): WasmFunction {
  const [SRC, C, KCL, PITCH, VECTORS] = [0, 1, 2, 3, 4];
  const [V, P, SP, ACC] = [5, 6, 7, 8];
  const { get, set, loop, brIf, tee } = code;
  const body: Bytes = [
    ...set(V, code.i32(0)),
    ...loop(
      set(SP, i32.add(get(SRC), i32.mul(get(V), code.i32(16)))),
      set(ACC, v128.zero()),
      set(P, get(KCL)),
      loop(
        set(ACC, f32x4.add(get(ACC), v128.load(get(SP)))),
        set(SP, i32.add(get(SP), get(PITCH))),
        brIf(0, tee(P, i32.sub(get(P), code.i32(1)))), // kc >= 1, counted down to 0
      ),
      v128.store(get(C), f32x4.add(get(ACC), v128.load(get(C)))),
      set(C, i32.add(get(C), code.i32(16))),
      brIf(0, i32.ltU(tee(V, i32.add(get(V), code.i32(1))), get(VECTORS))),
    ),
  ];
  return { name, params: new Array<ValType>(5).fill(i32t), locals: [i32t, i32t, i32t, v128t], body };
}

function params(scale: boolean): ValType[] {
  return [...new Array<ValType>(5).fill(i32t), ...(scale ? [f64t] : [])];
}
