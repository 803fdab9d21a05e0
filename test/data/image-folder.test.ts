import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, loadImageFolder, stratifiedSplit } from '../../src/data/image-folder.js';
import { datasetDefaults, loadDataset } from '../../src/data/index.js';
import { computeStats } from '../../src/data/transforms.js';

const root = mkdtempSync(join(tmpdir(), 'wsel-imgfolder-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Write a solid-color RGBA image as PNG (or JPEG, quality 100). */
function writeImage(path: string, w: number, h: number, rgb: [number, number, number], alpha = 255): void {
  const data = Buffer.alloc(w * h * 4);
  for (let p = 0; p < w * h; p++) data.set([...rgb, alpha], p * 4);
  mkdirSync(join(path, '..'), { recursive: true });
  if (path.endsWith('.png')) {
    const png = new pngjs.PNG({ width: w, height: h });
    data.copy(png.data);
    writeFileSync(path, pngjs.PNG.sync.write(png));
  } else {
    writeFileSync(path, jpeg.encode({ width: w, height: h, data }, 100).data);
  }
}

/** A PNG with a horizontal gray ramp, value = x * step. */
function writeRamp(path: string, w: number, h: number, step: number): void {
  const png = new pngjs.PNG({ width: w, height: h });
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) png.data.set([x * step, x * step, x * step, 255], (y * w + x) * 4);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, pngjs.PNG.sync.write(png));
}

describe('image folder', () => {
  const flat = join(root, 'flat');
  const split = join(root, 'split');
  beforeAll(() => {
    // Classes deliberately created out of order; 'zebra' JPEGs, 'apple' PNGs of another size.
    for (let i = 0; i < 5; i++) writeImage(join(flat, 'zebra', `z${i}.jpg`), 8, 6, [200, 40, 10]);
    for (let i = 0; i < 5; i++) writeImage(join(flat, 'apple', `a${i}.png`), 4, 3, [0, 100, 250]);
    writeImage(join(flat, 'mango', 'm0.JPEG'), 8, 6, [10, 220, 30]);
    writeImage(join(flat, 'mango', 'm1.png'), 8, 6, [10, 220, 30]);
    writeFileSync(join(flat, 'mango', 'notes.txt'), 'not an image');
    writeFileSync(join(flat, 'README'), 'top-level files are ignored');

    writeRamp(join(split, 'train', 'b', '0.png'), 8, 8, 30);
    writeRamp(join(split, 'train', 'b', '1.png'), 8, 8, 30);
    writeRamp(join(split, 'train', 'a', '0.png'), 8, 8, 10);
    writeRamp(join(split, 'val', 'a', '0.png'), 8, 8, 10);
  });

  it('decodes PNG and JPEG to RGBA', () => {
    const p = decodeImage(join(flat, 'apple', 'a0.png'));
    expect([p.width, p.height]).toEqual([4, 3]);
    expect(Array.from(p.rgba.subarray(0, 4))).toEqual([0, 100, 250, 255]);
    const j = decodeImage(join(flat, 'zebra', 'z0.jpg'));
    expect([j.width, j.height]).toEqual([8, 6]);
    expect(Math.abs(j.rgba[0]! - 200)).toBeLessThanOrEqual(3);
    writeFileSync(join(root, 'fake.png'), 'hello');
    expect(() => decodeImage(join(root, 'fake.png'))).toThrow(/fake\.png: not a PNG or JPEG/);
  });

  it('sorts classes, resizes to one size, and splits each class seeded', () => {
    const ds = loadImageFolder(flat, { size: 8, testFraction: 0.4, seed: 3 });
    expect(ds.classNames).toEqual(['apple', 'mango', 'zebra']);
    expect(ds.channels).toBe(3);
    expect([ds.height, ds.width]).toEqual([8, 8]);
    // Per class: apple 5 -> 2 test, mango 2 -> 1 test (at least one each side), zebra 5 -> 2 test.
    expect(ds.train.n + ds.test.n).toBe(12);
    const count = (l: ArrayLike<number>, c: number) => Array.from(l).filter((v) => v === c).length;
    expect([0, 1, 2].map((c) => count(ds.test.labels, c))).toEqual([2, 1, 2]);
    expect([0, 1, 2].map((c) => count(ds.train.labels, c))).toEqual([3, 1, 3]);
    // Solid colors survive the bilinear resize (4x3 -> 8x8) exactly, planar RGB.
    const i = Array.from(ds.train.labels).indexOf(0);
    const img = ds.train.images.subarray(i * 192, (i + 1) * 192);
    expect(new Set(img.subarray(0, 64))).toEqual(new Set([0]));
    expect(new Set(img.subarray(64, 128))).toEqual(new Set([100]));
    expect(new Set(img.subarray(128, 192))).toEqual(new Set([250]));
    // JPEG colors within codec error.
    const z = Array.from(ds.train.labels).indexOf(2);
    expect(Math.abs(ds.train.images[z * 192]! - 200)).toBeLessThanOrEqual(3);
    // Same seed, same split; train stats are computed.
    const again = loadImageFolder(flat, { size: 8, testFraction: 0.4, seed: 3 });
    expect(Buffer.from(again.test.images).equals(Buffer.from(ds.test.images))).toBe(true);
    expect(ds.stats.mean).toHaveLength(3);
  });

  it('converts to grayscale and pads/crops instead of resizing', () => {
    const ds = loadImageFolder(flat, { size: [6, 8], fit: 'pad', color: 'gray', testFraction: 0 });
    expect(ds.test.n).toBe(0);
    expect(ds.channels).toBe(1);
    const i = Array.from(ds.train.labels).indexOf(0); // apple, 4x3 centered in 8x6 with black borders
    const img = Array.from(ds.train.images.subarray(i * 48, (i + 1) * 48));
    const luma = Math.round(0.299 * 0 + 0.587 * 100 + 0.114 * 250);
    const rows = [0, 1, 2, 3, 4, 5].map((y) => img.slice(y * 8, y * 8 + 8));
    expect(rows[0]).toEqual(new Array(8).fill(0)); // oy = floor((6-3)/2) = 1
    expect(rows[1]).toEqual([0, 0, luma, luma, luma, luma, 0, 0]);
    expect(rows[3]).toEqual([0, 0, luma, luma, luma, luma, 0, 0]);
    expect(rows[4]).toEqual(new Array(8).fill(0));
  });

  it('uses train/ and val/ subfolders as the split and detects gray images', () => {
    const ds = loadDataset(split);
    expect(ds.name).toBe('image-folder');
    expect(ds.classNames).toEqual(['a', 'b']);
    expect([ds.train.n, ds.test.n]).toEqual([3, 1]);
    expect(ds.channels).toBe(1); // R = G = B everywhere
    expect(Array.from(ds.test.labels)).toEqual([0]);
    expect(Array.from(ds.test.images.subarray(0, 8))).toEqual([0, 10, 20, 30, 40, 50, 60, 70]);
    // Downscaling 8 -> 4 is antialiased: a triangle filter of radius 2 input pixels around centers 1, 3, 5, 7,
    // e.g. out[1] = (.25*10 + .75*20 + .75*30 + .25*40) / 2 = 25, and at the edge out[0] =
    // (.75*0 + .75*10 + .25*20) / 1.75 = 7.14 (taps outside the image are dropped and weights renormalized).
    const small = loadDataset(split, { size: 4 });
    expect(Array.from(small.test.images.subarray(0, 4))).toEqual([7, 25, 45, 63]);
    expect(datasetDefaults(ds).flip).toBe(true);
  });

  it('composites transparent pixels over black', () => {
    writeImage(join(root, 'alpha', 'a', '0.png'), 2, 2, [200, 200, 200], 128);
    const ds = loadImageFolder(join(root, 'alpha'), { testFraction: 0 });
    expect(ds.channels).toBe(1);
    expect(Array.from(ds.train.images)).toEqual([100, 100, 100, 100]); // round(200 * 128 / 255)
  });

  it('rejects an empty folder and unknown test classes', () => {
    mkdirSync(join(root, 'empty'));
    expect(() => loadImageFolder(join(root, 'empty'))).toThrow(/no class subfolders/);
    writeRamp(join(root, 'bad', 'train', 'a', '0.png'), 2, 2, 1);
    writeRamp(join(root, 'bad', 'test', 'q', '0.png'), 2, 2, 1);
    expect(() => loadImageFolder(join(root, 'bad'))).toThrow(/classes q are not in/);
    expect(() => loadDataset(join(root, 'missing'))).toThrow(/unknown dataset/);
    // A class folder without images would still get an output of the classifier.
    writeRamp(join(root, 'hollow', 'a', '0.png'), 2, 2, 1);
    mkdirSync(join(root, 'hollow', 'b'), { recursive: true });
    expect(() => loadImageFolder(join(root, 'hollow'))).toThrow(/class folder b holds no images/);
    // One image per class leaves nothing to test on.
    writeRamp(join(root, 'tiny', 'a', '0.png'), 2, 2, 1);
    writeRamp(join(root, 'tiny', 'b', '0.png'), 2, 2, 2);
    expect(() => loadImageFolder(join(root, 'tiny'))).toThrow(/too few images to hold some out for testing/);
    // Some IDX files but not all four: say which are missing rather than reading it as an image folder.
    mkdirSync(join(root, 'idx-part'));
    writeFileSync(join(root, 'idx-part', 'train-images-idx3-ubyte'), '');
    expect(() => loadDataset(join(root, 'idx-part'))).toThrow(/has IDX files but not train-labels-idx1-ubyte\[\.gz\], t10k-images/);
  });

  it('images without variation get mean/std statistics that do not divide by zero', () => {
    const black = { images: new Uint8Array(2 * 4), n: 2, channels: 1, height: 2, width: 2 };
    expect(computeStats(black)).toEqual({ mean: [0], std: [1] });
  });

  it('stratifiedSplit keeps at least one sample per side and is seeded', () => {
    const labels = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2];
    const a = stratifiedSplit(labels, 0.3, 1);
    expect(a.test.length).toBe(3 + 1 + 0); // class 2 has 1 sample: stays in train
    expect(Array.from(a.test).every((i, k, arr) => k === 0 || arr[k - 1]! < i)).toBe(true);
    expect(stratifiedSplit(labels, 0.3, 1)).toEqual(a);
    expect(Array.from(stratifiedSplit(labels, 0.3, 2).test)).not.toEqual(Array.from(a.test));
  });
});
