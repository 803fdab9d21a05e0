import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CheckpointError, DTYPES, byteLengthOf, decodeToFloat64, dtypeSize, type DType, type TensorData,
} from '../../src/checkpoint/index.js';
import { loadSafetensorsAll, openSafetensors, openSafetensorsWriter, saveSafetensors } from '../../src/checkpoint/node/index.js';
import { makeTorchFixtures, readExpected, runPython, tempDir } from './helpers.js';

let dir: string;
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Deterministic pseudo-random bytes. */
function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function tensor(name: string, dtype: DType, shape: number[], seed = 1): TensorData {
  return { name, dtype, shape, data: bytes(byteLengthOf(dtype, shape), seed) };
}

const everyDtype = (): TensorData[] => DTYPES.map((d, i) => tensor(`t.${d.toLowerCase()}`, d, [3, i + 1], i));

/** Write a file with a raw header (any JSON text) followed by `data`. */
function rawFile(name: string, header: string, data: Uint8Array = new Uint8Array(0), lengthOverride?: bigint): string {
  const p = path.join(dir, name);
  const json = Buffer.from(header, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(lengthOverride ?? BigInt(json.length));
  fs.writeFileSync(p, Buffer.concat([len, json, data]));
  return p;
}

describe('safetensors round trip', () => {
  it('every dtype comes back byte-identical, with metadata', () => {
    const p = path.join(dir, 'all.safetensors');
    const input = [...everyDtype(), tensor('scalar', 'F32', []), tensor('empty', 'F16', [0, 4])];
    saveSafetensors(p, input, { format: 'pt', note: 'héllo' });
    const { metadata, tensors } = loadSafetensorsAll(p);
    expect(metadata).toEqual({ format: 'pt', note: 'héllo' });
    expect(tensors.size).toBe(input.length);
    for (const t of input) {
      const got = tensors.get(t.name)!;
      expect(got.dtype).toBe(t.dtype);
      expect(got.shape).toEqual(t.shape);
      expect(Buffer.compare(got.data, t.data)).toBe(0);
    }
  });

  it('lays the file out like the reference: 8-aligned header, __metadata__ first, size-descending order', () => {
    const p = path.join(dir, 'layout.safetensors');
    saveSafetensors(p, [tensor('b', 'U8', [3]), tensor('a', 'F16', [1]), tensor('z', 'F64', [2]), tensor('c', 'F16', [2])], { k: 'v' });
    const raw = fs.readFileSync(p);
    const n = Number(raw.readBigUInt64LE(0));
    expect(n % 8).toBe(0);
    const header = raw.toString('utf8', 8, 8 + n);
    expect(header.trimEnd()).toBe(
      '{"__metadata__":{"k":"v"},"z":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},' +
      '"a":{"dtype":"F16","shape":[1],"data_offsets":[16,18]},"c":{"dtype":"F16","shape":[2],"data_offsets":[18,22]},' +
      '"b":{"dtype":"U8","shape":[3],"data_offsets":[22,25]}}',
    );
    const reader = openSafetensors(p);
    expect([...reader.tensors.keys()]).toEqual(['z', 'a', 'c', 'b']);
    for (const t of reader.tensors.values()) expect(t.offset % dtypeSize(t.dtype)).toBe(0);
    reader.close();
  });

  it('reads byte ranges, into caller buffers', () => {
    const p = path.join(dir, 'ranges.safetensors');
    const t = tensor('w', 'F32', [10, 10], 7);
    saveSafetensors(p, [t], {});
    const r = openSafetensors(p);
    expect(r.format).toBe('safetensors');
    expect(Buffer.compare(r.readBytes('w', 40, 80), t.data.subarray(40, 120))).toBe(0);
    expect(Buffer.compare(r.readBytes('w', 360), t.data.subarray(360))).toBe(0);
    const into = new Uint8Array(1000);
    const got = r.readBytes('w', 4, 8, into);
    expect(got.buffer).toBe(into.buffer);
    expect(Buffer.compare(got, t.data.subarray(4, 12))).toBe(0);
    expect(() => r.readBytes('w', 396, 8)).toThrow(RangeError);
    expect(() => r.readBytes('w', 0, 8, new Uint8Array(4))).toThrow(/too small/);
    expect(() => r.readBytes('nope')).toThrow(CheckpointError);
    r.close();
  });

  it('streams bytes in any chunking, across tensor boundaries', () => {
    const input = [tensor('a', 'F32', [5, 7], 1), tensor('b', 'F32', [3], 2), tensor('c', 'I8', [11], 3)];
    const w = openSafetensorsWriter(path.join(dir, 'chunks.safetensors'), input, {});
    const all = Buffer.concat(w.order.map((h) => input.find((t) => t.name === h.name)!.data));
    for (let i = 0; i < all.length; i += 3) w.write(all.subarray(i, i + 3));
    expect(w.commit()).toEqual([path.join(dir, 'chunks.safetensors')]);
    const back = loadSafetensorsAll(path.join(dir, 'chunks.safetensors')).tensors;
    for (const t of input) expect(Buffer.compare(back.get(t.name)!.data, t.data)).toBe(0);
  });

  it('is deterministic: the same tensors give the same bytes', () => {
    const input = everyDtype();
    saveSafetensors(path.join(dir, 'd1.safetensors'), input, { b: '2', a: '1' });
    saveSafetensors(path.join(dir, 'd2.safetensors'), [...input].reverse(), { a: '1', b: '2' });
    expect(Buffer.compare(fs.readFileSync(path.join(dir, 'd1.safetensors')), fs.readFileSync(path.join(dir, 'd2.safetensors')))).toBe(0);
  });

  it('never modifies its input file', () => {
    const p = path.join(dir, 'ro.safetensors');
    saveSafetensors(p, everyDtype(), {});
    const before = fs.readFileSync(p);
    const r = openSafetensors(p);
    for (const name of r.tensors.keys()) r.readBytes(name);
    r.close();
    expect(Buffer.compare(fs.readFileSync(p), before)).toBe(0);
  });
});

describe('safetensors writer safety', () => {
  it('abort removes the temp file and leaves nothing at the final path; abort twice is fine', () => {
    const out = path.join(dir, 'aborted.safetensors');
    const w = openSafetensorsWriter(out, [tensor('a', 'F32', [4])], {});
    w.write(new Uint8Array(8));
    expect(fs.readdirSync(dir).some((f) => f.startsWith('aborted.safetensors.tmp-'))).toBe(true);
    w.abort();
    w.abort();
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('aborted'))).toEqual([]);
  });

  it('commit refuses missing bytes (then abort cleans up); write refuses extra bytes', () => {
    const out = path.join(dir, 'short.safetensors');
    const w = openSafetensorsWriter(out, [tensor('a', 'F32', [4])], {});
    w.write(new Uint8Array(12));
    expect(() => w.write(new Uint8Array(5))).toThrow(/too many bytes/);
    expect(() => w.commit()).toThrow(/incomplete: 12 of 16/);
    expect(fs.existsSync(out)).toBe(false);
    w.abort();
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('short'))).toEqual([]);
  });

  it('refuses bad headers before writing anything', () => {
    const out = path.join(dir, 'bad.safetensors');
    expect(() => openSafetensorsWriter(out, [tensor('a', 'F32', [1]), tensor('a', 'F32', [1])], {})).toThrow(/listed twice/);
    expect(() => openSafetensorsWriter(out, [{ name: 'x', dtype: 'F32', shape: [-1] }], {})).toThrow(/invalid shape/);
    expect(() => openSafetensorsWriter(out, [{ name: '__metadata__', dtype: 'F32', shape: [1] }], {})).toThrow(/invalid tensor name/);
    expect(() => openSafetensorsWriter(out, [{ name: 'x', dtype: 'Q8' as DType, shape: [1] }], {})).toThrow(/unknown dtype/);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('bad'))).toEqual([]);
  });
});

describe('corrupt and truncated safetensors', () => {
  const expectError = (p: string, message: RegExp): void => {
    let error: unknown;
    try {
      openSafetensors(p).close();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as CheckpointError).file).toBe(p);
    expect((error as Error).message).toContain(p);
    expect((error as Error).message).toMatch(message);
  };
  const good = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';

  it('missing, tiny and cut files', () => {
    expectError(path.join(dir, 'does-not-exist.safetensors'), /no such file/);
    const tiny = path.join(dir, 'tiny.safetensors');
    fs.writeFileSync(tiny, Buffer.from([1, 2, 3]));
    expectError(tiny, /only 3 bytes/);
    const whole = rawFile('whole.safetensors', good, new Uint8Array(8));
    const cutHeader = path.join(dir, 'cut-header.safetensors');
    fs.writeFileSync(cutHeader, fs.readFileSync(whole).subarray(0, 30));
    expectError(cutHeader, /exceeds the file size/);
    const cutData = path.join(dir, 'cut-data.safetensors');
    const full = fs.readFileSync(whole);
    fs.writeFileSync(cutData, full.subarray(0, full.length - 3));
    expectError(cutData, new RegExp(`truncated: tensor "a" needs bytes up to ${full.length} but the file has only ${full.length - 3}`));
  });

  it('absurd header length, garbage JSON, wrong JSON shapes', () => {
    expectError(rawFile('huge.safetensors', good, new Uint8Array(8), 1n << 40n), /absurd header length/);
    expectError(rawFile('garbage.safetensors', '{"a": [1, 2', new Uint8Array(8)), /header: not valid JSON/);
    expectError(rawFile('array.safetensors', '[1,2,3]'), /header: expected a JSON object/);
    expectError(rawFile('meta.safetensors', '{"__metadata__":{"k":1}}'), /__metadata__ value of "k" is not a string/);
    expectError(rawFile('dtype.safetensors', '{"a":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}}', new Uint8Array(8)), /unknown dtype "F33"/);
    expectError(rawFile('shape.safetensors', '{"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,10]}}', new Uint8Array(10)), /shape \[2.5\] is not an array of non-negative integers/);
    expectError(rawFile('shape2.safetensors', '{"a":{"dtype":"F32","shape":"2","data_offsets":[0,8]}}', new Uint8Array(8)), /shape "2"/);
    expectError(rawFile('neg.safetensors', '{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}', new Uint8Array(8)), /non-negative/);
  });

  it('bad, outside and overlapping offsets', () => {
    expectError(rawFile('size.safetensors', '{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', new Uint8Array(12)), /span 8 bytes, but shape \[3\] of F32 \(4 bytes each\) needs 12/);
    expectError(rawFile('rev.safetensors', '{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}', new Uint8Array(8)), /data_offsets \[8,0\]/);
    expectError(rawFile('outside.safetensors', '{"a":{"dtype":"U8","shape":[4],"data_offsets":[100,104]}}', new Uint8Array(8)), /truncated: tensor "a" needs bytes up to/);
    expectError(
      rawFile('overlap.safetensors', '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}', new Uint8Array(12)),
      /tensors "a" and "b" overlap/,
    );
    // Empty tensors at the same offset are not an overlap.
    const ok = rawFile('empties.safetensors', '{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"F32","shape":[0,2],"data_offsets":[0,0]}}');
    expect([...openSafetensors(ok).tensors.keys()]).toEqual(['a', 'b']);
  });

  it('a read that comes back short (file cut after open) is a CheckpointError', () => {
    const p = path.join(dir, 'shrinks.safetensors');
    saveSafetensors(p, [tensor('a', 'F32', [100])], {});
    const r = openSafetensors(p);
    fs.truncateSync(p, 200);
    expect(() => r.readBytes('a')).toThrow(/truncated: tensor "a" needs bytes up to/);
    r.close();
  });
});

describe('safetensors interop with PyTorch', () => {
  let fx: string | undefined;
  beforeAll(() => {
    fx = makeTorchFixtures();
  });
  afterAll(() => {
    if (fx) fs.rmSync(fx, { recursive: true, force: true });
  });

  it('reads a file written by Python from torch tensors: names, shapes, dtypes, values', (ctx) => {
    if (!fx) return ctx.skip();
    const want = readExpected(fx)['single.safetensors']!;
    const r = openSafetensors(path.join(fx, 'single.safetensors'));
    expect(r.metadata).toEqual({ format: 'pt', source: 'torch' });
    expect([...r.tensors.keys()].sort()).toEqual(Object.keys(want).sort());
    for (const [name, w] of Object.entries(want)) {
      const info = r.tensors.get(name)!;
      expect(info.dtype).toBe(w.dtype);
      expect(info.shape).toEqual(w.shape);
      expect([...decodeToFloat64(info.dtype, r.readBytes(name))]).toEqual(w.values);
    }
    r.close();
  });

  it('torch reads back what we wrote', (ctx) => {
    if (!fx) return ctx.skip();
    const p = path.join(dir, 'for-torch.safetensors');
    const values = Float32Array.from({ length: 12 }, (_, i) => i * 0.5 - 2);
    saveSafetensors(p, [
      { name: 'w', dtype: 'F32', shape: [3, 4], data: new Uint8Array(values.buffer) },
      { name: 'i', dtype: 'I64', shape: [2], data: new Uint8Array(BigInt64Array.of(-5n, 1n << 40n).buffer) },
    ], { format: 'pt' });
    const script = [
      'import json, struct, sys, torch',
      'raw = open(sys.argv[1], "rb").read()',
      'n = struct.unpack("<Q", raw[:8])[0]',
      'h = json.loads(raw[8:8 + n])',
      'dt = {"F32": torch.float32, "I64": torch.int64}',
      'out = {}',
      'for k, v in h.items():',
      '    if k == "__metadata__": continue',
      '    b, e = v["data_offsets"]',
      '    out[k] = torch.frombuffer(bytearray(raw[8 + n + b:8 + n + e]), dtype=dt[v["dtype"]]).reshape(v["shape"]).tolist()',
      'print(json.dumps(out))',
    ].join('\n');
    const got = JSON.parse(runPython(['-c', script, p]));
    expect(got.w).toEqual([[-2, -1.5, -1, -0.5], [0, 0.5, 1, 1.5], [2, 2.5, 3, 3.5]]);
    expect(got.i).toEqual([-5, 2 ** 40]);
  });
});
