// Finite-difference gradient check. The scalar probe is sum(f(inputs) * R) for fixed random R,
// accumulated in double precision; derivatives are central differences. Ops run in float32, so
// eps should be ~1e-2..1e-3 on smooth functions and the comparison is relative to the largest
// gradient of each input (max|analytic - numeric| / max|numeric|).

import { backward, noGrad } from './autograd.js';
import { Rng } from './random.js';
import type { Tensor } from './tensor.js';

export interface GradcheckOptions {
  eps?: number;
  /** Allowed max|a - n| / max(max|n|, floor) per input. */
  rtol?: number;
  /** Floor for the normalizer so all-zero gradients compare absolutely. */
  floor?: number;
  seed?: number;
  /** Check at most this many elements per input (evenly spread); default all. */
  maxElements?: number;
}

export interface GradcheckResult {
  ok: boolean;
  /** Per input: relative error and the worst element. */
  errors: { relError: number; worst: number; analytic: number; numeric: number }[];
}

export function gradcheck(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts: GradcheckOptions = {}): GradcheckResult {
  const eps = opts.eps ?? 1e-2;
  const rtol = opts.rtol ?? 1e-2;
  const floor = opts.floor ?? 1e-3;
  const rng = new Rng(opts.seed ?? 1234);
  for (const x of inputs) { x.requiresGrad = true; x.grad = null; }
  const out = fn(...inputs);
  const r = new Float32Array(out.size);
  for (let i = 0; i < r.length; i++) r[i] = rng.uniformIn(-1, 1);
  backward(out, r);
  const probe = (): number => noGrad(() => {
    const y = fn(...inputs).data;
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i]! * r[i]!;
    return s;
  });
  const errors: GradcheckResult['errors'] = [];
  let ok = true;
  for (const x of inputs) {
    const analytic = x.grad ?? new Float32Array(x.size);
    const d = x.data;
    const step = opts.maxElements && x.size > opts.maxElements ? x.size / opts.maxElements : 1;
    let maxN = 0;
    let maxDiff = 0;
    let worst = 0;
    const checked: [number, number][] = [];
    for (let f = 0; f < x.size; f += step) {
      const i = Math.floor(f);
      const orig = d[i]!;
      d[i] = orig + eps;
      const fp = probe();
      d[i] = orig - eps;
      const fm = probe();
      d[i] = orig;
      const num = (fp - fm) / (2 * eps);
      checked.push([i, num]);
      maxN = Math.max(maxN, Math.abs(num));
    }
    let wa = 0;
    let wn = 0;
    for (const [i, num] of checked) {
      const diff = Math.abs(analytic[i]! - num);
      if (diff > maxDiff) { maxDiff = diff; worst = i; wa = analytic[i]!; wn = num; }
    }
    const rel = maxDiff / Math.max(maxN, floor);
    if (!(rel <= rtol)) ok = false;
    errors.push({ relError: rel, worst, analytic: wa, numeric: wn });
  }
  return { ok, errors };
}
