// A minimal WebAssembly encoder, so the engine's WebAssembly kernels are written here as TypeScript
// that emits their instructions: the repository holds no binary and needs no WebAssembly toolchain.
// Instructions are written folded (operands first, like WAT's folded form): f64.add(a, b) is the
// bytes of a, then of b, then the add opcode.

export type Bytes = number[];
export type ValType = 0x7f | 0x7c | 0x7b; // i32, f64, v128

export const i32t: ValType = 0x7f;
export const f64t: ValType = 0x7c;
export const v128t: ValType = 0x7b;

export function uleb(n: number): Bytes {
  const out: Bytes = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): Bytes {
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
const cat = (...parts: Bytes[]): Bytes => parts.flat();
const memarg = (align: number, offset: number): Bytes => [align, ...uleb(offset)];

/** Locals, constants and control flow. */
export const code = {
  get: (i: number): Bytes => [0x20, ...uleb(i)],
  set: (i: number, value: Bytes): Bytes => [...value, 0x21, ...uleb(i)],
  tee: (i: number, value: Bytes): Bytes => [...value, 0x22, ...uleb(i)],
  i32: (v: number): Bytes => [0x41, ...sleb(v)],
  /** A loop whose body ends with its own br_if back (label depth 0 inside). */
  loop: (...body: Bytes[]): Bytes => [0x03, 0x40, ...body.flat(), 0x0b],
  /** A block; br_if 1 from a loop inside it leaves it. */
  block: (...body: Bytes[]): Bytes => [0x02, 0x40, ...body.flat(), 0x0b],
  brIf: (depth: number, cond: Bytes): Bytes => [...cond, 0x0d, ...uleb(depth)],
  br: (depth: number): Bytes => [0x0c, ...uleb(depth)],
};

export const i32 = {
  add: (a: Bytes, b: Bytes): Bytes => cat(a, b, [0x6a]),
  sub: (a: Bytes, b: Bytes): Bytes => cat(a, b, [0x6b]),
  mul: (a: Bytes, b: Bytes): Bytes => cat(a, b, [0x6c]),
  shl: (a: Bytes, b: Bytes): Bytes => cat(a, b, [0x74]),
  ltU: (a: Bytes, b: Bytes): Bytes => cat(a, b, [0x49]),
  geU: (a: Bytes, b: Bytes): Bytes => cat(a, b, [0x4f]),
};

/** SIMD (0xfd prefix). */
const simd = (opcode: number): Bytes => [0xfd, ...uleb(opcode)];
export const v128 = {
  load: (addr: Bytes, offset = 0): Bytes => cat(addr, simd(0x00), memarg(4, offset)),
  store: (addr: Bytes, value: Bytes, offset = 0): Bytes => cat(addr, value, simd(0x0b), memarg(4, offset)),
  /** Load 32 bits and splat them to four lanes. */
  load32Splat: (addr: Bytes, offset = 0): Bytes => cat(addr, simd(0x09), memarg(2, offset)),
  zero: (): Bytes => [...simd(0x0c), ...new Array<number>(16).fill(0)],
  /** Lanes of the 32-bit pair (a, b): lane i of the result is lane lanes[i] of a (0..3) or b (4..7). */
  shuffle32: (a: Bytes, b: Bytes, lanes: readonly [number, number, number, number]): Bytes =>
    cat(a, b, simd(0x0d), lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3])),
};

export const f64x2 = {
  splat: (a: Bytes): Bytes => cat(a, simd(0x14)),
  add: (a: Bytes, b: Bytes): Bytes => cat(a, b, simd(0xf0)),
  sub: (a: Bytes, b: Bytes): Bytes => cat(a, b, simd(0xf1)),
  mul: (a: Bytes, b: Bytes): Bytes => cat(a, b, simd(0xf2)),
  div: (a: Bytes, b: Bytes): Bytes => cat(a, b, simd(0xf3)),
  sqrt: (a: Bytes): Bytes => cat(a, simd(0xef)),
  /** The two low f32 lanes of a as two f64. */
  promoteLow: (a: Bytes): Bytes => cat(a, simd(0x5f)),
  /** Two f32 at addr (the low half of a v128) as two f64. */
  loadF32: (addr: Bytes, offset = 0): Bytes => cat(addr, simd(0x5d), memarg(3, offset), simd(0x5f)),
  /** Round both lanes to f32 and store them (8 bytes) at addr. */
  storeF32: (addr: Bytes, value: Bytes, offset = 0): Bytes => cat(addr, value, simd(0x5e), simd(0x5b), memarg(3, offset), [0]),
};

export const f32x4 = {
  /** Both f64 lanes of a rounded to f32 in the two low lanes; the high lanes are zero. */
  demote: (a: Bytes): Bytes => cat(a, simd(0x5e)),
  add: (a: Bytes, b: Bytes): Bytes => cat(a, b, simd(0xe4)),
  mul: (a: Bytes, b: Bytes): Bytes => cat(a, b, simd(0xe6)),
};

export interface WasmFunction {
  name: string;
  params: ValType[];
  locals: ValType[];
  body: Bytes;
}

/**
 * A module importing `env.memory` (at least `pages` 64 KiB pages) and exporting the functions, none of
 * which returns a value.
 */
export function wasmModule(pages: number, functions: readonly WasmFunction[]): Uint8Array {
  const types = functions.map((f) => [0x60, ...vector(f.params.map((t) => [t])), 0x00]);
  const bodies = functions.map((f) => {
    // Locals as runs of one type.
    const runs: Bytes[] = [];
    for (let i = 0; i < f.locals.length;) {
      let j = i;
      while (j < f.locals.length && f.locals[j] === f.locals[i]) j++;
      runs.push([...uleb(j - i), f.locals[i]!]);
      i = j;
    }
    const fn = [...vector(runs), ...f.body, 0x0b];
    return [...uleb(fn.length), ...fn];
  });
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector(types)),
    ...section(2, vector([[...name('env'), ...name('memory'), 0x02, 0x00, ...uleb(pages)]])),
    ...section(3, vector(functions.map((_, i) => uleb(i)))),
    ...section(7, vector(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vector(bodies)),
  ]);
}

// The project compiles without DOM typings and Node 20's typings do not declare the WebAssembly
// global, so the few calls used are typed here.
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Memory: new (descriptor: { initial: number }) => { buffer: ArrayBuffer };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

/** An instance of `bytes` on a fresh memory of `pages` pages, or why WebAssembly (SIMD) cannot run it. */
export function instantiate(bytes: Uint8Array, pages: number): { exports: Record<string, unknown>; memory: ArrayBuffer } | { error: string } {
  try {
    const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (wasm === undefined) return { error: 'no WebAssembly in this runtime' };
    if (!wasm.validate(bytes)) return { error: 'WebAssembly SIMD is not supported' };
    const memory = new wasm.Memory({ initial: pages });
    const instance = new wasm.Instance(new wasm.Module(bytes), { env: { memory } });
    return { exports: instance.exports, memory: memory.buffer }; // the memory never grows: views stay valid
  } catch (err) {
    return { error: (err as Error).message };
  }
}
