// Seeded random numbers: the xoshiro128** core shared with the engine (engine/random.ts), and the data
// pipeline's generator, seeded from (seed, keys) so shuffles and augmentations are reproducible.

/** splitmix32 step: a good 32-bit mixer for turning keys into well-spread state words. */
export function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Split a safe integer into two 32-bit words so seeds beyond 2^32 still matter. */
function words(key: number): [number, number] {
  if (!Number.isSafeInteger(key)) throw new Error(`RNG key must be a safe integer, got ${key}`);
  return [key >>> 0, Math.floor(key / 0x100000000) >>> 0];
}

/**
 * xoshiro128** (32-bit arithmetic only) with 53-bit floats and Box-Muller normals: the generator core
 * of the data pipeline and of the engine (engine/random.ts), which differ only in how they seed it
 * and in their integer rules.
 */
export class Xoshiro128 {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  /** Cached second value of a Box-Muller pair. */
  private spare: number | null = null;

  constructor(s0: number, s1: number, s2: number, s3: number) {
    this.s0 = s0; this.s1 = s1; this.s2 = s2; this.s3 = s3;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // all-zero state is a fixed point
  }

  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform float in [0, 1) with 53 random bits. */
  float(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal (Box-Muller, second value cached). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.float();
    const v = this.float();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
}

/** The state words for a seed and integer keys (each split into two 32-bit words, then mixed in). */
function keyedState(seed: number, keys: readonly number[]): [number, number, number, number] {
  let h = 0x243f6a88;
  for (const k of [seed, ...keys]) {
    const [lo, hi] = words(k);
    h = mix32(h ^ lo);
    h = mix32(h ^ hi);
  }
  const s0 = mix32(h);
  const s1 = mix32(s0 ^ 0x1);
  const s2 = mix32(s1 ^ 0x2);
  return [s0, s1, s2, mix32(s2 ^ 0x3)];
}

/**
 * Deterministic pseudo-random generator. `new Rng(seed, ...keys)` derives an independent stream from the
 * seed and any integer keys (e.g. epoch, batch index), so random access to a stream needs no replay.
 */
export class Rng extends Xoshiro128 {
  constructor(seed: number, ...keys: number[]) {
    super(...keyedState(seed, keys));
  }

  /** Uniform integer in [0, n), unbiased (rejection sampling), for 1 <= n <= 2^32. */
  int(n: number): number {
    if (!(n >= 1 && n <= 0x100000000) || !Number.isInteger(n)) throw new Error(`Rng.int: bad bound ${n}`);
    const limit = 0x100000000 - (0x100000000 % n);
    let r: number;
    do r = this.nextU32();
    while (r >= limit);
    return r % n;
  }

  /** Gamma(shape, 1) by Marsaglia-Tsang; shapes below 1 use the U^(1/a) boost. */
  gamma(shape: number): number {
    if (!(shape > 0)) throw new Error(`Rng.gamma: shape must be > 0, got ${shape}`);
    if (shape < 1) {
      let u = 0;
      while (u === 0) u = this.float();
      return this.gamma(shape + 1) * Math.pow(u, 1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.float();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /** Beta(a, b) from two gammas. */
  beta(a: number, b: number): number {
    const x = this.gamma(a);
    const y = this.gamma(b);
    const s = x + y;
    // Both gammas can underflow to 0 for tiny shapes; fall back to a fair coin between the two ends.
    return s > 0 ? x / s : this.float() < a / (a + b) ? 1 : 0;
  }

  /** In-place Fisher-Yates shuffle. */
  shuffle<T extends { length: number; [i: number]: number }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
    return a;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Random permutation of 0..n-1. */
export function permutation(n: number, rng: Rng): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  return rng.shuffle(p);
}
