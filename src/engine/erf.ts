// erf / erfc for GELU (PyTorch's default GELU is the exact x * Phi(x), not the tanh approximation).
// erfc uses the Chebyshev-fitted form from Numerical Recipes (fractional error < 1.2e-7 everywhere,
// i.e. float32 level, one exp per call); erf near 0 uses its Taylor series so small values keep full
// relative precision.

/** Complementary error function, fractional error < 1.2e-7. */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
    t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}

const TWO_OVER_SQRT_PI = 1.1283791670955126;

/** Error function: Taylor series for |x| < 0.5 (relative error ~1e-16), 1 - erfc(x) beyond. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 0.5) {
    // erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1)); terms shrink by x^2 <= 0.25 per step.
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 20; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return TWO_OVER_SQRT_PI * sum;
  }
  return 1 - erfc(x);
}

const INV_SQRT2 = 0.7071067811865476;
const INV_SQRT_2PI = 0.3989422804014327;

/** Standard normal CDF Phi(x). */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x * INV_SQRT2);
}

/** Standard normal density phi(x). */
export function normalPdf(x: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}
