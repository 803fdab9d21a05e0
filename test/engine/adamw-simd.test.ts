// The WebAssembly AdamW kernel gives the JavaScript kernel's bits exactly, on random values and on
// edge cases (infinities, NaN, signed zeros, subnormals), for odd lengths and over several chunks.
import { describe, expect, it } from 'vitest';
import { adamwRangeJs } from '../../src/engine/kernels/adamw.js';
import { simdAdamw } from '../../src/engine/kernels/adamw-simd.js';
import { Rng } from '../../src/engine/random.js';
import { wasmUnavailableReason } from '../../src/engine/gemm/wasm.js';

const EDGES = [0, -0, 1e-45, -1e-45, 1e-38, -10, 10, -9.999999, 9.999999, -10.000001, 10.000001, 3.4e38, -3.4e38,
  Infinity, -Infinity, Number.NaN, 0.5, -0.5, 1, -1, 7.0078125, -3.9921875];

function values(n: number, seed: number, scale: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = i < EDGES.length ? EDGES[i]! : rng.normal() * scale;
  return out;
}

const bits = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
const N = 20_011; // odd, more than two chunks

describe.skipIf(wasmUnavailableReason() !== undefined)('WebAssembly AdamW kernel', () => {
  it('AdamW update: parameters and both moments, the same bits', () => {
    const rng = new Rng(5);
    const d = values(N, 6, 0.1), g = values(N, 7, 0.01);
    const m = values(N, 8, 0.001), v = new Float32Array(N).map(() => Math.abs(rng.normal()) * 1e-5);
    const [d2, m2, v2] = [Float32Array.from(d), Float32Array.from(m), Float32Array.from(v)];
    adamwRangeJs(d, g, m, v, 0.9, 0.999, 1e-8, 1e-3 / 0.1, Math.sqrt(1 - 0.999), 1 - 1e-3 * 0.05, 2, N - 1);
    expect(simdAdamw(d2, g, m2, v2, 0.9, 0.999, 1e-8, 1e-3 / 0.1, Math.sqrt(1 - 0.999), 1 - 1e-3 * 0.05, 2, N - 1)).toBe(true);
    expect(bits(d2)).toEqual(bits(d));
    expect(bits(m2)).toEqual(bits(m));
    expect(bits(v2)).toEqual(bits(v));
  });
});
