// Tensors past 4 GiB, in sparse files (the holes take no disk): offsets must never go through 32-bit math.
import fs from 'node:fs';
import path from 'node:path';
import yauzl from 'yauzl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeToFloat64 } from '../../src/checkpoint/index.js';
import { fileSource, openCheckpoint } from '../../src/checkpoint/node/index.js';
import { memberDataOffset, readZipDirectory } from '../../src/checkpoint/zip.js';
import { tempDir, torchPickle, writeZip } from './helpers.js';

const FOUR_GIB = 2 ** 32;
let dir: string;
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('offsets beyond 2^32', () => {
  it('safetensors: a tensor after a 4 GiB one reads correctly, and so do ranges deep inside the big one', () => {
    const p = path.join(dir, 'sparse.safetensors');
    const big = FOUR_GIB + 16;
    const header = Buffer.from(JSON.stringify({
      big: { dtype: 'U8', shape: [big], data_offsets: [0, big] },
      tail: { dtype: 'F32', shape: [4], data_offsets: [big, big + 16] },
    }).padEnd(128, ' '));
    const fd = fs.openSync(p, 'w');
    try {
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(header.length));
      fs.writeSync(fd, Buffer.concat([len, header]), 0, 8 + header.length, 0);
      const dataStart = 8 + header.length;
      fs.ftruncateSync(fd, dataStart + big + 16);
      fs.writeSync(fd, new Uint8Array(Float32Array.of(1.5, -2, 3.25, 1e6).buffer), 0, 16, dataStart + big);
      fs.writeSync(fd, Uint8Array.of(7, 8, 9), 0, 3, dataStart + FOUR_GIB + 4);
    } finally {
      fs.closeSync(fd);
    }
    expect(fs.statSync(p).size).toBeGreaterThan(FOUR_GIB);
    const r = openCheckpoint(p);
    const tail = r.tensors.get('tail')!;
    expect(tail.offset).toBe(8 + header.length + big);
    expect([...decodeToFloat64('F32', r.readBytes('tail'))]).toEqual([1.5, -2, 3.25, 1e6]);
    expect([...r.readBytes('big', FOUR_GIB + 2, 8)]).toEqual([0, 0, 7, 8, 9, 0, 0, 0]);
    expect([...r.readBytes('big', 0, 4)]).toEqual([0, 0, 0, 0]);
    r.close();
  });

  it('PyTorch zip64: a storage larger than 4 GiB and one placed past 4 GiB', async () => {
    const p = path.join(dir, 'sparse.pth');
    const hugeCount = FOUR_GIB + 8;
    const pickle = torchPickle([
      { name: 'huge', storage: 'ByteStorage', key: '0', numel: hugeCount, offset: 0, shape: [hugeCount], stride: [1] },
      { name: 'tail', storage: 'FloatStorage', key: '1', numel: 4, offset: 1, shape: [3], stride: [1] },
    ]);
    writeZip(p, [
      { name: 'archive/data.pkl', data: pickle },
      { name: 'archive/data/0', data: Uint8Array.of(1, 2, 3), size: hugeCount },
      { name: 'archive/data/1', data: new Uint8Array(Float32Array.of(9, 0.5, 0.25, -1).buffer) },
      { name: 'archive/version', data: Buffer.from('3\n') },
    ]);
    // Our central-directory parse agrees with yauzl's on the zip64 records.
    const source = fileSource(p);
    const ours = readZipDirectory(source).map((e) => [e.name, e.uncompressedSize, e.localHeaderOffset, memberDataOffset(source, e)]);
    source.close();
    const zip = await yauzl.openPromise(p, { lazyEntries: true, autoClose: false });
    const theirs: unknown[] = [];
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (e: yauzl.Entry) => {
        zip.readLocalFileHeaderPromise(e, { minimal: true }).then(({ fileDataStart }) => {
          theirs.push([e.fileName, e.uncompressedSize, e.relativeOffsetOfLocalHeader, fileDataStart]);
          zip.readEntry();
        }, reject);
      });
      zip.on('end', resolve);
      zip.on('error', reject);
      zip.readEntry();
    });
    zip.close();
    expect(ours).toEqual(theirs);
    expect(ours[2]![2]).toBeGreaterThan(FOUR_GIB);

    const r = openCheckpoint(p);
    expect(r.tensors.get('huge')!.byteLength).toBe(hugeCount);
    expect(r.tensors.get('tail')!.offset).toBeGreaterThan(FOUR_GIB);
    expect([...decodeToFloat64('F32', r.readBytes('tail'))]).toEqual([0.5, 0.25, -1]);
    expect([...r.readBytes('huge', 0, 4)]).toEqual([1, 2, 3, 0]);
    expect([...r.readBytes('huge', hugeCount - 4)]).toEqual([0, 0, 0, 0]);
    r.close();
  });
});
