import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CheckpointError, DTYPES, convertFloat, decodeToFloat64, dtypeSize, encodeFloat32, isFloating, parseDType,
} from '../../src/checkpoint/index.js';
import { makeTorchFixtures } from './helpers.js';

const u16 = (bytes: Uint8Array): number[] => [...new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2)];
const f16Bits = (values: number[]): number[] => u16(encodeFloat32('F16', new Float32Array(values)));
const bf16Bits = (values: number[]): number[] => u16(encodeFloat32('BF16', new Float32Array(values)));

describe('dtype table', () => {
  it('knows every safetensors dtype with its size', () => {
    expect(DTYPES).toHaveLength(15);
    const sizes = Object.fromEntries(DTYPES.map((d) => [d, dtypeSize(d)]));
    expect(sizes).toEqual({ BOOL: 1, U8: 1, I8: 1, I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8, F8_E4M3: 1, F8_E5M2: 1 });
    expect(DTYPES.filter(isFloating).sort()).toEqual(['BF16', 'F16', 'F32', 'F64', 'F8_E4M3', 'F8_E5M2']);
  });

  it('parses dtype names and refuses unknown ones, naming the file', () => {
    expect(parseDType('BF16', 'x')).toBe('BF16');
    expect(() => parseDType('F4', 'some/file.safetensors')).toThrow(CheckpointError);
    expect(() => parseDType('toString', 'f')).toThrow(/unknown dtype "toString"/);
    expect(() => parseDType(3, 'some/file.safetensors')).toThrow(/some\/file.safetensors: unknown dtype 3/);
  });
});

describe('decodeToFloat64', () => {
  it('decodes integer and bool dtypes', () => {
    const le = (arr: ArrayBufferView): Uint8Array => new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
    expect([...decodeToFloat64('BOOL', Uint8Array.of(0, 1, 2))]).toEqual([0, 1, 1]);
    expect([...decodeToFloat64('U8', Uint8Array.of(0, 255))]).toEqual([0, 255]);
    expect([...decodeToFloat64('I8', Uint8Array.of(0x80, 0x7f))]).toEqual([-128, 127]);
    expect([...decodeToFloat64('I16', le(Int16Array.of(-32768, 5)))]).toEqual([-32768, 5]);
    expect([...decodeToFloat64('U16', le(Uint16Array.of(65535)))]).toEqual([65535]);
    expect([...decodeToFloat64('I32', le(Int32Array.of(-(2 ** 31), 7)))]).toEqual([-(2 ** 31), 7]);
    expect([...decodeToFloat64('U32', le(Uint32Array.of(2 ** 32 - 1)))]).toEqual([2 ** 32 - 1]);
    expect([...decodeToFloat64('I64', le(BigInt64Array.of(-1n, 2n ** 40n, -(2n ** 53n))))]).toEqual([-1, 2 ** 40, -(2 ** 53)]);
    expect([...decodeToFloat64('U64', le(BigUint64Array.of(2n ** 63n)))]).toEqual([2 ** 63]);
    expect([...decodeToFloat64('F64', le(Float64Array.of(Math.PI)))]).toEqual([Math.PI]);
    expect([...decodeToFloat64('F32', le(Float32Array.of(0.1)))]).toEqual([Math.fround(0.1)]);
  });

  it('handles unaligned input and rejects partial elements', () => {
    const buf = new Uint8Array(9);
    new DataView(buf.buffer).setFloat64(1, -2.5, true);
    expect([...decodeToFloat64('F64', buf.subarray(1))]).toEqual([-2.5]);
    expect(() => decodeToFloat64('F32', new Uint8Array(6))).toThrow(RangeError);
  });

  it('decodes float16 and bfloat16 bit patterns', () => {
    const h = Uint16Array.of(0x3c00, 0xc000, 0x7bff, 0x0001, 0x0400, 0x7c00, 0xfc00, 0x8000, 0x7e00);
    const v = [...decodeToFloat64('F16', new Uint8Array(h.buffer))];
    expect(v.slice(0, 8)).toEqual([1, -2, 65504, 2 ** -24, 2 ** -14, Infinity, -Infinity, -0]);
    expect(v[8]).toBeNaN();
    const b = Uint16Array.of(0x3f80, 0xc040, 0x7f7f, 0x0001, 0x7f80);
    expect([...decodeToFloat64('BF16', new Uint8Array(b.buffer))]).toEqual([1, -3, 3.3895313892515355e38, 2 ** -133, Infinity]);
  });

  it('decodes float8 e4m3fn by hand-computed bit patterns (no Inf, max 448, S.1111.111 = NaN)', () => {
    const bytes = Uint8Array.of(0x00, 0x80, 0x01, 0x07, 0x08, 0x38, 0x3c, 0x40, 0x78, 0x7e, 0xfe, 0x7f, 0xff, 0x7c);
    const v = [...decodeToFloat64('F8_E4M3', bytes)];
    expect(v.slice(0, 11)).toEqual([0, -0, 2 ** -9, 7 * 2 ** -9, 2 ** -6, 1, 1.5, 2, 256, 448, -448]);
    expect(v[11]).toBeNaN();
    expect(v[12]).toBeNaN();
    expect(v[13]).toBe(384); // exponent 15 is a normal binade in the fn variant
  });

  it('decodes float8 e5m2 by hand-computed bit patterns (IEEE-like: Inf and NaN)', () => {
    const v = [...decodeToFloat64('F8_E5M2', Uint8Array.of(0x3c, 0xbc, 0x7b, 0x7c, 0xfc, 0x01, 0x04, 0x80, 0x7d, 0x3d))];
    expect(v.slice(0, 8)).toEqual([1, -1, 57344, Infinity, -Infinity, 2 ** -16, 2 ** -14, -0]);
    expect(v[8]).toBeNaN();
    expect(v[9]).toBe(1.25);
  });
});

describe('encodeFloat32 and convertFloat', () => {
  it('rounds float32 to float16 to nearest even, with Inf/NaN/subnormals', () => {
    expect(f16Bits([1, -2, 65504, 65519.99, 65520, 1e9, -1e9])).toEqual([0x3c00, 0xc000, 0x7bff, 0x7bff, 0x7c00, 0x7c00, 0xfc00]);
    expect(f16Bits([1 + 2 ** -11, 1 + 3 * 2 ** -11, 1 + 2 ** -11 + 2 ** -20])).toEqual([0x3c00, 0x3c02, 0x3c01]);
    expect(f16Bits([2 ** -24, 2 ** -25, 1.5 * 2 ** -25, 3 * 2 ** -25, 2 ** -14 - 2 ** -25, 2 ** -26])).toEqual([1, 0, 1, 2, 0x400, 0]);
    expect(f16Bits([-0, Infinity, -Infinity, NaN])).toEqual([0x8000, 0x7c00, 0xfc00, 0x7e00]);
    // A NaN keeps its sign and becomes quiet, as in PyTorch.
    const negNaN = new Float32Array(new Uint32Array([0xff800001]).buffer);
    expect(u16(encodeFloat32('F16', negNaN))).toEqual([0xfe00]);
  });

  it('rounds float32 to bfloat16 to nearest even', () => {
    expect(bf16Bits([1, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 3.4e38, -0, Infinity, NaN, 2 ** -140])).toEqual(
      [0x3f80, 0x3f80, 0x3f82, 0x7f80, 0x8000, 0x7f80, 0x7fc0, 0x0000], // 2^-140 is below half the smallest subnormal
    );
  });

  it('converts float64 with a single rounding (no double rounding through float32)', () => {
    const f64 = new Uint8Array(Float64Array.of(1 + 2 ** -11 + 2 ** -40, 1 + 2 ** -8 + 2 ** -40, 1e-300, -1e300).buffer);
    expect(u16(convertFloat(f64, 'F64', 'F16'))).toEqual([0x3c01, 0x3c04, 0x0000, 0xfc00]);
    expect(u16(convertFloat(f64, 'F64', 'BF16'))).toEqual([0x3f80, 0x3f81, 0x0000, 0xff80]);
  });

  it('widens every float8 value exactly into F32, F16 and BF16', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    for (const from of ['F8_E4M3', 'F8_E5M2'] as const) {
      const want = [...decodeToFloat64(from, all)];
      for (const to of ['F32', 'F16', 'BF16'] as const) {
        const got = [...decodeToFloat64(to, convertFloat(all, from, to))];
        got.forEach((g, i) => (Number.isNaN(want[i]) ? expect(g).toBeNaN() : expect(Object.is(g, want[i])).toBe(true)));
      }
    }
  });

  it('refuses non-float sources and targets', () => {
    expect(() => convertFloat(new Uint8Array(4), 'I32', 'F32')).toThrow(/not a floating dtype/);
    expect(() => convertFloat(new Uint8Array(4), 'F32', 'F64')).toThrow(/only convert to F32, F16 or BF16/);
  });
});

describe('conversions against PyTorch', () => {
  let dir: string | undefined;
  beforeAll(() => {
    dir = makeTorchFixtures();
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  const load = (name: string): Uint8Array => new Uint8Array(fs.readFileSync(path.join(dir!, name)));

  // Same bits, except that any NaN matches any NaN (torch's vectorized paths pick their own NaN patterns).
  function expectSameFloats(got: Uint8Array, want: Uint8Array, d: 'F16' | 'BF16' | 'F32'): void {
    expect(got.length).toBe(want.length);
    const g = decodeToFloat64(d, got);
    const w = decodeToFloat64(d, want);
    const size = dtypeSize(d);
    let mismatches = 0;
    for (let i = 0; i < w.length; i++) {
      const same = Number.isNaN(w[i]!) ? Number.isNaN(g[i]!)
        : Buffer.compare(got.subarray(i * size, i * size + size), want.subarray(i * size, i * size + size)) === 0;
      if (!same && mismatches++ < 5) console.error(`element ${i}: got ${g[i]}, torch ${w[i]}`);
    }
    expect(mismatches).toBe(0);
  }

  it('float32 -> float16 / bfloat16 matches torch on specials and 220k values', (ctx) => {
    if (!dir) return ctx.skip();
    const f32 = load('conv_f32.bin');
    expectSameFloats(convertFloat(f32, 'F32', 'F16'), load('conv_f32_to_f16.bin'), 'F16');
    expectSameFloats(convertFloat(f32, 'F32', 'BF16'), load('conv_f32_to_bf16.bin'), 'BF16');
    const values = new Float32Array(f32.buffer, f32.byteOffset, f32.length / 4);
    expectSameFloats(encodeFloat32('F16', values), load('conv_f32_to_f16.bin'), 'F16');
    expectSameFloats(encodeFloat32('BF16', values), load('conv_f32_to_bf16.bin'), 'BF16');
  });

  it('every float16 / bfloat16 bit pattern widens and crosses over like torch', (ctx) => {
    if (!dir) return ctx.skip();
    const all = new Uint8Array(Uint16Array.from({ length: 65536 }, (_, i) => i).buffer);
    expectSameFloats(convertFloat(all, 'F16', 'F32'), load('conv_f16_to_f32.bin'), 'F32');
    expectSameFloats(convertFloat(all, 'BF16', 'F32'), load('conv_bf16_to_f32.bin'), 'F32');
    expectSameFloats(convertFloat(all, 'F16', 'BF16'), load('conv_f16_to_bf16.bin'), 'BF16');
    expectSameFloats(convertFloat(all, 'BF16', 'F16'), load('conv_bf16_to_f16.bin'), 'F16');
  });

  it('float64 -> float16 / float32 matches numpy (single rounding)', (ctx) => {
    if (!dir) return ctx.skip();
    const f64 = load('conv_f64.bin');
    expectSameFloats(convertFloat(f64, 'F64', 'F16'), load('conv_f64_to_f16.bin'), 'F16');
    expectSameFloats(convertFloat(f64, 'F64', 'F32'), load('conv_f64_to_f32.bin'), 'F32');
  });
});
