// Seeded augmentations: random crop with zero padding, horizontal flip, and batch-level mixup / cutmix
// producing soft targets with the semantics of timm's Mixup (mode 'batch').

import type { Rng } from './rng.js';
import type { SampleGeometry } from './transforms.js';

/** Draw crop offsets in [0, 2*pad] and a fair flip (when enabled); fixed draw order keeps streams stable. */
export function drawGeometry(rng: Rng, pad: number, flip: boolean): SampleGeometry {
  const dy = pad > 0 ? rng.int(2 * pad + 1) : 0;
  const dx = pad > 0 ? rng.int(2 * pad + 1) : 0;
  const f = flip ? rng.float() < 0.5 : false;
  return { dy, dx, flip: f };
}

/**
 * Crop a C x H x W float image out of its zero-padded version (pad pixels per side) at offset (dy, dx),
 * then mirror horizontally if `flip`. Output has the input's shape: out(y, x) = in(y + dy - pad, x + dx - pad).
 */
export function cropFlip(src: Float32Array, c: number, h: number, w: number, pad: number, g: SampleGeometry, dst = new Float32Array(c * h * w)): Float32Array {
  if (dst === src) throw new Error('cropFlip cannot work in place');
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < h; y++) {
      const sy = y + g.dy - pad;
      const o = (ch * h + y) * w;
      if (sy < 0 || sy >= h) {
        dst.fill(0, o, o + w);
        continue;
      }
      for (let x = 0; x < w; x++) {
        const sx = (g.flip ? w - 1 - x : x) + g.dx - pad;
        dst[o + x] = sx >= 0 && sx < w ? src[(ch * h + sy) * w + sx]! : 0;
      }
    }
  }
  return dst;
}

/** Write label-smoothed one-hot rows: off = s/K, on = 1 - s + s/K (timm's convention). */
export function smoothOneHot(y: ArrayLike<number>, classes: number, smoothing: number, out = new Float32Array(y.length * classes)): Float32Array {
  const off = smoothing / classes;
  const on = 1 - smoothing + off;
  out.fill(off, 0, y.length * classes);
  for (let i = 0; i < y.length; i++) out[i * classes + y[i]!] = on;
  return out;
}

export interface MixupOptions {
  /** Beta(alpha, alpha) for mixup; 0 disables. */
  mixupAlpha?: number;
  /** Beta(alpha, alpha) for cutmix; 0 disables. */
  cutmixAlpha?: number;
  /** Probability of mixing a batch at all (else lam = 1). Default 1. */
  prob?: number;
  /** Probability of cutmix rather than mixup when both are enabled. Default 0.5. */
  switchProb?: number;
  /** Label smoothing of the one-hot targets. Default 0.1 (timm's default). */
  labelSmoothing?: number;
  /** Recompute the cutmix lambda from the clipped box area. Default true. */
  correctLam?: boolean;
}

/** What one call of Mixup.apply did. */
export interface MixInfo {
  /** Weight of each sample's own label (after cutmix area correction). */
  lam: number;
  cutmix: boolean;
  /** The pasted box [y0, y1) x [x0, x1) when cutmix. */
  box?: { y0: number; y1: number; x0: number; x1: number };
}

/**
 * Batch mixup/cutmix. One lambda per batch; sample i is mixed with sample n-1-i (the batch reversed).
 * targets = lam * smooth(onehot(y)) + (1 - lam) * smooth(onehot(reverse(y))).
 * Unlike timm, odd batch sizes are allowed: the middle sample is paired with itself and stays unmixed.
 */
export class Mixup {
  readonly mixupAlpha: number;
  readonly cutmixAlpha: number;
  readonly prob: number;
  readonly switchProb: number;
  readonly labelSmoothing: number;
  readonly correctLam: boolean;

  constructor(readonly classes: number, opts: MixupOptions = {}) {
    this.mixupAlpha = opts.mixupAlpha ?? 0;
    this.cutmixAlpha = opts.cutmixAlpha ?? 0;
    this.prob = opts.prob ?? 1;
    this.switchProb = opts.switchProb ?? 0.5;
    this.labelSmoothing = opts.labelSmoothing ?? 0.1;
    this.correctLam = opts.correctLam ?? true;
    for (const [k, v] of Object.entries({ mixupAlpha: this.mixupAlpha, cutmixAlpha: this.cutmixAlpha })) {
      if (!(v >= 0)) throw new Error(`${k} must be >= 0, got ${v}`);
    }
    for (const [k, v] of Object.entries({ prob: this.prob, switchProb: this.switchProb, labelSmoothing: this.labelSmoothing })) {
      if (!(v >= 0 && v <= 1)) throw new Error(`${k} must be in [0, 1], got ${v}`);
    }
  }

  get enabled(): boolean {
    return this.mixupAlpha > 0 || this.cutmixAlpha > 0;
  }

  /** Draw (lam, cutmix?) for a batch, in timm's order of random draws. */
  drawParams(rng: Rng): { lam: number; cutmix: boolean } {
    let lam = 1;
    let cutmix = false;
    if (this.enabled && rng.float() < this.prob) {
      if (this.mixupAlpha > 0 && this.cutmixAlpha > 0) {
        cutmix = rng.float() < this.switchProb;
        lam = cutmix ? rng.beta(this.cutmixAlpha, this.cutmixAlpha) : rng.beta(this.mixupAlpha, this.mixupAlpha);
      } else if (this.mixupAlpha > 0) {
        lam = rng.beta(this.mixupAlpha, this.mixupAlpha);
      } else {
        cutmix = true;
        lam = rng.beta(this.cutmixAlpha, this.cutmixAlpha);
      }
    }
    return { lam, cutmix };
  }

  /**
   * Mix `x` (NCHW, shape [n, c, h, w]) in place and write soft targets (n x classes) for labels `y`.
   */
  apply(x: Float32Array, shape: readonly [number, number, number, number], y: ArrayLike<number>, targets: Float32Array, rng: Rng): MixInfo {
    const [n, c, h, w] = shape;
    const drawn = this.drawParams(rng);
    let lam = drawn.lam;
    let box: MixInfo['box'];
    const img = c * h * w;
    if (lam !== 1) {
      if (drawn.cutmix) {
        // timm rand_bbox: box side = floor(side * sqrt(1 - lam)), center uniform over the image, clipped.
        const ratio = Math.sqrt(1 - lam);
        const cutH = Math.floor(h * ratio);
        const cutW = Math.floor(w * ratio);
        const cy = rng.int(h);
        const cx = rng.int(w);
        const clip = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
        box = {
          y0: clip(cy - Math.floor(cutH / 2), h),
          y1: clip(cy + Math.floor(cutH / 2), h),
          x0: clip(cx - Math.floor(cutW / 2), w),
          x1: clip(cx + Math.floor(cutW / 2), w),
        };
        if (this.correctLam) lam = 1 - ((box.y1 - box.y0) * (box.x1 - box.x0)) / (h * w);
        // Swapping the box between i and n-1-i equals pasting from the reversed original batch.
        for (let i = 0, j = n - 1; i < j; i++, j--) {
          for (let ch = 0; ch < c; ch++) {
            for (let yy = box.y0; yy < box.y1; yy++) {
              const row = ch * h * w + yy * w;
              for (let xx = box.x0; xx < box.x1; xx++) {
                const a = i * img + row + xx;
                const b = j * img + row + xx;
                const t = x[a]!;
                x[a] = x[b]!;
                x[b] = t;
              }
            }
          }
        }
      } else {
        const mu = 1 - lam;
        for (let i = 0, j = n - 1; i < j; i++, j--) {
          const ai = i * img;
          const bj = j * img;
          for (let k = 0; k < img; k++) {
            const a = x[ai + k]!;
            const b = x[bj + k]!;
            x[ai + k] = lam * a + mu * b;
            x[bj + k] = lam * b + mu * a;
          }
        }
      }
    }
    this.targets(y, n, lam, targets);
    return { lam, cutmix: drawn.cutmix, ...(box ? { box } : {}) };
  }

  /** Soft targets for a batch mixed with weight `lam`. */
  targets(y: ArrayLike<number>, n: number, lam: number, out: Float32Array): Float32Array {
    const K = this.classes;
    const off = this.labelSmoothing / K;
    const on = 1 - this.labelSmoothing + off;
    out.fill(off, 0, n * K);
    for (let i = 0; i < n; i++) {
      const a = y[i]!;
      const b = y[n - 1 - i]!;
      if (a >= K || b >= K || a < 0 || b < 0) throw new Error(`label out of range for ${K} classes`);
      out[i * K + a]! += lam * (on - off);
      out[i * K + b]! += (1 - lam) * (on - off);
    }
    return out;
  }
}
