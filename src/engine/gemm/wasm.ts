// WebAssembly SIMD GEMM kernel: the portable backend used when the OpenBLAS addon is not built.
// Same blocking as the TypeScript kernel (gemm/typescript.ts), but the micro-kernel is a 4x8 f32x4 tile
// (eight v128 accumulators) written in WebAssembly, about 7x faster than scalar TypeScript.
//
// The module is a few hundred bytes, assembled below from its instructions at load time so the
// repository holds no binary and needs no WebAssembly toolchain. JavaScript packs A and B
// panels into the module's memory (undoing transposes, applying alpha, zero-padding edges), the
// module multiplies one packed block into a scratch C block, and JavaScript folds that block
// into the caller's C with beta. Callers validate arguments (gemm/check.ts).

const MR = 4; // rows of a micro-tile: one f32 splat each
const NR = 8; // columns of a micro-tile: two v128
const KC = 256;
const MC = 64;
const NC = 1024;

// Byte offsets of the three scratch areas in the module's memory.
const A_PTR = 0;
const B_PTR = A_PTR + MC * KC * 4;
const C_PTR = B_PTR + KC * NC * 4;
const MEMORY_BYTES = C_PTR + MC * NC * 4;
const MEMORY_PAGES = Math.ceil(MEMORY_BYTES / 65536);

// --- a minimal WebAssembly encoder -----------------------------------------------------------

type Bytes = number[];

function uleb(n: number): Bytes {
  const out: Bytes = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): Bytes {
  const out: Bytes = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const vector = (items: Bytes[]): Bytes => [...uleb(items.length), ...items.flat()];
const name = (s: string): Bytes => vector([...s].map((ch) => [ch.charCodeAt(0)]));
const section = (id: number, body: Bytes): Bytes => [id, ...uleb(body.length), ...body];

const I32 = 0x7f;
const V128 = 0x7b;
const op = {
  get: (i: number): Bytes => [0x20, ...uleb(i)],
  set: (i: number): Bytes => [0x21, ...uleb(i)],
  tee: (i: number): Bytes => [0x22, ...uleb(i)],
  i32: (v: number): Bytes => [0x41, ...sleb(v)],
  add: [0x6a],
  sub: [0x6b],
  mul: [0x6c],
  ltU: [0x49],
  brIf: (depth: number): Bytes => [0x0d, ...uleb(depth)],
  loop: (...body: Bytes[]): Bytes => [0x03, 0x40, ...body.flat(), 0x0b],
  // SIMD (0xfd prefix); memarg = alignment exponent, offset.
  v128Load: (offset: number): Bytes => [0xfd, ...uleb(0x00), 4, ...uleb(offset)],
  v128Store: (offset: number): Bytes => [0xfd, ...uleb(0x0b), 4, ...uleb(offset)],
  load32Splat: (offset: number): Bytes => [0xfd, ...uleb(0x09), 2, ...uleb(offset)],
  v128Zero: [0xfd, ...uleb(0x0c), ...new Array<number>(16).fill(0)],
  f32x4Add: [0xfd, ...uleb(0xe4)],
  f32x4Mul: [0xfd, ...uleb(0xe6)],
};

// block(a, b, c, mPanels, nPanels, kc, ldcBytes): for every MR-row panel of packed A (at a, each
// kc*MR floats) and NR-column panel of packed B (at b, each kc*NR floats), writes the MR x NR
// product tile into the row-major scratch C at c (row pitch ldcBytes).
export function wasmKernelBytes(): Uint8Array {
  // Parameters 0..6, then locals.
  const [A, B, C, M_PANELS, N_PANELS, KCL, LDC] = [0, 1, 2, 3, 4, 5, 6];
  const [JR, IR, P, AP, BP, CP] = [7, 8, 9, 10, 11, 12];
  const ACC = 13; // 8 accumulators: row r uses ACC + 2r (columns 0-3) and ACC + 2r + 1 (4-7)
  const B0 = 21, B1 = 22, AV = 23;

  const step: Bytes[] = [op.get(BP), op.v128Load(0), op.set(B0), op.get(BP), op.v128Load(16), op.set(B1)];
  for (let r = 0; r < MR; r++) {
    step.push(op.get(AP), op.load32Splat(4 * r), op.set(AV));
    for (const [acc, bv] of [[ACC + 2 * r, B0], [ACC + 2 * r + 1, B1]] as const) {
      step.push(op.get(acc), op.get(AV), op.get(bv), op.f32x4Mul, op.f32x4Add, op.set(acc));
    }
  }
  step.push(
    op.get(AP), op.i32(MR * 4), op.add, op.set(AP),
    op.get(BP), op.i32(NR * 4), op.add, op.set(BP),
    op.get(P), op.i32(1), op.sub, op.tee(P), op.brIf(0), // kc >= 1, counted down to 0
  );

  const tile: Bytes[] = [];
  for (let i = 0; i < 2 * MR; i++) tile.push(op.v128Zero, op.set(ACC + i));
  tile.push(
    op.get(A), op.get(IR), op.get(KCL), op.mul, op.i32(MR * 4), op.mul, op.add, op.set(AP),
    op.get(B), op.get(JR), op.get(KCL), op.mul, op.i32(NR * 4), op.mul, op.add, op.set(BP),
    op.get(KCL), op.set(P),
    op.loop(...step),
    // cp = c + ir * MR * ldc + jr * NR * 4
    op.get(C), op.get(IR), op.get(LDC), op.mul, op.i32(MR), op.mul, op.add,
    op.get(JR), op.i32(NR * 4), op.mul, op.add, op.set(CP),
  );
  for (let r = 0; r < MR; r++) {
    tile.push(
      op.get(CP), op.get(ACC + 2 * r), op.v128Store(0),
      op.get(CP), op.get(ACC + 2 * r + 1), op.v128Store(16),
      op.get(CP), op.get(LDC), op.add, op.set(CP),
    );
  }
  tile.push(op.get(IR), op.i32(1), op.add, op.tee(IR), op.get(M_PANELS), op.ltU, op.brIf(0));

  const body: Bytes = [
    ...op.i32(0), ...op.set(JR),
    ...op.loop(
      op.i32(0), op.set(IR),
      op.loop(...tile),
      op.get(JR), op.i32(1), op.add, op.tee(JR), op.get(N_PANELS), op.ltU, op.brIf(0),
    ),
    0x0b,
  ];
  const func = [...vector([[...uleb(6), I32], [...uleb(11), V128]]), ...body];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector([[0x60, ...vector(new Array<Bytes>(7).fill([I32])), 0x00]])), // (i32 x7) -> ()
    ...section(2, vector([[...name('env'), ...name('memory'), 0x02, 0x00, ...uleb(MEMORY_PAGES)]])),
    ...section(3, vector([[0x00]])),
    ...section(7, vector([[...name('block'), 0x00, 0x00]])),
    ...section(10, vector([[...uleb(func.length), ...func]])),
  ]);
}

// --- instance --------------------------------------------------------------------------------

type BlockFn = (a: number, b: number, c: number, mPanels: number, nPanels: number, kc: number, ldcBytes: number) => void;

let kernel: BlockFn | undefined;
let mem = new Float32Array(0);
let loadError: string | undefined;

// The project compiles without DOM typings and Node 20's typings do not declare the
// WebAssembly global, so the few calls used are typed here.
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Memory: new (descriptor: { initial: number }) => { buffer: ArrayBuffer };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

function load(): void {
  if (kernel !== undefined || loadError !== undefined) return;
  try {
    const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (wasm === undefined) throw new Error('no WebAssembly in this runtime');
    const bytes = wasmKernelBytes();
    if (!wasm.validate(bytes)) throw new Error('WebAssembly SIMD is not supported');
    const memory = new wasm.Memory({ initial: MEMORY_PAGES });
    const instance = new wasm.Instance(new wasm.Module(bytes), { env: { memory } });
    kernel = instance.exports['block'] as BlockFn;
    mem = new Float32Array(memory.buffer); // the memory never grows, so this view stays valid
  } catch (err) {
    loadError = (err as Error).message;
  }
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
        block(A_PTR, B_PTR, C_PTR, Math.ceil(mc / MR), ncPad / NR, kc, ncPad * 4);
        merge(mc, nc, ncPad, betaNow, c, cOffset + ic * ldc + jc, ldc);
      }
    }
  }
}

// C block = scratch + beta * C block; beta 0 never reads C.
function merge(mc: number, nc: number, pitch: number, beta: number, c: Float32Array, ci: number, ldc: number): void {
  const f = mem;
  for (let i = 0; i < mc; i++, ci += ldc) {
    const s = (C_PTR >> 2) + i * pitch;
    if (beta === 0) {
      c.set(f.subarray(s, s + nc), ci);
    } else if (beta === 1) {
      for (let j = 0; j < nc; j++) c[ci + j] = f[s + j]! + c[ci + j]!;
    } else {
      for (let j = 0; j < nc; j++) c[ci + j] = f[s + j]! + beta * c[ci + j]!;
    }
  }
}

// Packed A: MR-row panels, each kc groups of MR floats, alpha applied, rows past mc zero.
function packAPlain(a: Float32Array, src: number, lda: number, kc: number, mc: number, alpha: number): void {
  const f = mem;
  for (let ir = 0; ir < mc; ir += MR) {
    const base = (A_PTR >> 2) + ir * kc;
    for (let i = 0; i < MR; i++) {
      let d = base + i;
      if (ir + i < mc) {
        const row = src + (ir + i) * lda;
        for (let p = 0; p < kc; p++, d += MR) f[d] = alpha * a[row + p]!;
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
        f[d] = alpha * a[s]!;
        f[d + 1] = alpha * a[s + 1]!;
        f[d + 2] = alpha * a[s + 2]!;
        f[d + 3] = alpha * a[s + 3]!;
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
        f[d] = b[s]!; f[d + 1] = b[s + 1]!; f[d + 2] = b[s + 2]!; f[d + 3] = b[s + 3]!;
        f[d + 4] = b[s + 4]!; f[d + 5] = b[s + 5]!; f[d + 6] = b[s + 6]!; f[d + 7] = b[s + 7]!;
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
