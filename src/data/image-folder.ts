// Image-folder datasets: root/<class>/*.png|jpg|jpeg, optionally under root/train and root/test (or val).
// Images are decoded with pngjs / jpeg-js (pure JS), brought to one fixed size, and stored as uint8 NCHW.
import { DataError } from '../errors.js';

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { Rng } from './rng.js';
import { LUMA, Resizer, computeStats, padCrop, resolveSize, type FitMode } from './transforms.js';
import type { Dataset, DatasetSplit, LabelArray } from './types.js';

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

export interface ImageFolderOptions {
  /** Stored size [height, width] (or square); default: the size of the first image (first class, first file). */
  size?: number | readonly [number, number];
  /** 'resize' (bilinear, antialiased when shrinking; default) or 'pad' (center zero-pad / center-crop). */
  fit?: FitMode;
  /** 'gray' (BT.601 luma), 'rgb', or 'auto' (default): gray when every image has R = G = B. */
  color?: 'gray' | 'rgb' | 'auto';
  /** Test fraction per class when the folder has no train/ + test/ (or val/) split. Default 0.2. */
  testFraction?: number;
  /** Seed of that split. Default 0. */
  seed?: number;
}

/** A decoded image, RGBA 8-bit. */
export interface DecodedImage {
  width: number;
  height: number;
  rgba: Uint8Array;
}

/** Decode a PNG or JPEG file (by content, not extension) to RGBA. */
export function decodeImage(path: string): DecodedImage {
  const bytes = readFileSync(path);
  try {
    if (bytes.length >= 8 && bytes[0] === 0x89 && bytes.toString('latin1', 1, 4) === 'PNG') {
      // pngjs expands every color type and bit depth to 8-bit RGBA.
      const png = pngjs.PNG.sync.read(bytes);
      return { width: png.width, height: png.height, rgba: png.data };
    }
    if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
      return { width: img.width, height: img.height, rgba: img.data };
    }
  } catch (e) {
    throw new DataError(`${path}: cannot decode image (${(e as Error).message})`);
  }
  throw new DataError(`${path}: not a PNG or JPEG file`);
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Code-unit order, so the class order does not depend on the machine's locale. */
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Class subfolders of `dir` (hidden ones skipped), sorted by name. */
function classDirs(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => !name.startsWith('.') && isDir(join(dir, name)))
    .sort(byName);
}

function imageFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => !name.startsWith('.') && IMAGE_EXTENSIONS.has(extname(name).toLowerCase()))
    .sort(byName)
    .map((name) => join(dir, name));
}

interface Entry {
  path: string;
  label: number;
}

function listEntries(dir: string, classNames: readonly string[]): Entry[] {
  const entries: Entry[] = [];
  classNames.forEach((name, label) => {
    const sub = join(dir, name);
    if (!isDir(sub)) return;
    for (const path of imageFiles(sub)) entries.push({ path, label });
  });
  return entries;
}

/** Seeded stratified split: per class, round(count * testFraction) files go to test (>= 1 each side when possible). */
export function stratifiedSplit(labels: ArrayLike<number>, testFraction: number, seed: number): { train: Int32Array; test: Int32Array } {
  if (!(testFraction >= 0 && testFraction < 1)) throw new Error(`testFraction must be in [0, 1), got ${testFraction}`);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (!byClass.has(l)) byClass.set(l, []);
    byClass.get(l)!.push(i);
  }
  const train: number[] = [];
  const test: number[] = [];
  for (const [label, members] of [...byClass].sort((a, b) => a[0] - b[0])) {
    let k = Math.round(members.length * testFraction);
    if (testFraction > 0 && members.length >= 2) k = Math.min(Math.max(k, 1), members.length - 1);
    new Rng(seed, 0x5b117, label).shuffle(members);
    members.forEach((m, i) => (i < k ? test : train).push(m));
  }
  const sorted = (a: number[]) => Int32Array.from(a).sort();
  return { train: sorted(train), test: sorted(test) };
}

/** Decodes entries into one uint8 NCHW array at a fixed size, as RGB planes first. */
class Converter {
  private resizer: Resizer | null = null;
  private rgb = new Uint8Array(0);
  private readonly resized: Float32Array;
  private readonly padded: Uint8Array;
  allGray = true;

  constructor(
    readonly height: number,
    readonly width: number,
    readonly fit: FitMode,
  ) {
    this.resized = new Float32Array(3 * height * width);
    this.padded = new Uint8Array(3 * height * width);
  }

  /** Decode `path` and write 3 planes of height x width into `out` at `offset`. */
  convert(path: string, out: Uint8Array, offset: number): void {
    const { width: w, height: h, rgba } = decodeImage(path);
    const plane = w * h;
    if (this.rgb.length < 3 * plane) this.rgb = new Uint8Array(3 * plane);
    const rgb = this.rgb;
    for (let p = 0; p < plane; p++) {
      const a = rgba[4 * p + 3]!;
      // Transparent pixels are composited over black.
      const r = a === 255 ? rgba[4 * p]! : Math.round((rgba[4 * p]! * a) / 255);
      const g = a === 255 ? rgba[4 * p + 1]! : Math.round((rgba[4 * p + 1]! * a) / 255);
      const b = a === 255 ? rgba[4 * p + 2]! : Math.round((rgba[4 * p + 2]! * a) / 255);
      if (r !== g || g !== b) this.allGray = false;
      rgb[p] = r;
      rgb[plane + p] = g;
      rgb[2 * plane + p] = b;
    }
    const H = this.height;
    const W = this.width;
    const src = rgb.subarray(0, 3 * plane);
    if (h === H && w === W) {
      out.set(src, offset);
    } else if (this.fit === 'pad') {
      padCrop(src, 3, h, w, H, W, this.padded);
      out.set(this.padded, offset);
    } else {
      const r = this.resizer;
      const resizer = r && r.inHeight === h && r.inWidth === w ? r : (this.resizer = new Resizer(3, h, w, H, W));
      resizer.resize(src, 0, this.resized);
      for (let i = 0; i < 3 * H * W; i++) out[offset + i] = Math.min(255, Math.max(0, Math.round(this.resized[i]!)));
    }
  }
}

function makeSplit(rgbImages: Uint8Array, labels: LabelArray, n: number, H: number, W: number, gray: boolean, classes: number): DatasetSplit {
  if (!gray) return { images: rgbImages, labels, n, height: H, width: W, channels: 3, classes };
  const plane = H * W;
  const images = new Uint8Array(n * plane);
  for (let i = 0; i < n; i++) {
    const base = i * 3 * plane;
    for (let p = 0; p < plane; p++) {
      images[i * plane + p] = Math.round(
        LUMA[0] * rgbImages[base + p]! + LUMA[1] * rgbImages[base + plane + p]! + LUMA[2] * rgbImages[base + 2 * plane + p]!,
      );
    }
  }
  return { images, labels, n, height: H, width: W, channels: 1, classes };
}

/**
 * Decode image files into one split stored the way an image-folder dataset stores its images: height x width
 * (fitted by `fit`), gray (BT.601 luma) for 1 channel or RGB for 3; labels are 0. For predictions on files.
 */
export function loadImages(paths: readonly string[], height: number, width: number, channels: 1 | 3, fit: FitMode = 'resize'): DatasetSplit {
  const conv = new Converter(height, width, fit);
  const rgb = new Uint8Array(paths.length * 3 * height * width);
  paths.forEach((p, i) => conv.convert(p, rgb, i * 3 * height * width));
  return makeSplit(rgb, new Uint8Array(paths.length), paths.length, height, width, channels === 1, 1);
}

/** Every PNG and JPEG file under `dir`, sorted by name, a folder's own files before its subfolders' (hidden entries skipped). */
export function listImageFiles(dir: string): string[] {
  if (!isDir(dir)) throw new DataError(`${dir}: not a folder`);
  const sub = readdirSync(dir).filter((name) => !name.startsWith('.')).sort(byName).map((name) => join(dir, name)).filter(isDir);
  return [...imageFiles(dir), ...sub.flatMap(listImageFiles)];
}

/** Load an image folder as a dataset (see ImageFolderOptions for split, size and color rules). */
export function loadImageFolder(root: string, opts: ImageFolderOptions = {}): Dataset {
  if (!isDir(root)) throw new DataError(`${root}: image folder does not exist`);
  const trainDir = join(root, 'train');
  const testDirName = ['test', 'val'].find((d) => isDir(join(root, d)));
  const hasTrain = isDir(trainDir);
  const classRoot = hasTrain ? trainDir : root;
  const classNames = classDirs(classRoot);
  if (classNames.length === 0) throw new DataError(`${classRoot}: no class subfolders (expected <class>/*.png|jpg|jpeg)`);

  const trainEntries = listEntries(classRoot, classNames);
  const seen = new Set(trainEntries.map((e) => e.label));
  const empty = classNames.filter((_, label) => !seen.has(label));
  if (empty.length && trainEntries.length) throw new DataError(`${classRoot}: class folder${empty.length > 1 ? 's' : ''} ${empty.join(', ')} hold${empty.length > 1 ? '' : 's'} no images (png, jpg, jpeg); remove ${empty.length > 1 ? 'them' : 'it'} or add images`);
  let testEntries: Entry[];
  let trainSel: Entry[];
  if (hasTrain && testDirName) {
    const testDir = join(root, testDirName);
    const unknown = classDirs(testDir).filter((c) => !classNames.includes(c));
    if (unknown.length) throw new DataError(`${testDir}: classes ${unknown.join(', ')} are not in ${trainDir}`);
    testEntries = listEntries(testDir, classNames);
    trainSel = trainEntries;
  } else {
    const { train, test } = stratifiedSplit(trainEntries.map((e) => e.label), opts.testFraction ?? 0.2, opts.seed ?? 0);
    trainSel = Array.from(train, (i) => trainEntries[i]!);
    testEntries = Array.from(test, (i) => trainEntries[i]!);
  }
  if (trainSel.length === 0) throw new DataError(`${classRoot}: no images found (png, jpg, jpeg)`);
  if (testEntries.length === 0 && (hasTrain && testDirName ? true : (opts.testFraction ?? 0.2) > 0)) {
    throw new DataError(hasTrain && testDirName ? `${join(root, testDirName)}: no test images found (png, jpg, jpeg)`
      : `${classRoot}: too few images to hold some out for testing (a class needs 3 or more), or give ${root}/train and ${root}/test folders`);
  }

  const first = decodeImage(trainSel[0]!.path);
  const [H, W] = resolveSize(opts.size, first.height, first.width);
  const fit = opts.fit ?? 'resize';
  const conv = new Converter(H, W, fit);
  const classes = classNames.length;
  const decodeAll = (entries: Entry[]) => {
    const images = new Uint8Array(entries.length * 3 * H * W);
    const labels: LabelArray = classes <= 256 ? new Uint8Array(entries.length) : new Uint16Array(entries.length);
    entries.forEach((e, i) => {
      conv.convert(e.path, images, i * 3 * H * W);
      labels[i] = e.label;
    });
    return { images, labels };
  };
  const tr = decodeAll(trainSel);
  const te = decodeAll(testEntries);
  const color = opts.color ?? 'auto';
  const gray = color === 'gray' || (color === 'auto' && conv.allGray);
  const train = makeSplit(tr.images, tr.labels, trainSel.length, H, W, gray, classes);
  const test = makeSplit(te.images, te.labels, testEntries.length, H, W, gray, classes);
  return {
    name: 'image-folder',
    source: root,
    train,
    test,
    classNames,
    classes,
    height: H,
    width: W,
    channels: train.channels,
    stats: computeStats(train),
  };
}
