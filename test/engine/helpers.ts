import { Rng, tensor, type Tensor } from '../../src/engine/index.js';

export function randn(shape: number[], seed: number, scale = 1): Tensor {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = rng.normal() * scale;
  return tensor(d, shape);
}

export function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let md = 0;
  let mb = 0;
  for (let i = 0; i < b.length; i++) {
    md = Math.max(md, Math.abs(a[i]! - b[i]!));
    mb = Math.max(mb, Math.abs(b[i]!));
  }
  return md / Math.max(mb, 1e-12);
}
