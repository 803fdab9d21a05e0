import { describe, expect, it } from 'vitest';
import { cropFlip } from '../../src/data/augment.js';
import { Preprocessor, Resizer, computeStats, outputShape, padCrop, statsFor, toFloatNCHW } from '../../src/data/transforms.js';
import type { DatasetSplit } from '../../src/data/types.js';

function split(n: number, c: number, h: number, w: number, f: (i: number) => number = (i) => (i * 37) % 256): DatasetSplit {
  return { images: Uint8Array.from({ length: n * c * h * w }, (_, i) => f(i)), labels: new Uint8Array(n), n, height: h, width: w, channels: c, classes: 1 };
}

/** Reference bilinear upsampling (half-pixel centers, clamp to edge), written independently. */
function bilinearRef(src: ArrayLike<number>, h: number, w: number, oh: number, ow: number): number[] {
  const out: number[] = [];
  const at = (y: number, x: number) => src[Math.min(h - 1, Math.max(0, y)) * w + Math.min(w - 1, Math.max(0, x))]!;
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const fy = (y + 0.5) * (h / oh) - 0.5;
      const fx = (x + 0.5) * (w / ow) - 0.5;
      const y0 = Math.floor(fy);
      const x0 = Math.floor(fx);
      const ty = fy - y0;
      const tx = fx - x0;
      out.push(
        (1 - ty) * ((1 - tx) * at(y0, x0) + tx * at(y0, x0 + 1)) + ty * ((1 - tx) * at(y0 + 1, x0) + tx * at(y0 + 1, x0 + 1)),
      );
    }
  }
  return out;
}

describe('preprocessing', () => {
  it('converts to float in [0, 1] NCHW at the native size by default', () => {
    const s = split(2, 1, 3, 3);
    const { x, shape } = toFloatNCHW(s);
    expect(shape).toEqual([2, 1, 3, 3]);
    expect(Array.from(x)).toEqual(Array.from(s.images, (v) => Math.fround(v / 255)));
  });

  it('pads 28 -> 32 with 2 black pixels per side and normalizes', () => {
    const s = split(1, 1, 28, 28, () => 255);
    const pre = new Preprocessor(s, { size: 32, mean: [0.5], std: [0.25] });
    const out = new Float32Array(32 * 32);
    pre.apply(s.images, 0, out, 0);
    expect(out[0]).toBeCloseTo(-2); // (0 - 0.5) / 0.25
    expect(out[2 * 32 + 1]).toBeCloseTo(-2);
    expect(out[2 * 32 + 2]).toBeCloseTo(2); // (1 - 0.5) / 0.25
    expect(out[29 * 32 + 29]).toBeCloseTo(2);
    expect(out[30 * 32 + 29]).toBeCloseTo(-2);
    let inside = 0;
    for (const v of out) if (v > 0) inside++;
    expect(inside).toBe(28 * 28);
  });

  it('center-crops when the target is smaller', () => {
    const s = split(1, 1, 4, 4, (i) => i);
    const dst = padCrop(s.images, 1, 4, 4, 2, 2, new Uint8Array(4));
    expect(Array.from(dst)).toEqual([5, 6, 9, 10]);
  });

  it('resizes 28 -> 32 bilinearly like a reference implementation', () => {
    const s = split(1, 1, 28, 28, (i) => (i * 53 + (i >> 3)) % 256);
    const pre = new Preprocessor(s, { size: 32, fit: 'resize' });
    const out = new Float32Array(32 * 32);
    pre.apply(s.images, 0, out, 0);
    const ref = bilinearRef(Array.from(s.images, (v) => v / 255), 28, 28, 32, 32);
    for (let i = 0; i < ref.length; i++) expect(out[i]).toBeCloseTo(ref[i]!, 5);
    // A constant image stays constant under downscaling too.
    const r = new Resizer(1, 10, 10, 3, 7).resize(new Float32Array(100).fill(4), 0, new Float32Array(21));
    for (const v of r) expect(v).toBeCloseTo(4, 5);
  });

  it('replicates gray to 3 channels, and takes luma from RGB', () => {
    const g = split(1, 1, 2, 2);
    const { x, shape } = toFloatNCHW(g, { channels: 3 });
    expect(shape).toEqual([1, 3, 2, 2]);
    expect(Array.from(x.subarray(0, 4))).toEqual(Array.from(x.subarray(4, 8)));
    expect(Array.from(x.subarray(0, 4))).toEqual(Array.from(x.subarray(8, 12)));
    const rgb = split(1, 3, 1, 1, (i) => [255, 0, 0][i]!);
    expect(toFloatNCHW(rgb, { channels: 1 }).x[0]).toBeCloseTo(0.299, 5);
    expect(() => outputShape(rgb, { channels: 2 })).toThrow(/cannot convert 3-channel images to 2 channels/);
  });

  it('normalizes per channel, broadcasting one-channel statistics', () => {
    const g = split(1, 1, 1, 2, (i) => [0, 255][i]!);
    const st = statsFor({ mean: [0.5], std: [0.5] }, 3);
    expect(st).toEqual({ mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
    const { x } = toFloatNCHW(g, { channels: 3, mean: [0.1, 0.2, 0.3], std: [1, 2, 4] });
    expect(Array.from(x).map((v) => +v.toFixed(5))).toEqual([-0.1, 0.9, -0.1, 0.4, -0.075, 0.175]);
    expect(() => new Preprocessor(g, { std: [0] })).toThrow(/std must be positive/);
  });

  it('computes exact per-channel stats', () => {
    const s = split(3, 2, 2, 2, (i) => (i * 29) % 256);
    const st = computeStats(s);
    for (let c = 0; c < 2; c++) {
      const vals: number[] = [];
      for (let n = 0; n < 3; n++) for (let p = 0; p < 4; p++) vals.push(s.images[(n * 2 + c) * 4 + p]! / 255);
      const m = vals.reduce((a, b) => a + b) / vals.length;
      const sd = Math.sqrt(vals.reduce((a, b) => a + (b - m) ** 2, 0) / vals.length);
      expect(st.mean[c]).toBeCloseTo(m, 12);
      expect(st.std[c]).toBeCloseTo(sd, 12);
    }
  });

  it('folds crop and flip into the same pass as cropFlip on the float image', () => {
    const s = split(1, 3, 6, 5);
    const plain = toFloatNCHW(s).x;
    const pre = new Preprocessor(s, { cropPad: 2, mean: [0.2], std: [0.5] });
    for (const g of [{ dy: 0, dx: 4, flip: false }, { dy: 3, dx: 1, flip: true }, { dy: 2, dx: 2, flip: true }]) {
      const out = new Float32Array(plain.length);
      pre.apply(s.images, 0, out, 0, g);
      const ref = cropFlip(plain, 3, 6, 5, 2, g);
      for (let i = 0; i < out.length; i++) expect(out[i]).toBeCloseTo((ref[i]! - 0.2) / 0.5, 5);
    }
  });
});
