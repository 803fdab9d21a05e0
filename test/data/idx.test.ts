import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { findIdxFiles, parseIdx, readIdxFolder, readIdxImages, readIdxLabels, readIdxSplit } from '../../src/data/idx.js';
import { loadDataset } from '../../src/data/index.js';

/** Build IDX bytes by hand: magic (type 0x08, ndim), big-endian dims, data. */
function idx(dims: number[], data: ArrayLike<number>): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = 0x08;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(Array.from(data))]);
}

const dir = mkdtempSync(join(tmpdir(), 'wsel-idx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('IDX reader', () => {
  const pixels = Array.from({ length: 3 * 2 * 4 }, (_, i) => i * 7);
  const images = idx([3, 2, 4], pixels);
  const labels = idx([3], [2, 0, 1]);

  it('parses images and labels, plain and gzipped', () => {
    writeFileSync(join(dir, 'img'), images);
    writeFileSync(join(dir, 'img.gz'), gzipSync(images));
    writeFileSync(join(dir, 'lab.gz'), gzipSync(labels));
    for (const f of ['img', 'img.gz']) {
      const r = readIdxImages(join(dir, f));
      expect([r.n, r.height, r.width]).toEqual([3, 2, 4]);
      expect(Array.from(r.pixels)).toEqual(pixels);
    }
    expect(Array.from(readIdxLabels(join(dir, 'lab.gz')))).toEqual([2, 0, 1]);
    const split = readIdxSplit(join(dir, 'img'), join(dir, 'lab.gz'));
    expect(split).toMatchObject({ n: 3, height: 2, width: 4, channels: 1, classes: 3 });
  });

  it('rejects a bad magic, naming the file', () => {
    const p = join(dir, 'bad-magic');
    const b = Buffer.from(images);
    b[0] = 0x12;
    writeFileSync(p, b);
    expect(() => readIdxImages(p)).toThrow(new RegExp(`${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: bad IDX magic 0x12000803`));
    // A labels file where images are expected.
    writeFileSync(join(dir, 'labels-as-images'), labels);
    expect(() => readIdxImages(join(dir, 'labels-as-images'))).toThrow(/labels-as-images: bad IDX magic 0x00000801, expected 0x00000803/);
  });

  it('rejects truncated data and headers, and trailing bytes', () => {
    const p = join(dir, 'trunc');
    writeFileSync(p, images.subarray(0, images.length - 5));
    expect(() => readIdxImages(p)).toThrow(/trunc: truncated IDX data: dims \[3, 2, 4\] need 24 bytes, file has 19/);
    writeFileSync(p, images.subarray(0, 10));
    expect(() => readIdxImages(p)).toThrow(/trunc: truncated IDX header/);
    writeFileSync(p, Buffer.concat([labels, Buffer.from([1, 2])]));
    expect(() => readIdxLabels(p)).toThrow(/trunc: 2 unexpected trailing bytes/);
    // A gzip stream cut short.
    const gz = gzipSync(images);
    writeFileSync(p + '.gz', gz.subarray(0, gz.length - 12));
    expect(() => readIdxImages(p + '.gz')).toThrow(/trunc\.gz: corrupt or truncated gzip/);
  });

  it('rejects other element types and a missing file', () => {
    const b = Buffer.from(labels);
    b[2] = 0x0d; // float
    expect(() => parseIdx(b, 'x.idx')).toThrow(/x\.idx: IDX element type 0xd is not supported/);
    expect(() => readIdxLabels(join(dir, 'nope'))).toThrow(/nope: cannot read/);
  });

  it('rejects a count mismatch between images and labels', () => {
    writeFileSync(join(dir, 'lab4'), idx([4], [0, 1, 2, 3]));
    expect(() => readIdxSplit(join(dir, 'img'), join(dir, 'lab4'))).toThrow(/img has 3 images but .*lab4 has 4 labels/);
  });

  it('rejects labels beyond the class count', () => {
    writeFileSync(join(dir, 'lab-big'), idx([3], [0, 1, 12]));
    expect(() => readIdxSplit(join(dir, 'img'), join(dir, 'lab-big'), 10)).toThrow(/lab-big: label 12 out of range for 10 classes/);
  });

  it('reads a folder of the four standard files and loads it through loadDataset', () => {
    const f = join(dir, 'folder');
    mkdirSync(f);
    expect(findIdxFiles(f)).toBeNull();
    writeFileSync(join(f, 'train-images-idx3-ubyte.gz'), gzipSync(images));
    writeFileSync(join(f, 'train-labels-idx1-ubyte'), labels);
    writeFileSync(join(f, 't10k-images.idx3-ubyte'), idx([1, 2, 4], pixels.slice(0, 8)));
    writeFileSync(join(f, 't10k-labels-idx1-ubyte.gz'), gzipSync(idx([1], [4])));
    const { train, test } = readIdxFolder(f);
    expect(train.n).toBe(3);
    expect(test.n).toBe(1);
    expect(train.classes).toBe(5); // the test split's label 4 widens both
    expect(test.classes).toBe(5);
    const ds = loadDataset(f);
    expect(ds.name).toBe('idx');
    expect(ds.classNames).toEqual(['0', '1', '2', '3', '4']);
    expect(ds.stats.mean[0]).toBeCloseTo(pixels.reduce((a, b) => a + b, 0) / pixels.length / 255, 10);
  });
});
