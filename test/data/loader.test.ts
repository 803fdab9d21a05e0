import { describe, expect, it } from 'vitest';
import { DataLoader } from '../../src/data/loader.js';
import { makeTransforms, datasetDefaults } from '../../src/data/index.js';
import { loadMnist, MNIST_STATS } from '../../src/data/mnist.js';
import { stratifiedSubset } from '../../src/data/subset.js';
import type { Dataset, DatasetSplit } from '../../src/data/types.js';

/** 10 images of 1x4x4 whose pixels all equal the image index, labels i % 3. */
const tiny: DatasetSplit = {
  images: Uint8Array.from({ length: 10 * 16 }, (_, i) => Math.floor(i / 16)),
  labels: Uint8Array.from({ length: 10 }, (_, i) => i % 3),
  n: 10, height: 4, width: 4, channels: 1, classes: 3,
};

/** Copies each batch as it comes (batches share the loader's buffers). */
function copyBatches(dl: DataLoader, epoch: number, from = 0) {
  const out = [];
  for (const b of dl.epoch(epoch, from)) {
    out.push({ x: Array.from(b.x), y: Array.from(b.y), idx: Array.from(b.indices), t: b.targets && Array.from(b.targets) });
  }
  return out;
}

describe('DataLoader', () => {
  it('batches in order without shuffling, with a short last batch unless dropLast', () => {
    const dl = new DataLoader(tiny, { batchSize: 4 });
    expect(dl.length).toBe(3);
    // Copy inside the loop: spreading the generator first would leave every batch viewing the last one's data.
    const bs: { shape: number[]; y: number[]; idx: number[]; x0: number }[] = [];
    for (const b of dl.epoch(0)) bs.push({ shape: b.shape, y: Array.from(b.y), idx: Array.from(b.indices), x0: b.x[0]! });
    expect(bs.map((b) => b.shape)).toEqual([[4, 1, 4, 4], [4, 1, 4, 4], [2, 1, 4, 4]]);
    expect(bs.flatMap((b) => b.idx)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(bs[2]!.y).toEqual([2, 0]);
    expect(bs[2]!.x0).toBeCloseTo(8 / 255, 6);
    expect(new DataLoader(tiny, { batchSize: 4, dropLast: true }).length).toBe(2);
  });

  it('shuffles differently per epoch, identically per (seed, epoch)', () => {
    const a = new DataLoader(tiny, { batchSize: 3, shuffle: true, seed: 1 });
    const b = new DataLoader(tiny, { batchSize: 3, shuffle: true, seed: 1 });
    const e0 = Array.from(a.order(0));
    const e1 = Array.from(a.order(1));
    expect([...e0].sort((p, q) => p - q)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(e0).not.toEqual(e1);
    expect(Array.from(b.order(1))).toEqual(e1);
    expect(Array.from(b.order(0))).toEqual(e0);
    expect(Array.from(new DataLoader(tiny, { batchSize: 3, shuffle: true, seed: 2 }).order(0))).not.toEqual(e0);
    // Labels and pixels follow their samples.
    for (const batch of a.epoch(3)) {
      batch.indices.forEach((s, i) => {
        expect(batch.y[i]).toBe(s % 3);
        expect(batch.x[i * 16]).toBeCloseTo(s / 255, 6);
      });
    }
  });

  it('reuses its output buffers across batches', () => {
    const dl = new DataLoader(tiny, { batchSize: 4 });
    const it = dl.epoch(0);
    const first = it.next().value!;
    const buffer = first.x.buffer;
    const y0 = first.y[0];
    const second = it.next().value!;
    expect(second.x.buffer).toBe(buffer);
    expect(first.y[0]).not.toBe(y0); // overwritten: a batch lives until the next one
  });

  it('resumes mid-epoch with the same order and augmentations', () => {
    const opts = { batchSize: 3, shuffle: true, seed: 5, transform: { cropPad: 1, flip: true, mixup: { mixupAlpha: 0.8, cutmixAlpha: 1 } } };
    const full = copyBatches(new DataLoader(tiny, opts), 2);
    expect(full).toHaveLength(4);
    expect(copyBatches(new DataLoader(tiny, opts), 2, 2)).toEqual(full.slice(2));
    // And whole epochs repeat per seed but change with it.
    expect(copyBatches(new DataLoader(tiny, opts), 2)).toEqual(full);
    expect(copyBatches(new DataLoader(tiny, { ...opts, seed: 6 }), 2)).not.toEqual(full);
  });

  it('iterates a subset given by indices', () => {
    const dl = new DataLoader(tiny, { batchSize: 10, indices: [7, 2, 9] });
    const [b] = [...dl.epoch(0)];
    expect(Array.from(b!.indices)).toEqual([7, 2, 9]);
    expect(dl.size).toBe(3);
    expect(() => new DataLoader(tiny, { batchSize: 2, indices: [10] })).toThrow(/out of range/);
  });

  it('feeds MNIST to a 3-channel 32x32 model with soft targets', () => {
    const mnist: Dataset = loadMnist();
    const tf = makeTransforms(mnist, { size: 32, channels: 3 }, { mixupAlpha: 0.8 });
    expect(tf.train).toMatchObject({ cropPad: 2, flip: false, fit: 'pad', channels: 3 });
    expect(tf.train.mean).toEqual([MNIST_STATS.mean[0], MNIST_STATS.mean[0], MNIST_STATS.mean[0]]);
    expect(tf.eval.mixup).toBeUndefined();
    expect(datasetDefaults('mnist')).toMatchObject({ flip: false, cropPad: 2 });

    const subset = stratifiedSubset(mnist.train.labels, 1000, 0);
    const dl = new DataLoader(mnist.train, { batchSize: 64, shuffle: true, seed: 0, transform: tf.train, indices: subset });
    const b = dl.batch(0, 0);
    expect(b.shape).toEqual([64, 3, 32, 32]);
    expect(b.x).toHaveLength(64 * 3 * 32 * 32);
    expect(b.targets).toHaveLength(64 * 10);
    for (let i = 0; i < 64; i++) expect(b.targets!.subarray(i * 10, i * 10 + 10).reduce((p, q) => p + q)).toBeCloseTo(1, 5);
    const ev = new DataLoader(mnist.test, { batchSize: 256, transform: tf.eval });
    const e = ev.batch(0, 0);
    expect(e.targets).toBeUndefined();
    // The 2-pixel border of an eval image is black after normalization: -mean/std.
    expect(e.x[0]).toBeCloseTo(-MNIST_STATS.mean[0]! / MNIST_STATS.std[0]!, 5);
    let seen = 0;
    for (const batch of new DataLoader(mnist.train, { batchSize: 256, shuffle: true, transform: tf.train }).epoch(0)) seen += batch.shape[0];
    expect(seen).toBe(60000);
  });
});
