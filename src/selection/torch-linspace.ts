// Bit-exact emulation of PyTorch's float32 `torch.linspace(start, end, steps)` on CPU.
//
// The reference selection rule rounds `torch.linspace(0, n - 1, m)`, so matching it bit for bit means matching
// how ATen computes each point, not the textbook formula. Measured against torch 1.13 (AVX2 kernels) on every
// non-divisible (n, m) with n < 200 and 3,000 random pairs up to n = 20,000, the points are:
//   step = fl32((end - start) / (steps - 1)); halfway = floor(steps / 2)
//   - ATen's vectorized loop fills whole blocks of 2 x 8 lanes; each 8-lane vector starts at
//       base = fma32(step, c, start)              if its first index c < halfway
//       base = fma32(-step, steps - c - 1, end)    otherwise (one formula for the whole vector)
//     and lane j holds fl32(base + fl32(j * step)) (the compiler fuses the base, not the lanes);
//   - the remaining tail is computed per point with the fused formula of the block's base.
// `test/selection/linspace.test.ts` checks this against vectors generated with torch (scripts/make_index_vectors.py).

const LANES = 8;

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);

/** The next float32 after `x` towards +inf (x must be a finite float32). */
function nextUp32(x: number): number {
  if (x === 0) return 1.401298464324817e-45;
  f32[0] = x;
  i32[0] = x > 0 ? i32[0]! + 1 : i32[0]! - 1;
  return f32[0]!;
}

/** The next float32 before `x` towards -inf. */
function nextDown32(x: number): number {
  return -nextUp32(-x);
}

/** Correctly rounded float32 fused multiply-add a * b + c for float32 a, b, c (a * b is exact in a double). */
export function fma32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  // TwoSum: p + c = s + err exactly.
  const bb = s - p;
  const err = (p - (s - bb)) + (c - bb);
  const r = Math.fround(s);
  if (err === 0 || r === s) return r;
  const other = r > s ? nextDown32(r) : nextUp32(r);
  // s sits exactly halfway between two float32s: the true sum is on err's side of it.
  if (s - other === r - s || other - s === s - r) {
    return err > 0 ? Math.max(r, other) : Math.min(r, other);
  }
  return r;
}

/** PyTorch CPU float32 linspace, bit for bit (see the header comment). */
export function torchLinspaceF32(start: number, end: number, steps: number): Float32Array {
  const out = new Float32Array(steps);
  if (steps === 0) return out;
  if (steps === 1) {
    out[0] = start;
    return out;
  }
  const s = Math.fround(start);
  const e = Math.fround(end);
  const step = Math.fround((e - s) / (steps - 1));
  const halfway = Math.floor(steps / 2);
  const pointAt = (i: number): number => (i < halfway ? fma32(step, i, s) : fma32(-step, steps - i - 1, e));
  let i = 0;
  for (; i <= steps - 2 * LANES; i += 2 * LANES) {
    for (let v = i; v < i + 2 * LANES; v += LANES) {
      const base = pointAt(v);
      out[v] = base;
      for (let j = 1; j < LANES; j++) out[v + j] = Math.fround(base + Math.fround(j * step));
    }
  }
  for (; i < steps; i++) out[i] = pointAt(i);
  return out;
}

/** Round half to even, as torch.round does. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
