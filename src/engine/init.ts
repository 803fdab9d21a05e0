// Weight initializers with PyTorch's fan conventions, all drawing from an explicit seeded Rng
// (same seed, same numbers). They fill a Float32Array (or a tensor's data) in place.

import { Rng } from './random.js';
import type { Tensor } from './tensor.js';

type Target = Tensor | Float32Array;
const buf = (t: Target): Float32Array => (t instanceof Float32Array ? t : t.data);

/** PyTorch's _calculate_fan_in_and_fan_out: dims 0 and 1 times the receptive field. */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) throw new Error(`fan in/out needs >= 2 dims, got (${shape.join(',')})`);
  let receptive = 1;
  for (let i = 2; i < shape.length; i++) receptive *= shape[i]!;
  return { fanIn: shape[1]! * receptive, fanOut: shape[0]! * receptive };
}

export function zeros_(t: Target): void { buf(t).fill(0); }
export function ones_(t: Target): void { buf(t).fill(1); }
export function constant_(t: Target, v: number): void { buf(t).fill(v); }

export function uniform_(t: Target, rng: Rng, lo: number, hi: number): void {
  const d = buf(t);
  for (let i = 0; i < d.length; i++) d[i] = rng.uniformIn(lo, hi);
}

export function normal_(t: Target, rng: Rng, mean = 0, std = 1): void {
  const d = buf(t);
  for (let i = 0; i < d.length; i++) d[i] = mean + std * rng.normal();
}

/**
 * Normal(mean, std) truncated to [a, b]; defaults a = -2*std, b = 2*std about the mean as timm's
 * trunc_normal_(std=...) is used. Rejection sampling: exact distribution, ~5% redraws at 2 sigma.
 */
export function truncNormal_(t: Target, rng: Rng, std = 1, mean = 0, a = mean - 2 * std, b = mean + 2 * std): void {
  const d = buf(t);
  for (let i = 0; i < d.length; i++) {
    let v: number;
    do v = mean + std * rng.normal(); while (v < a || v > b);
    d[i] = v;
  }
}

export type FanMode = 'fan_in' | 'fan_out';
export type Nonlinearity = 'linear' | 'relu' | 'leaky_relu' | 'tanh' | 'sigmoid' | 'gelu';

/** torch.nn.init.calculate_gain (gelu is not in PyTorch's table; treated like linear). */
export function gain(nonlinearity: Nonlinearity = 'leaky_relu', param = 0.01): number {
  switch (nonlinearity) {
    case 'relu': return Math.SQRT2;
    case 'leaky_relu': return Math.sqrt(2 / (1 + param * param));
    case 'tanh': return 5 / 3;
    default: return 1;
  }
}

/** xavier_uniform_: U(-g*sqrt(6/(fan_in+fan_out)), +...). */
export function xavierUniform_(t: Tensor, rng: Rng, g = 1): void {
  const { fanIn, fanOut } = fans(t.shape);
  const bound = g * Math.sqrt(6 / (fanIn + fanOut));
  uniform_(t, rng, -bound, bound);
}

/** xavier_normal_: N(0, g*sqrt(2/(fan_in+fan_out))). */
export function xavierNormal_(t: Tensor, rng: Rng, g = 1): void {
  const { fanIn, fanOut } = fans(t.shape);
  normal_(t, rng, 0, g * Math.sqrt(2 / (fanIn + fanOut)));
}

/** kaiming_uniform_(a, mode, nonlinearity): bound = gain * sqrt(3 / fan). */
export function kaimingUniform_(t: Tensor, rng: Rng, opts: { a?: number; mode?: FanMode; nonlinearity?: Nonlinearity } = {}): void {
  const { fanIn, fanOut } = fans(t.shape);
  const fan = (opts.mode ?? 'fan_in') === 'fan_in' ? fanIn : fanOut;
  const bound = gain(opts.nonlinearity ?? 'leaky_relu', opts.a ?? 0) * Math.sqrt(3 / fan);
  uniform_(t, rng, -bound, bound);
}

/** kaiming_normal_(a, mode, nonlinearity): std = gain / sqrt(fan). */
export function kaimingNormal_(t: Tensor, rng: Rng, opts: { a?: number; mode?: FanMode; nonlinearity?: Nonlinearity } = {}): void {
  const { fanIn, fanOut } = fans(t.shape);
  const fan = (opts.mode ?? 'fan_in') === 'fan_in' ? fanIn : fanOut;
  normal_(t, rng, 0, gain(opts.nonlinearity ?? 'leaky_relu', opts.a ?? 0) / Math.sqrt(fan));
}

/** timm lecun_normal_: truncated normal with std sqrt(1/fan_in) (variance-corrected for truncation at 2 sigma). */
export function lecunNormal_(t: Tensor, rng: Rng): void {
  const { fanIn } = fans(t.shape);
  // timm divides by the std of a unit normal truncated to [-2, 2] (0.87962566103423978).
  const std = Math.sqrt(1 / fanIn) / 0.8796256610342398;
  truncNormal_(t, rng, std);
}

/**
 * PyTorch's default Linear/Conv init: weight kaiming_uniform(a=sqrt(5)) = U(±1/sqrt(fan_in)),
 * bias U(±1/sqrt(fan_in)).
 */
export function torchDefault_(weight: Tensor, bias: Tensor | null, rng: Rng): void {
  kaimingUniform_(weight, rng, { a: Math.sqrt(5) });
  if (bias) {
    const { fanIn } = fans(weight.shape);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform_(bias, rng, -bound, bound);
  }
}

export { Rng };
