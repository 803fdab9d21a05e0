// Bit-level conversions between float32 and the narrow float formats (float16, bfloat16, float8), written out
// by hand so that rounding is exactly IEEE round-to-nearest-even and NaN/Inf/subnormals behave as in PyTorch.
// All functions take and return raw bit patterns as unsigned integers.

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** float32 bits -> float16 bits, round to nearest even; overflow -> Inf; NaN -> quiet NaN with its sign (as c10). */
export function f32BitsToF16Bits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | (mant !== 0 ? 0x7e00 : 0x7c00);
  const e16 = exp - 112; // rebias 127 -> 15
  if (e16 >= 0x1f) return sign | 0x7c00;
  if (e16 <= 0) {
    // Result is subnormal (or zero): below half the smallest subnormal (2^-25) everything rounds to zero.
    if (e16 < -10) return sign;
    const full = mant | 0x800000;
    const shift = 14 - e16;
    const half = 1 << (shift - 1);
    let m = full >>> shift;
    const rem = full & ((1 << shift) - 1);
    if (rem > half || (rem === half && (m & 1) !== 0)) m++; // a carry becomes the smallest normal: correct
    return sign | m;
  }
  const m = mant >>> 13;
  const rem = mant & 0x1fff;
  let r = (e16 << 10) | m;
  if (rem > 0x1000 || (rem === 0x1000 && (m & 1) !== 0)) r++; // a carry into the exponent may give Inf: correct
  return sign | r;
}

/** float32 bits -> bfloat16 bits, round to nearest even; NaN -> 0x7FC0 (as c10's round_to_nearest_even). */
export function f32BitsToBf16Bits(x: number): number {
  if ((x & 0x7fffffff) >>> 0 > 0x7f800000) return 0x7fc0;
  const lsb = (x >>> 16) & 1;
  // x is at most 0xFF800000 here, so the sum stays below 2^32 and >>> is exact.
  return ((x + 0x7fff + lsb) >>> 16) & 0xffff;
}

/** float16 bits -> float32 bits (exact; NaN payload kept). */
export function f16BitsToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  let exp = (h >>> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0;
  if (exp === 0) {
    if (mant === 0) return sign >>> 0;
    // Subnormal: normalize, since every float16 subnormal is a normal float32.
    exp = 113;
    while ((mant & 0x400) === 0) {
      mant <<= 1;
      exp--;
    }
    return (sign | (exp << 23) | ((mant & 0x3ff) << 13)) >>> 0;
  }
  return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
}

/** bfloat16 bits -> float32 bits (exact: bfloat16 is the top half of a float32). */
export function bf16BitsToF32Bits(h: number): number {
  return (h << 16) >>> 0;
}

/** float8 e4m3fn bits -> float32 bits: no Inf, S.1111.111 is NaN, max 448, subnormals down to 2^-9. */
export function f8e4m3BitsToF32Bits(b: number): number {
  const negative = (b & 0x80) !== 0;
  const exp = (b >>> 3) & 0xf;
  const mant = b & 7;
  if (exp === 0xf && mant === 7) return negative ? 0xffc00000 : 0x7fc00000;
  const magnitude = exp === 0 ? mant * 2 ** -9 : (8 + mant) * 2 ** (exp - 10);
  f32Scratch[0] = negative ? -magnitude : magnitude;
  return u32Scratch[0]!;
}

/** float8 e5m2 bits -> float32 bits: e5m2 is the top byte of a float16, so it has Inf and NaN like IEEE. */
export function f8e5m2BitsToF32Bits(b: number): number {
  return f16BitsToF32Bits(b << 8);
}

/**
 * float64 -> float32 bits rounded to odd (truncate, then set the last bit if anything was lost). Rounding that
 * result again to float16/bfloat16 (>= 2 fewer bits) gives the correctly rounded value: no double rounding.
 */
export function f64ToF32BitsRoundToOdd(v: number): number {
  f32Scratch[0] = v;
  let bits = u32Scratch[0]!;
  const nearest = f32Scratch[0]!;
  if (nearest === v || Number.isNaN(v)) return bits;
  // Step the magnitude back toward zero when rounding went away from zero, to get the truncated value.
  if (Math.abs(nearest) > Math.abs(v)) bits = (bits - 1) >>> 0;
  return (bits | 1) >>> 0;
}

/** float64 -> float32 bits, round to nearest even. */
export function f64ToF32Bits(v: number): number {
  f32Scratch[0] = v;
  return u32Scratch[0]!;
}

/** float32 bits -> its value. */
export function f32BitsToNumber(bits: number): number {
  u32Scratch[0] = bits;
  return f32Scratch[0]!;
}
