import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CheckpointError, byteLengthOf, decodeToFloat64, parseSize, type CheckpointWriter, type DType, type TensorData,
} from '../../src/checkpoint/index.js';
import { openCheckpoint, openShardedSafetensors, openShardedWriter } from '../../src/checkpoint/node/index.js';
import { makeTorchFixtures, readExpected, tempDir } from './helpers.js';

let dir: string;
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function tensor(name: string, dtype: DType, shape: number[]): TensorData {
  const data = new Uint8Array(byteLengthOf(dtype, shape));
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + name.length * 7) & 0xff;
  return { name, dtype, shape, data };
}

const input = [
  tensor('embed.weight', 'F32', [10, 8]), // 320 bytes
  tensor('layer.0.weight', 'F32', [8, 8]), // 256
  tensor('layer.0.bias', 'F32', [8]), // 32
  tensor('layer.1.weight', 'BF16', [8, 8]), // 128
  tensor('steps', 'I64', [1]), // 8
  tensor('mask', 'BOOL', [5]), // 5
  tensor('10', 'F16', [3]), // a name that looks like an integer
];

function writeAll(w: CheckpointWriter, tensors: readonly TensorData[], chunk = 50): string[] {
  const all = Buffer.concat(w.order.map((h) => tensors.find((t) => t.name === h.name)!.data));
  for (let i = 0; i < all.length; i += chunk) w.write(all.subarray(i, i + chunk));
  return w.commit();
}

describe('parseSize', () => {
  it('follows the Hugging Face units', () => {
    expect(parseSize('2GB')).toBe(2e9);
    expect(parseSize('500MB')).toBe(5e8);
    expect(parseSize('1.5GiB')).toBe(1.5 * 2 ** 30);
    expect(parseSize('123')).toBe(123);
    expect(parseSize('10kb')).toBe(10_000);
    expect(parseSize('1.1GB')).toBe(1_100_000_000);
    expect(parseSize(' 4 MiB ')).toBe(4 * 2 ** 20);
    for (const bad of ['', 'GB', '-1GB', '1XB', '0', '1e9']) expect(() => parseSize(bad)).toThrow(/invalid size/);
  });
});

describe('sharded writer and reader', () => {
  it('splits into shards no larger than the limit, with an index, and reads back identically', () => {
    const out = path.join(dir, 'model.safetensors');
    const w = openShardedWriter(out, input, { note: 'x' }, 380);
    const paths = writeAll(w, input);
    const names = paths.map((p) => path.basename(p));
    expect(names).toEqual([
      'model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors',
      'model.safetensors.index.json',
    ]);
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    const index = JSON.parse(fs.readFileSync(paths[3]!, 'utf8'));
    expect(index.metadata).toEqual({ total_size: input.reduce((s, t) => s + t.data.length, 0) });
    expect(Object.keys(index.weight_map)).toEqual(input.map((t) => t.name).sort());
    for (const p of paths.slice(0, 3)) {
      const dataBytes = fs.statSync(p).size - 8 - Number(fs.readFileSync(p).readBigUInt64LE(0));
      expect(dataBytes).toBeLessThanOrEqual(380);
    }
    const r = openCheckpoint(paths[3]!);
    expect(r.format).toBe('safetensors-sharded');
    expect(r.metadata).toMatchObject({ format: 'pt', note: 'x', total_size: String(index.metadata.total_size) });
    expect(r.tensors.size).toBe(input.length);
    for (const t of input) {
      const info = r.tensors.get(t.name)!;
      expect(path.basename(info.file)).toBe(index.weight_map[t.name]);
      expect(info.shape).toEqual(t.shape);
      expect(Buffer.compare(r.readBytes(t.name), t.data)).toBe(0);
    }
    expect(Buffer.compare(r.readBytes('embed.weight', 100, 20), input[0]!.data.subarray(100, 120))).toBe(0);
    r.close();
  });

  it('gives a tensor bigger than the limit its own shard', () => {
    const out = path.join(dir, 'big', 'ckpt.safetensors.index.json');
    fs.mkdirSync(path.dirname(out));
    const paths = writeAll(openShardedWriter(out, input, {}, 100), input, 1000);
    const index = JSON.parse(fs.readFileSync(out, 'utf8'));
    // Sizes in writing order: 8 | 320 | 32 | 256 | 6 | 128 | 5: every tensor above 100 bytes is alone.
    expect(paths.map((p) => path.basename(p))).toEqual([
      ...[1, 2, 3, 4, 5, 6, 7].map((i) => `ckpt-0000${i}-of-00007.safetensors`), 'ckpt.safetensors.index.json',
    ]);
    expect(index.weight_map['embed.weight']).toBe('ckpt-00002-of-00007.safetensors');
    const r = openShardedSafetensors(out);
    for (const t of input) expect(Buffer.compare(r.readBytes(t.name), t.data)).toBe(0);
    r.close();
  });

  it('writes a single plain file (with format: pt) when everything fits', () => {
    const out = path.join(dir, 'single.safetensors');
    const paths = writeAll(openShardedWriter(out, input, {}, 1e9), input);
    expect(paths).toEqual([out]);
    expect(fs.existsSync(path.join(dir, 'single.safetensors.index.json'))).toBe(false);
    const r = openCheckpoint(out);
    expect(r.format).toBe('safetensors');
    expect(r.metadata).toEqual({ format: 'pt' });
    r.close();
  });

  it('is deterministic', () => {
    const a = writeAll(openShardedWriter(path.join(dir, 'det-a.safetensors'), input, { k: 'v' }, 300), input, 7);
    const b = writeAll(openShardedWriter(path.join(dir, 'det-b.safetensors'), [...input].reverse(), { k: 'v' }, 300), input, 13);
    expect(a.length).toBe(b.length);
    for (let i = 0; i < a.length - 1; i++) expect(Buffer.compare(fs.readFileSync(a[i]!), fs.readFileSync(b[i]!))).toBe(0);
    const ia = fs.readFileSync(a.at(-1)!, 'utf8').replaceAll('det-a', 'det-b');
    expect(ia).toBe(fs.readFileSync(b.at(-1)!, 'utf8'));
  });

  it('abort mid-way removes every temp file and publishes nothing', () => {
    const sub = path.join(dir, 'aborted');
    fs.mkdirSync(sub);
    const w = openShardedWriter(path.join(sub, 'model.safetensors'), input, {}, 300);
    w.write(new Uint8Array(500)); // finishes shard 1, starts shard 2
    expect(fs.readdirSync(sub).length).toBeGreaterThan(0);
    expect(() => w.commit()).toThrow(/incomplete/);
    w.abort();
    w.abort();
    expect(fs.readdirSync(sub)).toEqual([]);
  });
});

describe('sharded reader errors', () => {
  function makeSharded(name: string): { folder: string; index: string } {
    const folder = path.join(dir, name);
    fs.mkdirSync(folder);
    const paths = writeAll(openShardedWriter(path.join(folder, 'model.safetensors'), input, {}, 380), input);
    return { folder, index: paths.at(-1)! };
  }
  const editIndex = (index: string, edit: (j: { weight_map: Record<string, string> }) => void): void => {
    const j = JSON.parse(fs.readFileSync(index, 'utf8'));
    edit(j);
    fs.writeFileSync(index, JSON.stringify(j));
  };

  it('missing shard', () => {
    const { folder } = makeSharded('missing');
    fs.rmSync(path.join(folder, 'model-00002-of-00003.safetensors'));
    expect(() => openCheckpoint(folder)).toThrow(/shard model-00002-of-00003.safetensors .* is missing/);
  });

  it('tensor in the map but absent from its shard', () => {
    const { index } = makeSharded('absent');
    editIndex(index, (j) => {
      j.weight_map['ghost'] = 'model-00001-of-00003.safetensors';
    });
    expect(() => openShardedSafetensors(index)).toThrow(/tensor "ghost" is listed in the weight_map for shard model-00001-of-00003.safetensors, which does not contain it/);
  });

  it('tensor in a shard but not in the map, or mapped to another shard', () => {
    const { index } = makeSharded('unmapped');
    editIndex(index, (j) => {
      delete j.weight_map['mask'];
    });
    expect(() => openShardedSafetensors(index)).toThrow(/tensor "mask" is in shard .* but not in the weight_map/);
    editIndex(index, (j) => {
      j.weight_map['mask'] = 'model-00001-of-00003.safetensors';
      j.weight_map['steps'] = 'model-00003-of-00003.safetensors';
    });
    expect(() => openShardedSafetensors(index)).toThrow(CheckpointError);
  });

  it('index without weight_map, garbage index, shard names escaping the folder', () => {
    const p = path.join(dir, 'x.safetensors.index.json');
    fs.writeFileSync(p, '{"metadata": {}}');
    expect(() => openShardedSafetensors(p)).toThrow(/no "weight_map"/);
    fs.writeFileSync(p, '{"weight_map": ');
    expect(() => openShardedSafetensors(p)).toThrow(/not valid JSON/);
    fs.writeFileSync(p, '{"weight_map": {"a": "../secret.safetensors"}}');
    expect(() => openShardedSafetensors(p)).toThrow(/not a shard file name inside the index's folder/);
  });
});

describe('sharded checkpoint written by Python', () => {
  let fx: string | undefined;
  beforeAll(() => {
    fx = makeTorchFixtures();
  });
  afterAll(() => {
    if (fx) fs.rmSync(fx, { recursive: true, force: true });
  });

  it('reads every tensor with torch\'s values', (ctx) => {
    if (!fx) return ctx.skip();
    const want = readExpected(fx)['model.safetensors.index.json']!;
    const r = openCheckpoint(path.join(fx, 'model.safetensors.index.json'));
    expect([...r.tensors.keys()].sort()).toEqual(Object.keys(want).sort());
    for (const [name, w] of Object.entries(want)) {
      const info = r.tensors.get(name)!;
      expect([info.dtype, info.shape]).toEqual([w.dtype, w.shape]);
      expect([...decodeToFloat64(info.dtype, r.readBytes(name))]).toEqual(w.values);
    }
    r.close();
  });
});
