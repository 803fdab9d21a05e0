// The real Fashion-MNIST files of Debian's dataset-fashion-mnist (CI installs it with apt).
// Expected values are published facts (6000/1000 images per class, first labels) or recomputed from the
// raw .gz files through zlib's streaming gunzip, a different code path from the loader's gunzipSync.
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { FASHION_MNIST_DEFAULT_DIR, FASHION_MNIST_STATS, loadFashionMnist } from '../../src/data/fashion-mnist.js';
import { loadDataset } from '../../src/data/index.js';
import { computeStats } from '../../src/data/transforms.js';
import type { Dataset } from '../../src/data/types.js';
import { available, FASHION_MNIST_DIR } from '../requirements.js';

async function gunzipStream(path: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of createReadStream(path).pipe(createGunzip())) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function sum(bytes: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < bytes.length; i++) s += bytes[i]!;
  return s;
}

it('looks for the files where the requirement check does', () => {
  expect(FASHION_MNIST_DEFAULT_DIR).toBe(FASHION_MNIST_DIR);
});

describe.skipIf(!available('fashion-mnist'))('Fashion-MNIST (Debian dataset-fashion-mnist)', () => {
  let ds: Dataset;
  beforeAll(() => {
    ds = loadFashionMnist();
  });

  it('has 60000/10000 images of 28x28, 10 classes, 6000/1000 per class', () => {
    expect(ds.train).toMatchObject({ n: 60000, height: 28, width: 28, channels: 1, classes: 10 });
    expect(ds.test).toMatchObject({ n: 10000, height: 28, width: 28, channels: 1, classes: 10 });
    const hist = (l: ArrayLike<number>) => {
      const h = new Array<number>(10).fill(0);
      for (let i = 0; i < l.length; i++) h[l[i]!]!++; // a label >= 10 would make h longer than 10
      return h;
    };
    expect(hist(ds.train.labels)).toEqual(new Array(10).fill(6000));
    expect(hist(ds.test.labels)).toEqual(new Array(10).fill(1000));
    expect(Array.from(ds.train.labels.subarray(0, 10))).toEqual([9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
    expect(ds.classNames[9]).toBe('Ankle boot');
  });

  it('matches the raw gzipped files', async () => {
    const img = await gunzipStream(join(FASHION_MNIST_DEFAULT_DIR, 'train-images-idx3-ubyte.gz'));
    const lab = await gunzipStream(join(FASHION_MNIST_DEFAULT_DIR, 't10k-labels-idx1-ubyte.gz'));
    expect([img.readUInt32BE(0), img.readUInt32BE(4), img.readUInt32BE(8), img.readUInt32BE(12)]).toEqual([0x803, 60000, 28, 28]);
    const pixels = img.subarray(16);
    for (let i = 0; i < 5; i++) {
      expect(sum(ds.train.images.subarray(i * 784, (i + 1) * 784))).toBe(sum(pixels.subarray(i * 784, (i + 1) * 784)));
    }
    expect(Buffer.from(ds.train.images).equals(pixels)).toBe(true);
    expect(Buffer.from(ds.test.labels).equals(lab.subarray(8))).toBe(true);
  });

  it('documents normalization stats that match the train split', () => {
    const s = computeStats(ds.train);
    expect(Math.abs(s.mean[0]! - FASHION_MNIST_STATS.mean[0]!)).toBeLessThan(5e-5);
    expect(Math.abs(s.std[0]! - FASHION_MNIST_STATS.std[0]!)).toBeLessThan(5e-5);
  });
});

it('says how to install it when the folder is missing', () => {
  const empty = mkdtempSync(join(tmpdir(), 'wsel-fmnist-'));
  try {
    expect(() => loadFashionMnist({ dir: join(empty, 'nowhere') })).toThrow(/apt-get install dataset-fashion-mnist/);
    writeFileSync(join(empty, 'train-images-idx3-ubyte.gz'), '');
    expect(() => loadDataset('fashion-mnist', { dir: empty })).toThrow(/missing train-labels-idx1-ubyte.*apt-get install dataset-fashion-mnist/);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});
