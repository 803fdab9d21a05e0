// Reader for the IDX format of MNIST-style datasets, plain or gzipped.
// Layout: 2 zero bytes, a type byte (0x08 = unsigned byte), a dimension count, then big-endian uint32 sizes
// and the row-major data. Images are 0x00000803 (n, rows, cols); labels are 0x00000801 (n).
import { DataError } from '../errors.js';

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { DatasetSplit } from './types.js';

export const IDX_IMAGES_MAGIC = 0x00000803;
export const IDX_LABELS_MAGIC = 0x00000801;

/** A parsed unsigned-byte IDX array. `data` is a view into the file's bytes, not a copy. */
export interface IdxArray {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

/** Images from an IDX file, 1 channel. */
export interface IdxImages {
  readonly n: number;
  readonly height: number;
  readonly width: number;
  readonly pixels: Uint8Array;
}

/** Parse IDX bytes. `name` is used in error messages (usually the file path). */
export function parseIdx(bytes: Uint8Array, name: string, expectedMagic?: number): IdxArray {
  if (bytes.length < 4) throw new DataError(`${name}: not an IDX file (only ${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const hex = (m: number) => '0x' + m.toString(16).padStart(8, '0');
  if (expectedMagic !== undefined && magic !== expectedMagic) {
    throw new DataError(`${name}: bad IDX magic ${hex(magic)}, expected ${hex(expectedMagic)}`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) throw new DataError(`${name}: bad IDX magic ${hex(magic)}`);
  if (bytes[2] !== 0x08) {
    throw new DataError(`${name}: IDX element type 0x${bytes[2]!.toString(16)} is not supported (only unsigned byte, 0x08)`);
  }
  const ndim = bytes[3]!;
  if (ndim === 0) throw new DataError(`${name}: IDX file declares 0 dimensions`);
  const headerLen = 4 + 4 * ndim;
  if (bytes.length < headerLen) throw new DataError(`${name}: truncated IDX header (${bytes.length} of ${headerLen} bytes)`);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < ndim; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    count *= d;
  }
  const have = bytes.length - headerLen;
  if (have < count) {
    throw new DataError(`${name}: truncated IDX data: dims [${dims.join(', ')}] need ${count} bytes, file has ${have}`);
  }
  if (have > count) {
    throw new DataError(`${name}: ${have - count} unexpected trailing bytes after IDX data of dims [${dims.join(', ')}]`);
  }
  return { dims, data: bytes.subarray(headerLen, headerLen + count) };
}

/** Read a file's bytes, gunzipping when it starts with the gzip signature (whatever its extension). */
export function readMaybeGzip(path: string): Uint8Array {
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (e) {
    throw new DataError(`${path}: cannot read (${(e as Error).message})`);
  }
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      return gunzipSync(raw);
    } catch (e) {
      throw new DataError(`${path}: corrupt or truncated gzip data (${(e as Error).message})`);
    }
  }
  return raw;
}

export function readIdxImages(path: string): IdxImages {
  const { dims, data } = parseIdx(readMaybeGzip(path), path, IDX_IMAGES_MAGIC);
  return { n: dims[0]!, height: dims[1]!, width: dims[2]!, pixels: data };
}

export function readIdxLabels(path: string): Uint8Array {
  return parseIdx(readMaybeGzip(path), path, IDX_LABELS_MAGIC).data;
}

/**
 * Read an images/labels pair into a split, checking that the counts agree and labels are below `classes`
 * (when given; otherwise classes = max label + 1).
 */
export function readIdxSplit(imagesPath: string, labelsPath: string, classes?: number): DatasetSplit {
  const img = readIdxImages(imagesPath);
  const labels = readIdxLabels(labelsPath);
  if (labels.length !== img.n) {
    throw new DataError(`IDX count mismatch: ${imagesPath} has ${img.n} images but ${labelsPath} has ${labels.length} labels`);
  }
  let max = -1;
  for (let i = 0; i < labels.length; i++) if (labels[i]! > max) max = labels[i]!;
  const k = classes ?? max + 1;
  if (max >= k) throw new DataError(`${labelsPath}: label ${max} out of range for ${k} classes`);
  return { images: img.pixels, labels, n: img.n, height: img.height, width: img.width, channels: 1, classes: k };
}

/** The standard MNIST file names, without the optional `.gz`. */
export const IDX_FILE_NAMES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

export type IdxFiles = { -readonly [K in keyof typeof IDX_FILE_NAMES]: string };

/**
 * Locate the four standard IDX files in a folder, each plain or `.gz` (also the common `.idx3-ubyte` spelling).
 * Returns null when any is missing, with the missing names in `missing`.
 */
export function findIdxFiles(dir: string, missing?: string[]): IdxFiles | null {
  const out: Partial<IdxFiles> = {};
  for (const key of Object.keys(IDX_FILE_NAMES) as (keyof IdxFiles)[]) {
    const base = IDX_FILE_NAMES[key];
    const dotted = base.replace(/-(idx\d-ubyte)$/, '.$1');
    const found = [base, base + '.gz', dotted, dotted + '.gz'].map((f) => join(dir, f)).find((p) => existsSync(p));
    if (found) out[key] = found;
    else missing?.push(base + '[.gz]');
  }
  return Object.keys(out).length === 4 ? (out as IdxFiles) : null;
}

/** Read train and test splits from a folder holding the four standard IDX files. */
export function readIdxFolder(dir: string, classes?: number): { train: DatasetSplit; test: DatasetSplit } {
  const missing: string[] = [];
  const files = findIdxFiles(dir, missing);
  if (!files) throw new DataError(`${dir}: missing IDX files ${missing.join(', ')}`);
  const train = readIdxSplit(files.trainImages, files.trainLabels, classes);
  const test = readIdxSplit(files.testImages, files.testLabels, classes);
  if (test.height !== train.height || test.width !== train.width) {
    throw new DataError(`${dir}: test images are ${test.height}x${test.width} but train images are ${train.height}x${train.width}`);
  }
  // Both splits share one class count so targets line up.
  const k = Math.max(train.classes, test.classes);
  return { train: { ...train, classes: k }, test: { ...test, classes: k } };
}
