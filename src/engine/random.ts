// Seeded random numbers for the engine (initializers, dropout, stochastic depth): the project's
// xoshiro128** core (data/rng.ts), seeded through splitmix32. Same seed, same sequence, on every platform.

import { mix32, Xoshiro128 } from '../data/rng.js';

const GOLDEN = 0x9e3779b9;

export class Rng extends Xoshiro128 {
  /** State words: splitmix32 outputs for seed + G, seed + 2G, ... (G the golden-ratio increment). */
  constructor(seed = 0) {
    const s = seed | 0;
    super(mix32(s), mix32((s + GOLDEN) | 0), mix32((s + 2 * GOLDEN) | 0), mix32((s + 3 * GOLDEN) | 0));
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    return this.float();
  }

  /** Uniform in [lo, hi). */
  uniformIn(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** A new generator whose stream is derived from this one (for per-module streams). */
  fork(): Rng {
    return new Rng(this.nextU32() | 0);
  }
}
