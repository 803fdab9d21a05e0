// Shared test helpers: temp folders, the PyTorch fixture generator, and hand-built torch zip archives.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { available, TORCH_PYTHON } from '../requirements.js';
const FIXTURE_SCRIPT = fileURLToPath(new URL('../fixtures/make_checkpoint_fixtures.py', import.meta.url));

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'wsel-ckpt-'));
}

/** Run a Python snippet with the torch interpreter; returns stdout, throws with stderr on failure. */
export function runPython(args: string[]): string {
  const r = spawnSync(TORCH_PYTHON, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** Generate the torch fixtures into a fresh folder (undefined when torch is unavailable). */
export function makeTorchFixtures(): string | undefined {
  if (!available('pytorch')) return undefined;
  const dir = tempDir();
  runPython([FIXTURE_SCRIPT, dir]);
  return dir;
}

export interface ExpectedTensor {
  dtype: string;
  shape: number[];
  values: number[];
}

export function readExpected(dir: string): Record<string, Record<string, ExpectedTensor>> {
  return JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8'));
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export interface ZipMember {
  name: string;
  data: Uint8Array;
  /** Where the local header goes (default: right after the previous member); gaps stay sparse holes. */
  at?: number;
  /** Declared size when `data` only holds the first bytes (the rest is a hole of zeros). */
  size?: number;
  /** Compression method to claim (the data is stored as given). */
  method?: number;
}

/**
 * Write a zip with positioned writes, so members can sit past 4 GiB in a sparse file. Uses zip64 records
 * whenever an offset or size needs them (or when `forceZip64`).
 */
export function writeZip(file: string, members: ZipMember[], forceZip64 = false): void {
  const fd = fs.openSync(file, 'w');
  try {
    let pos = 0;
    const central: Buffer[] = [];
    for (const m of members) {
      const at = m.at ?? pos;
      const size = m.size ?? m.data.length;
      const name = Buffer.from(m.name, 'utf8');
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(45, 4);
      local.writeUInt16LE(m.method ?? 0, 8);
      const crc = m.size === undefined ? crc32(m.data) : 0;
      local.writeUInt32LE(crc, 14);
      const big = forceZip64 || size >= 0xffffffff || at >= 0xffffffff;
      local.writeUInt32LE(big ? 0xffffffff : size, 18);
      local.writeUInt32LE(big ? 0xffffffff : size, 22);
      local.writeUInt16LE(name.length, 26);
      const localExtra = Buffer.alloc(big ? 20 : 0);
      if (big) {
        localExtra.writeUInt16LE(1, 0);
        localExtra.writeUInt16LE(16, 2);
        localExtra.writeBigUInt64LE(BigInt(size), 4);
        localExtra.writeBigUInt64LE(BigInt(size), 12);
      }
      local.writeUInt16LE(localExtra.length, 28);
      const head = Buffer.concat([local, name, localExtra]);
      fs.writeSync(fd, head, 0, head.length, at);
      fs.writeSync(fd, m.data, 0, m.data.length, at + head.length);
      pos = at + head.length + size;

      const cdExtra = Buffer.alloc(big ? 28 : 0);
      if (big) {
        cdExtra.writeUInt16LE(1, 0);
        cdExtra.writeUInt16LE(24, 2);
        cdExtra.writeBigUInt64LE(BigInt(size), 4);
        cdExtra.writeBigUInt64LE(BigInt(size), 12);
        cdExtra.writeBigUInt64LE(BigInt(at), 20);
      }
      const cd = Buffer.alloc(46);
      cd.writeUInt32LE(0x02014b50, 0);
      cd.writeUInt16LE(45, 4);
      cd.writeUInt16LE(45, 6);
      cd.writeUInt16LE(m.method ?? 0, 10);
      cd.writeUInt32LE(crc, 16);
      cd.writeUInt32LE(big ? 0xffffffff : size, 20);
      cd.writeUInt32LE(big ? 0xffffffff : size, 24);
      cd.writeUInt16LE(name.length, 28);
      cd.writeUInt16LE(cdExtra.length, 30);
      cd.writeUInt32LE(big ? 0xffffffff : at, 42);
      central.push(cd, name, cdExtra);
    }
    const cdBytes = Buffer.concat(central);
    const cdOffset = pos;
    fs.writeSync(fd, cdBytes, 0, cdBytes.length, cdOffset);
    let end = cdOffset + cdBytes.length;
    const zip64 = forceZip64 || cdOffset >= 0xffffffff;
    if (zip64) {
      const rec = Buffer.alloc(56);
      rec.writeUInt32LE(0x06064b50, 0);
      rec.writeBigUInt64LE(44n, 4);
      rec.writeUInt16LE(45, 12);
      rec.writeUInt16LE(45, 14);
      rec.writeBigUInt64LE(BigInt(members.length), 24);
      rec.writeBigUInt64LE(BigInt(members.length), 32);
      rec.writeBigUInt64LE(BigInt(cdBytes.length), 40);
      rec.writeBigUInt64LE(BigInt(cdOffset), 48);
      const loc = Buffer.alloc(20);
      loc.writeUInt32LE(0x07064b50, 0);
      loc.writeBigUInt64LE(BigInt(end), 8);
      loc.writeUInt32LE(1, 16);
      fs.writeSync(fd, Buffer.concat([rec, loc]), 0, 76, end);
      end += 76;
    }
    const eocd = Buffer.alloc(22);
    eocd.writeUInt32LE(0x06054b50, 0);
    eocd.writeUInt16LE(zip64 ? 0xffff : members.length, 8);
    eocd.writeUInt16LE(zip64 ? 0xffff : members.length, 10);
    eocd.writeUInt32LE(zip64 ? 0xffffffff : cdBytes.length, 12);
    eocd.writeUInt32LE(zip64 ? 0xffffffff : cdOffset, 16);
    fs.writeSync(fd, eocd, 0, 22, end);
  } finally {
    fs.closeSync(fd);
  }
}

// --- pickles built by hand, opcode by opcode ---

function unicode(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(b.length);
  return Buffer.concat([Buffer.from('X'), len, b]);
}

function int(n: number): Buffer {
  if (n < 256) return Buffer.from([0x4b, n]);
  // LONG1 with 8 bytes: any non-negative safe integer.
  const b = Buffer.alloc(10);
  b[0] = 0x8a;
  b[1] = 8;
  b.writeBigInt64LE(BigInt(n), 2);
  return b;
}

function tuple(items: Buffer[]): Buffer {
  return Buffer.concat([Buffer.from('('), ...items, Buffer.from('t')]);
}

export interface PickledTensor {
  name: string;
  storage: string; // e.g. FloatStorage
  key: string;
  numel: number;
  offset: number;
  shape: number[];
  stride: number[];
}

/** A protocol-2 pickle of {name: tensor}, exactly as torch.save lays it out. */
export function torchPickle(tensors: PickledTensor[]): Buffer {
  const parts: Buffer[] = [Buffer.from([0x80, 2]), Buffer.from('}(')];
  for (const t of tensors) {
    parts.push(
      unicode(t.name),
      Buffer.from('ctorch._utils\n_rebuild_tensor_v2\n'),
      Buffer.from('('),
      tuple([unicode('storage'), Buffer.from(`ctorch\n${t.storage}\n`), unicode(t.key), unicode('cpu'), int(t.numel)]),
      Buffer.from('Q'),
      int(t.offset),
      tuple(t.shape.map(int)),
      tuple(t.stride.map(int)),
      Buffer.from([0x89]),
      Buffer.from('ccollections\nOrderedDict\n)R'),
      Buffer.from('tR'),
    );
  }
  parts.push(Buffer.from('u.'));
  return Buffer.concat(parts);
}

/** Pickle bytes that would run `os.system(command)` under pickle.load (protocol 2, GLOBAL). */
export function osSystemPickle(command: string): Buffer {
  return Buffer.concat([Buffer.from([0x80, 2]), Buffer.from('cos\nsystem\n'), unicode(command), Buffer.from([0x85]), Buffer.from('R.')]);
}

/** Pickle bytes that would run `builtins.eval(code)` (protocol 4: SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL). */
export function evalPickle(code: string): Buffer {
  const short = (s: string): Buffer => Buffer.concat([Buffer.from([0x8c, Buffer.byteLength(s)]), Buffer.from(s)]);
  return Buffer.concat([
    Buffer.from([0x80, 4, 0x95]), Buffer.alloc(8), // PROTO 4, FRAME (length is only a hint)
    Buffer.from('}'), short('w'), short('builtins'), Buffer.from([0x94]), short('eval'), Buffer.from([0x94, 0x93, 0x94]),
    unicode(code), Buffer.from([0x85]), Buffer.from('Rs.'),
  ]);
}

/** A torch-style archive: `<prefix>/data.pkl`, storages `<prefix>/data/<key>`, `<prefix>/version`. */
export function writeTorchZip(file: string, pickle: Uint8Array, storages: Record<string, Uint8Array> = {}, prefix = 'archive'): void {
  writeZip(file, [
    { name: `${prefix}/data.pkl`, data: pickle },
    ...Object.entries(storages).map(([key, data]) => ({ name: `${prefix}/data/${key}`, data })),
    { name: `${prefix}/version`, data: Buffer.from('3\n') },
  ]);
}
