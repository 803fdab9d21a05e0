// Element types: sizes, parsing, and decoding/encoding of raw little-endian tensor bytes.
import {
  bf16BitsToF32Bits,
  f16BitsToF32Bits,
  f32BitsToBf16Bits,
  f32BitsToF16Bits,
  f64ToF32BitsRoundToOdd,
  f8e4m3BitsToF32Bits,
  f8e5m2BitsToF32Bits,
} from './float-bits.js';
import { CheckpointError, type DType } from './types.js';

// Typed-array views read the file's little-endian bytes directly; that is only right on a little-endian CPU.
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('wsel needs a little-endian machine to read checkpoints');

const SIZES: Readonly<Record<DType, number>> = {
  BOOL: 1, U8: 1, I8: 1, I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4,
  F32: 4, F64: 8, I64: 8, U64: 8, F8_E4M3: 1, F8_E5M2: 1,
};

/** Every dtype of the safetensors format. */
export const DTYPES: readonly DType[] = Object.keys(SIZES) as DType[];

/** Bytes per element. */
export function dtypeSize(d: DType): number {
  return SIZES[d];
}

export function isFloating(d: DType): boolean {
  return d === 'F16' || d === 'BF16' || d === 'F32' || d === 'F64' || d === 'F8_E4M3' || d === 'F8_E5M2';
}

/** Parse a dtype name from a file header; anything unknown is an error naming the file. */
export function parseDType(str: unknown, file: string): DType {
  if (typeof str === 'string' && Object.hasOwn(SIZES, str)) return str as DType;
  throw new CheckpointError(file, `unknown dtype ${JSON.stringify(str)} (known: ${DTYPES.join(', ')})`);
}

/** Number of elements of a shape (1 for a scalar). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Byte length of a tensor of this dtype and shape. */
export function byteLengthOf(d: DType, shape: readonly number[]): number {
  return numel(shape) * SIZES[d];
}

function count(bytes: Uint8Array, d: DType): number {
  const size = SIZES[d];
  if (bytes.byteLength % size !== 0) {
    throw new RangeError(`${bytes.byteLength} bytes is not a whole number of ${d} elements (${size} bytes each)`);
  }
  return bytes.byteLength / size;
}

// Typed arrays need their byte offset to be a multiple of the element size; copy the rare unaligned input.
function aligned(bytes: Uint8Array, size: number): Uint8Array {
  return bytes.byteOffset % size === 0 ? bytes : bytes.slice();
}

let f16Table: Uint32Array | undefined;
let e4m3Table: Uint32Array | undefined;
let e5m2Table: Uint32Array | undefined;

// Lookup tables make decoding the narrow formats one load per element.
function table(size: number, f: (b: number) => number): Uint32Array {
  const t = new Uint32Array(size);
  for (let i = 0; i < size; i++) t[i] = f(i);
  return t;
}

/**
 * float32 bit patterns of floating data. With `forNarrow`, F64 is rounded to odd so that a second rounding to
 * F16/BF16 gives the correctly rounded result; otherwise it is rounded to nearest even.
 */
function toF32Bits(bytes: Uint8Array, from: DType, forNarrow: boolean): Uint32Array {
  const n = count(bytes, from);
  const a = aligned(bytes, SIZES[from]);
  // Callers only read the result, so float32 input is used in place.
  if (from === 'F32') return new Uint32Array(a.buffer, a.byteOffset, n);
  const out = new Uint32Array(n);
  switch (from) {
    case 'F64': {
      const src = new Float64Array(a.buffer, a.byteOffset, n);
      if (forNarrow) for (let i = 0; i < n; i++) out[i] = f64ToF32BitsRoundToOdd(src[i]!);
      else new Float32Array(out.buffer).set(src);
      return out;
    }
    case 'F16': {
      const t = (f16Table ??= table(65536, f16BitsToF32Bits));
      const src = new Uint16Array(a.buffer, a.byteOffset, n);
      for (let i = 0; i < n; i++) out[i] = t[src[i]!]!;
      return out;
    }
    case 'BF16': {
      const src = new Uint16Array(a.buffer, a.byteOffset, n);
      for (let i = 0; i < n; i++) out[i] = bf16BitsToF32Bits(src[i]!);
      return out;
    }
    case 'F8_E4M3': {
      const t = (e4m3Table ??= table(256, f8e4m3BitsToF32Bits));
      for (let i = 0; i < n; i++) out[i] = t[a[i]!]!;
      return out;
    }
    case 'F8_E5M2': {
      const t = (e5m2Table ??= table(256, f8e5m2BitsToF32Bits));
      for (let i = 0; i < n; i++) out[i] = t[a[i]!]!;
      return out;
    }
    default:
      throw new RangeError(`${from} is not a floating dtype`);
  }
}

function fromF32Bits(bits: Uint32Array, to: DType): Uint8Array {
  const n = bits.length;
  switch (to) {
    case 'F32':
      return new Uint8Array(bits.buffer, bits.byteOffset, bits.byteLength); // always a fresh array here
    case 'F16': {
      const out = new Uint16Array(n);
      for (let i = 0; i < n; i++) out[i] = f32BitsToF16Bits(bits[i]!);
      return new Uint8Array(out.buffer);
    }
    case 'BF16': {
      const out = new Uint16Array(n);
      for (let i = 0; i < n; i++) out[i] = f32BitsToBf16Bits(bits[i]!);
      return new Uint8Array(out.buffer);
    }
    default:
      throw new RangeError(`can only convert to F32, F16 or BF16, not ${to}`);
  }
}

/**
 * Convert floating data (F64, F32, F16, BF16, F8_E4M3, F8_E5M2) to F32, F16 or BF16, rounding to nearest even
 * (once: F64 goes through a round-to-odd float32). Always returns a new buffer.
 */
export function convertFloat(bytes: Uint8Array, from: DType, to: DType): Uint8Array {
  if (from === to && (to === 'F32' || to === 'F16' || to === 'BF16')) return bytes.slice();
  return fromF32Bits(toF32Bits(bytes, from, to !== 'F32'), to);
}

/** Encode float32 values as F32, F16 or BF16 bytes (round to nearest even). */
export function encodeFloat32(d: DType, values: Float32Array): Uint8Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  return d === 'F32' ? new Uint8Array(bits.slice().buffer) : fromF32Bits(bits, d);
}

/** Decode the raw bytes of any dtype to float64 values (BOOL -> 0/1; 64-bit integers beyond 2^53 lose precision). */
export function decodeToFloat64(d: DType, bytes: Uint8Array): Float64Array {
  const n = count(bytes, d);
  const a = aligned(bytes, SIZES[d]);
  const out = new Float64Array(n);
  switch (d) {
    case 'BOOL':
      for (let i = 0; i < n; i++) out[i] = a[i] !== 0 ? 1 : 0;
      break;
    case 'U8': out.set(a); break;
    case 'I8': out.set(new Int8Array(a.buffer, a.byteOffset, n)); break;
    case 'I16': out.set(new Int16Array(a.buffer, a.byteOffset, n)); break;
    case 'U16': out.set(new Uint16Array(a.buffer, a.byteOffset, n)); break;
    case 'I32': out.set(new Int32Array(a.buffer, a.byteOffset, n)); break;
    case 'U32': out.set(new Uint32Array(a.buffer, a.byteOffset, n)); break;
    case 'F32': out.set(new Float32Array(a.buffer, a.byteOffset, n)); break;
    case 'F64': out.set(new Float64Array(a.buffer, a.byteOffset, n)); break;
    case 'I64': {
      const src = new BigInt64Array(a.buffer, a.byteOffset, n);
      for (let i = 0; i < n; i++) out[i] = Number(src[i]!);
      break;
    }
    case 'U64': {
      const src = new BigUint64Array(a.buffer, a.byteOffset, n);
      for (let i = 0; i < n; i++) out[i] = Number(src[i]!);
      break;
    }
    default: {
      const bits = toF32Bits(a, d, false);
      out.set(new Float32Array(bits.buffer, bits.byteOffset, n));
    }
  }
  return out;
}
