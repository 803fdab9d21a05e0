import fs from 'node:fs';
import path from 'node:path';
import yauzl from 'yauzl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError, decodeToFloat64 } from '../../src/checkpoint/index.js';
import { fileSource, openCheckpoint, openPytorch } from '../../src/checkpoint/node/index.js';
import { memberDataOffset, readZipDirectory } from '../../src/checkpoint/zip.js';
import {
  evalPickle, makeTorchFixtures, osSystemPickle, readExpected, runPython, tempDir, torchPickle, writeTorchZip, writeZip,
  type PickledTensor,
} from './helpers.js';

let dir: string;
let fx: string | undefined;
beforeAll(() => {
  dir = tempDir();
  fx = makeTorchFixtures();
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  if (fx) fs.rmSync(fx, { recursive: true, force: true });
});

/** The central directory as yauzl sees it, with each member's data start: the oracle for our sync parser. */
async function yauzlEntries(file: string): Promise<{ name: string; method: number; size: number; offset: number; dataStart: number }[]> {
  const zip = await yauzl.openPromise(file, { lazyEntries: true, autoClose: false });
  const entries: yauzl.Entry[] = [];
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (e: yauzl.Entry) => {
      entries.push(e);
      zip.readEntry();
    });
    zip.on('end', resolve);
    zip.on('error', reject);
    zip.readEntry();
  });
  const out = [];
  for (const e of entries) {
    const { fileDataStart } = await zip.readLocalFileHeaderPromise(e, { minimal: true });
    out.push({ name: e.fileName, method: e.compressionMethod, size: e.uncompressedSize, offset: e.relativeOffsetOfLocalHeader, dataStart: fileDataStart });
  }
  zip.close();
  return out;
}

function ourEntries(file: string): { name: string; method: number; size: number; offset: number; dataStart: number }[] {
  const source = fileSource(file);
  try {
    return readZipDirectory(source).map((e) => ({
      name: e.name, method: e.method, size: e.uncompressedSize, offset: e.localHeaderOffset, dataStart: memberDataOffset(source, e),
    }));
  } finally {
    source.close();
  }
}

function f32(values: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

function floats(r: ReturnType<typeof openPytorch>, name: string, start?: number, length?: number): number[] {
  return [...decodeToFloat64(r.tensors.get(name)!.dtype, r.readBytes(name, start, length))];
}

function errorOf(f: () => unknown): CheckpointError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CheckpointError);
    return e as CheckpointError;
  }
  throw new Error('expected a CheckpointError');
}

describe('PyTorch checkpoints saved by torch', () => {
  const files = ['plain.pth', 'proto4.pth', 'wrapped_model.pth', 'wrapped_state_dict.pth', 'views.pth', 'params.pth'];
  for (const file of files) {
    it(`${file}: names, order, shapes, dtypes and values equal what torch saved`, (ctx) => {
      if (!fx) return ctx.skip();
      const want = readExpected(fx)[file]!;
      const r = openCheckpoint(path.join(fx, file));
      expect(r.format).toBe('pytorch');
      expect([...r.tensors.keys()]).toEqual(Object.keys(want));
      for (const [name, w] of Object.entries(want)) {
        const info = r.tensors.get(name)!;
        expect([name, info.dtype, info.shape]).toEqual([name, w.dtype, w.shape]);
        expect(floats(r, name)).toEqual(w.values);
      }
      r.close();
    });
  }

  it('views point into their shared storage; non-contiguous views are gathered, also by byte range', (ctx) => {
    if (!fx) return ctx.skip();
    const r = openPytorch(path.join(fx, 'views.pth'));
    const t = (n: string) => r.tensors.get(n)!;
    expect(t('slice').offset).toBe(t('base').offset + 2 * 4);
    expect(t('matrix').offset).toBe(t('base').offset + 10 * 4);
    expect(t('slice').strides).toBeUndefined();
    expect(t('transposed').strides).toEqual([1, 4]);
    expect(t('expanded').strides).toEqual([1, 0]);
    expect(t('strided').strides).toEqual([3]);
    // transposed = arange(12).view(3, 4).t(): row-major values 0,4,8,1,5,9,...
    expect(floats(r, 'transposed')).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    expect(floats(r, 'transposed', 4 * 5, 4 * 4)).toEqual([9, 2, 6, 10]);
    const partial = r.readBytes('transposed', 6, 5);
    expect(Buffer.compare(partial, r.readBytes('transposed').subarray(6, 11))).toBe(0);
    expect(floats(r, 'strided')).toEqual([0, 3, 6, 9, 12, 15, 18, 21]);
    r.close();
  });

  it('our zip directory parser agrees with yauzl on every fixture', async (ctx) => {
    if (!fx) return ctx.skip();
    for (const file of [...files, 'evil.pth']) {
      const p = path.join(fx, file);
      expect(ourEntries(p)).toEqual(await yauzlEntries(p));
    }
  });

  it('refuses a torch-saved pickle that would call os.system, without running it', (ctx) => {
    if (!fx) return ctx.skip();
    const e = errorOf(() => openCheckpoint(path.join(fx!, 'evil.pth')));
    expect(e.message).toContain('refusing to load: the pickle references posix.system, which a state dict does not need; loading a checkpoint never runs code');
    expect(e.file).toBe(path.join(fx, 'evil.pth'));
    expect(fs.existsSync(path.join(fx, 'pwned'))).toBe(false);
  });

  it('refuses the legacy (pre-1.6) format with a hint', (ctx) => {
    if (!fx) return ctx.skip();
    expect(() => openCheckpoint(path.join(fx!, 'legacy.pth'))).toThrow(/legacy \(pre-1.6, non-zip\) PyTorch format is not supported; re-save with torch >= 1.6/);
  });

  it('refuses compressed members', (ctx) => {
    if (!fx) return ctx.skip();
    const out = path.join(dir, 'deflated.pth');
    runPython(['-c', [
      'import sys, zipfile',
      'src = zipfile.ZipFile(sys.argv[1])',
      'with zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_DEFLATED) as z:',
      '    for i in src.infolist(): z.writestr(i.filename, src.read(i.filename))',
    ].join('\n'), path.join(fx, 'params.pth'), out]);
    expect(() => openCheckpoint(out)).toThrow(/is compressed \(method 8\); only stored \(uncompressed\) members/);
  });
});

describe('hand-built PyTorch archives', () => {
  const tensors: PickledTensor[] = [
    { name: 'module.a', storage: 'FloatStorage', key: '0', numel: 6, offset: 0, shape: [2, 3], stride: [3, 1] },
    { name: 'module.b', storage: 'FloatStorage', key: '0', numel: 6, offset: 4, shape: [2], stride: [1] },
    { name: 'module.c', storage: 'LongStorage', key: '1', numel: 2, offset: 0, shape: [2], stride: [1] },
  ];
  const storages = { 0: f32([1, 2, 3, 4, 5, 6]), 1: new Uint8Array(BigInt64Array.of(-7n, 1n << 50n).buffer) };

  it('reads the torch layout, strips a module. prefix on every key, and agrees with yauzl (also as zip64)', async () => {
    for (const zip64 of [false, true]) {
      const p = path.join(dir, `hand${zip64 ? '64' : ''}.pth`);
      writeZip(p, [
        { name: 'hand/data.pkl', data: torchPickle(tensors) },
        ...Object.entries(storages).map(([k, data]) => ({ name: `hand/data/${k}`, data })),
        { name: 'hand/byteorder', data: Buffer.from('little') },
      ], zip64);
      expect(ourEntries(p)).toEqual(await yauzlEntries(p));
      const r = openCheckpoint(p);
      expect([...r.tensors.keys()]).toEqual(['a', 'b', 'c']);
      expect(floats(r, 'a')).toEqual([1, 2, 3, 4, 5, 6]);
      expect(floats(r, 'b')).toEqual([5, 6]);
      expect(floats(r, 'c')).toEqual([-7, 2 ** 50]);
      r.close();
    }
  });

  it('refuses os.system and builtins.eval (GLOBAL and STACK_GLOBAL) without side effects', () => {
    const marker = path.join(dir, 'pwned');
    const cases: [Uint8Array, string][] = [
      [osSystemPickle(`touch ${marker}`), 'os.system'],
      [evalPickle(`__import__("os").system("touch ${marker}")`), 'builtins.eval'],
      [Buffer.concat([Buffer.from([0x80, 2]), Buffer.from('}X\x04\x00\x00\x00argscargparse\nNamespace\n)Rs.', 'latin1')]), 'argparse.Namespace'],
    ];
    for (const [pickle, global] of cases) {
      const p = path.join(dir, `evil-${global}.pth`);
      writeTorchZip(p, pickle);
      const e = errorOf(() => openCheckpoint(p));
      expect(e.message).toBe(`${p}: refusing to load: the pickle references ${global}, which a state dict does not need; loading a checkpoint never runs code`);
    }
    expect(fs.existsSync(marker)).toBe(false);
  });

  it('clear errors for malformed archives', () => {
    const write = (name: string, pickle: Uint8Array, st: Record<string, Uint8Array> = storages): string => {
      const p = path.join(dir, name);
      writeTorchZip(p, pickle, st);
      return p;
    };
    expect(() => openPytorch(write('missing-storage.pth', torchPickle(tensors), { 0: storages[0] }))).toThrow(/storage 1 is missing from the archive/);
    const past = [{ ...tensors[0]!, offset: 1 }];
    expect(() => openPytorch(write('past.pth', torchPickle(past)))).toThrow(/runs past its storage 0 of 6 elements/);
    const small = [{ ...tensors[0]!, numel: 100 }];
    expect(() => openPytorch(write('small.pth', torchPickle(small)))).toThrow(/storage 0 holds 24 bytes, but 100 F32 elements need 400/);
    expect(() => openPytorch(write('list.pth', Buffer.from('\x80\x02]q\x00.', 'latin1')))).toThrow(/holds a list, not a dict of tensors/);
    expect(() => openPytorch(write('empty.pth', Buffer.from('\x80\x02}X\x01\x00\x00\x00aK\x01s.', 'latin1')))).toThrow(/no tensors found .* \(keys: "a"\)/);
    expect(() => openPytorch(write('cut.pth', torchPickle(tensors).subarray(0, 50)))).toThrow(/bad pickle: truncated/);
    const noPkl = path.join(dir, 'nopkl.pth');
    writeZip(noPkl, [{ name: 'x/other', data: new Uint8Array(3) }]);
    expect(() => openPytorch(noPkl)).toThrow(/without data.pkl/);
    const big = path.join(dir, 'bigendian.pth');
    writeZip(big, [{ name: 'b/data.pkl', data: torchPickle(tensors) }, { name: 'b/byteorder', data: Buffer.from('big') }]);
    expect(() => openPytorch(big)).toThrow(/byte order "big" is not supported/);
  });

  it('truncated zip files are CheckpointErrors naming the file', () => {
    const p = path.join(dir, 'whole.pth');
    writeTorchZip(p, torchPickle(tensors), storages);
    const raw = fs.readFileSync(p);
    for (const cut of [10, 100, raw.length - 10]) {
      const q = path.join(dir, `cut-${cut}.pth`);
      fs.writeFileSync(q, raw.subarray(0, cut));
      const e = errorOf(() => openCheckpoint(q));
      expect(e.file).toBe(q);
    }
    const junk = path.join(dir, 'junk.pth');
    fs.writeFileSync(junk, 'hello world');
    expect(() => openCheckpoint(junk)).toThrow(/not a PyTorch zip checkpoint/);
  });
});
