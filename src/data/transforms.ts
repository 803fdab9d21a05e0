// Preprocessing: uint8 images to normalized float32 NCHW at the model's input size and channel count.
// Geometry (fit to size, random crop offsets, flips) is folded into one pass per image where possible.

import type { ChannelStats, DatasetSplit } from './types.js';

/** ITU-R BT.601 luma weights, used whenever RGB must become one channel. */
export const LUMA = [0.299, 0.587, 0.114] as const;

/** How a stored image is brought to the model's size. */
export type FitMode = 'pad' | 'resize';

/** Per-image preprocessing. Augmentation parameters are drawn by the loader (see augment.ts). */
export interface TransformSpec {
  /** Output [height, width] (or one number for square); default: the split's size. */
  size?: number | readonly [number, number];
  /**
   * 'pad': center zero-pad (or center-crop when larger), e.g. 28 -> 32 adds 2 black pixels per side;
   * 'resize': bilinear resize (antialiased when shrinking). Default 'pad'.
   */
  fit?: FitMode;
  /** Output channels: 1 -> 3 replicates gray, 3 -> 1 takes luma. Default: the split's. */
  channels?: number;
  /**
   * Normalization (x - mean) / std on values in [0, 1], per output channel (length 1 is broadcast).
   * Default: none, values stay in [0, 1]. Padding is black (0) before normalization, as in torchvision.
   */
  mean?: readonly number[];
  std?: readonly number[];
  /** Random crop after zero-padding this many pixels per side (0 = off). */
  cropPad?: number;
  /** Random horizontal flip with probability 0.5. */
  flip?: boolean;
}

/** Resolved output geometry of a spec applied to a split. */
export interface OutputShape {
  readonly channels: number;
  readonly height: number;
  readonly width: number;
}

export function resolveSize(size: TransformSpec['size'], h: number, w: number): [number, number] {
  if (size === undefined) return [h, w];
  const [oh, ow] = typeof size === 'number' ? [size, size] : size;
  if (!(Number.isInteger(oh) && Number.isInteger(ow) && oh > 0 && ow > 0)) throw new Error(`bad image size ${String(size)}`);
  return [oh, ow];
}

export function outputShape(split: Pick<DatasetSplit, 'channels' | 'height' | 'width'>, spec: TransformSpec = {}): OutputShape {
  const [height, width] = resolveSize(spec.size, split.height, split.width);
  const channels = spec.channels ?? split.channels;
  checkChannels(split.channels, channels);
  return { channels, height, width };
}

function checkChannels(cin: number, cout: number): void {
  if (cin === cout || (cin === 1 && cout === 3) || (cin === 3 && cout === 1)) return;
  throw new Error(`cannot convert ${cin}-channel images to ${cout} channels`);
}

/** Per-channel mean and (population) std of a split's pixels scaled to [0, 1], exact via a histogram. */
export function computeStats(split: Pick<DatasetSplit, 'images' | 'n' | 'channels' | 'height' | 'width'>): ChannelStats {
  const { images, n, channels, height, width } = split;
  const plane = height * width;
  const mean: number[] = [];
  const std: number[] = [];
  for (let c = 0; c < channels; c++) {
    const hist = new Float64Array(256);
    for (let i = 0; i < n; i++) {
      const base = (i * channels + c) * plane;
      for (let p = 0; p < plane; p++) hist[images[base + p]!]++;
    }
    let count = 0;
    let s = 0;
    let s2 = 0;
    for (let v = 0; v < 256; v++) {
      count += hist[v]!;
      s += hist[v]! * v;
      s2 += hist[v]! * v * v;
    }
    const m = count ? s / count : 0;
    const variance = count ? Math.max(0, s2 / count - m * m) : 0;
    mean.push(m / 255);
    // Images without variation in a channel (all black): leave that channel unscaled rather than divide by 0.
    std.push(variance > 0 ? Math.sqrt(variance) / 255 : 1);
  }
  return { mean, std };
}

/** Replicate/average statistics to `channels` entries (1-channel stats for a 3-channel model, and back). */
export function statsFor(stats: ChannelStats, channels: number): ChannelStats {
  if (stats.mean.length === channels) return stats;
  if (stats.mean.length === 1) return { mean: Array(channels).fill(stats.mean[0]), std: Array(channels).fill(stats.std[0]) };
  if (stats.mean.length === 3 && channels === 1) {
    // Luma of the channel means; the std is approximated by the luma-weighted std (exact only for equal channels).
    const mix = (v: readonly number[]) => LUMA[0] * v[0]! + LUMA[1] * v[1]! + LUMA[2] * v[2]!;
    return { mean: [mix(stats.mean)], std: [mix(stats.std)] };
  }
  throw new Error(`cannot map ${stats.mean.length}-channel statistics to ${channels} channels`);
}

/** Filter taps for resampling one axis: output i reads `count[i]` inputs from `start[i]` with `weights`. */
interface AxisTaps {
  start: Int32Array;
  count: Int32Array;
  weights: Float32Array;
  maxTaps: number;
}

/**
 * Bilinear (triangle-filter) taps with half-pixel centers. When shrinking, the filter widens by the scale
 * factor so every input pixel contributes (antialiasing, as PIL's BILINEAR); when enlarging it is plain
 * bilinear interpolation with edge clamping.
 */
function axisTaps(inSize: number, outSize: number): AxisTaps {
  const scale = inSize / outSize;
  const support = Math.max(1, scale);
  const maxTaps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * maxTaps);
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    const lo = Math.max(0, Math.floor(center - support + 0.5));
    const hi = Math.min(inSize, Math.floor(center + support + 0.5));
    let total = 0;
    for (let j = lo; j < hi; j++) {
      const w = Math.max(0, 1 - Math.abs((j + 0.5 - center) / support));
      weights[i * maxTaps + (j - lo)] = w;
      total += w;
    }
    for (let j = lo; j < hi; j++) weights[i * maxTaps + (j - lo)]! /= total || 1;
    start[i] = lo;
    count[i] = hi - lo;
  }
  return { start, count, weights, maxTaps };
}

/** A reusable bilinear resizer for one (in, out) geometry. */
export class Resizer {
  private readonly ty: AxisTaps;
  private readonly tx: AxisTaps;
  private readonly tmp: Float32Array;

  constructor(
    readonly channels: number,
    readonly inHeight: number,
    readonly inWidth: number,
    readonly outHeight: number,
    readonly outWidth: number,
  ) {
    this.ty = axisTaps(inHeight, outHeight);
    this.tx = axisTaps(inWidth, outWidth);
    this.tmp = new Float32Array(inHeight * outWidth);
  }

  /**
   * Resize planar `src` (channels*inH*inW, values times `scale`) into `dst` at `dstOffset`.
   * Works for uint8 or float input; output is float.
   */
  resize(src: ArrayLike<number>, srcOffset: number, dst: Float32Array, dstOffset = 0, scale = 1): Float32Array {
    const { channels, inHeight: h, inWidth: w, outHeight: oh, outWidth: ow, tx, ty, tmp } = this;
    for (let c = 0; c < channels; c++) {
      const sbase = srcOffset + c * h * w;
      // Horizontal pass into tmp (h x ow).
      for (let y = 0; y < h; y++) {
        const row = sbase + y * w;
        for (let x = 0; x < ow; x++) {
          const s0 = tx.start[x]!;
          const n = tx.count[x]!;
          const wb = x * tx.maxTaps;
          let acc = 0;
          for (let k = 0; k < n; k++) acc += tx.weights[wb + k]! * src[row + s0 + k]!;
          tmp[y * ow + x] = acc * scale;
        }
      }
      // Vertical pass into dst.
      const dbase = dstOffset + c * oh * ow;
      for (let y = 0; y < oh; y++) {
        const s0 = ty.start[y]!;
        const n = ty.count[y]!;
        const wb = y * ty.maxTaps;
        for (let x = 0; x < ow; x++) {
          let acc = 0;
          for (let k = 0; k < n; k++) acc += ty.weights[wb + k]! * tmp[(s0 + k) * ow + x]!;
          dst[dbase + y * ow + x] = acc;
        }
      }
    }
    return dst;
  }
}

/** Bilinear resize of a planar float image (one-off convenience; reuse a Resizer in loops). */
export function resizeBilinear(src: ArrayLike<number>, c: number, h: number, w: number, oh: number, ow: number): Float32Array {
  return new Resizer(c, h, w, oh, ow).resize(src, 0, new Float32Array(c * oh * ow));
}

/**
 * Center zero-pad or center-crop a planar image to oh x ow (each axis independently): the offset is
 * floor((out - in) / 2), so 28 -> 32 puts 2 zero rows above and below.
 */
export function padCrop<T extends Uint8Array | Float32Array>(src: T, c: number, h: number, w: number, oh: number, ow: number, dst: T): T {
  const oy = Math.floor((oh - h) / 2);
  const ox = Math.floor((ow - w) / 2);
  dst.fill(0, 0, c * oh * ow);
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < oh; y++) {
      const sy = y - oy;
      if (sy < 0 || sy >= h) continue;
      for (let x = 0; x < ow; x++) {
        const sx = x - ox;
        if (sx >= 0 && sx < w) dst[(ch * oh + y) * ow + x] = src[(ch * h + sy) * w + sx]!;
      }
    }
  }
  return dst;
}

/** Geometric augmentation of one sample: crop offsets in [0, 2*pad] and a flip flag. */
export interface SampleGeometry {
  dy: number;
  dx: number;
  flip: boolean;
}

export const NO_GEOMETRY: Readonly<SampleGeometry> = { dy: 0, dx: 0, flip: false };

/**
 * Compiled per-image preprocessing for one split geometry and spec. Not thread-safe (owns scratch buffers);
 * create one per loader.
 */
export class Preprocessor {
  readonly out: OutputShape;
  readonly cropPad: number;
  private readonly inC: number;
  private readonly inH: number;
  private readonly inW: number;
  private readonly mean: Float32Array;
  private readonly invStd: Float32Array;
  private readonly resizer: Resizer | null;
  /** Float scratch for luma conversion and/or resizing. */
  private readonly scratchIn: Float32Array | null;
  private readonly scratchOut: Float32Array | null;
  /** Offset of the stored image inside the output frame for 'pad' fitting. */
  private readonly fitY: number;
  private readonly fitX: number;

  constructor(split: Pick<DatasetSplit, 'channels' | 'height' | 'width'>, spec: TransformSpec = {}) {
    this.out = outputShape(split, spec);
    this.inC = split.channels;
    this.inH = split.height;
    this.inW = split.width;
    this.cropPad = spec.cropPad ?? 0;
    if (!(Number.isInteger(this.cropPad) && this.cropPad >= 0)) throw new Error(`cropPad must be a non-negative integer, got ${spec.cropPad}`);
    const C = this.out.channels;
    const stat = (v: readonly number[] | undefined, def: number, what: string) => {
      const a = v ?? [def];
      if (a.length !== 1 && a.length !== C) throw new Error(`${what} has ${a.length} entries for ${C} channels`);
      return Float32Array.from({ length: C }, (_, i) => a[a.length === 1 ? 0 : i]!);
    };
    this.mean = stat(spec.mean, 0, 'mean');
    this.invStd = stat(spec.std, 1, 'std').map((s) => {
      if (!(s > 0)) throw new Error(`std must be positive, got ${s}`);
      return 1 / s;
    });
    const toLuma = this.inC === 3 && C === 1;
    const workC = toLuma ? 1 : this.inC;
    const fit = spec.fit ?? 'pad';
    if (fit !== 'pad' && fit !== 'resize') throw new Error(`unknown fit mode ${String(fit)}`);
    const sameSize = this.inH === this.out.height && this.inW === this.out.width;
    this.resizer = fit === 'resize' && !sameSize ? new Resizer(workC, this.inH, this.inW, this.out.height, this.out.width) : null;
    this.scratchIn = toLuma ? new Float32Array(this.inH * this.inW) : null;
    this.scratchOut = this.resizer ? new Float32Array(workC * this.out.height * this.out.width) : null;
    this.fitY = this.resizer ? 0 : Math.floor((this.out.height - this.inH) / 2);
    this.fitX = this.resizer ? 0 : Math.floor((this.out.width - this.inW) / 2);
  }

  /**
   * Write image `index` of `images` (uint8 NCHW with the split's geometry) into `dst` at `dstOffset`
   * as normalized float C x H x W, applying crop offsets (dy, dx in [0, 2*cropPad]) and flip.
   */
  apply(images: Uint8Array, index: number, dst: Float32Array, dstOffset: number, g: Readonly<SampleGeometry> = NO_GEOMETRY): void {
    const { inC, inH, inW } = this;
    const { channels: C, height: H, width: W } = this.out;
    let src: ArrayLike<number> = images;
    let srcOff = index * inC * inH * inW;
    let scale = 1 / 255;
    let srcC = inC;
    let srcH = inH;
    let srcW = inW;
    if (this.scratchIn) {
      // RGB -> luma at the stored size (cheaper before resizing).
      const plane = inH * inW;
      const s = this.scratchIn;
      for (let p = 0; p < plane; p++) {
        s[p] = (LUMA[0] * images[srcOff + p]! + LUMA[1] * images[srcOff + plane + p]! + LUMA[2] * images[srcOff + 2 * plane + p]!) / 255;
      }
      src = s;
      srcOff = 0;
      scale = 1;
      srcC = 1;
    }
    if (this.resizer && this.scratchOut) {
      this.resizer.resize(src, srcOff, this.scratchOut, 0, scale);
      src = this.scratchOut;
      srcOff = 0;
      scale = 1;
      srcH = H;
      srcW = W;
    }
    // Output pixel (y, x) reads source (y + offY, x' + offX) where x' is x or its mirror; outside is black.
    const p = this.cropPad;
    const offY = g.dy - p - this.fitY;
    const offX = g.dx - p - this.fitX;
    const plane = srcH * srcW;
    for (let c = 0; c < C; c++) {
      const m = this.mean[c]!;
      const is = this.invStd[c]!;
      const black = -m * is;
      const base = srcOff + (srcC === 1 ? 0 : c) * plane;
      let o = dstOffset + c * H * W;
      for (let y = 0; y < H; y++) {
        const sy = y + offY;
        if (sy < 0 || sy >= srcH) {
          dst.fill(black, o, o + W);
          o += W;
          continue;
        }
        const row = base + sy * srcW;
        if (g.flip) {
          for (let x = 0; x < W; x++, o++) {
            const sx = W - 1 - x + offX;
            dst[o] = sx >= 0 && sx < srcW ? (src[row + sx]! * scale - m) * is : black;
          }
        } else {
          for (let x = 0; x < W; x++, o++) {
            const sx = x + offX;
            dst[o] = sx >= 0 && sx < srcW ? (src[row + sx]! * scale - m) * is : black;
          }
        }
      }
    }
  }
}

/** Convert a whole split (or the listed images) to float32 NCHW in one array, without augmentation. */
export function toFloatNCHW(split: DatasetSplit, spec: TransformSpec = {}, indices?: ArrayLike<number>): { x: Float32Array; shape: [number, number, number, number] } {
  const pre = new Preprocessor(split, { ...spec, cropPad: 0, flip: false });
  const n = indices ? indices.length : split.n;
  const { channels: C, height: H, width: W } = pre.out;
  const x = new Float32Array(n * C * H * W);
  for (let i = 0; i < n; i++) pre.apply(split.images, indices ? indices[i]! : i, x, i * C * H * W);
  return { x, shape: [n, C, H, W] };
}
