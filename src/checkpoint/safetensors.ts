// safetensors reader: parse and strictly validate the JSON header at open, then read tensor byte ranges lazily
// with positioned reads on a read-only fd.
import fs from 'node:fs';
import { byteLengthOf, dtypeSize, parseDType } from './dtype.js';
import { compareUtf8, fileSize, openReadOnly, rangeBuffer, readFully } from './io.js';
import { CheckpointError, type CheckpointReader, type DType, type TensorInfo } from './types.js';
import { isObject } from '../json.js';

/** Headers beyond this are refused as corrupt (the reference implementation's limit). */
export const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsHeader {
  readonly metadata: Record<string, string>;
  /** Tensors sorted by data offset (name breaks ties between empty tensors). */
  readonly tensors: TensorInfo[];
  /** Absolute offset of the data buffer: 8 + header length. */
  readonly dataStart: number;
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Read and validate the header of an open safetensors file. */
export function readSafetensorsHeader(fd: number, file: string): SafetensorsHeader {
  const size = fileSize(fd);
  if (size < 8) throw new CheckpointError(file, `not a safetensors file: only ${size} bytes, less than the 8-byte header length`);
  const lenBytes = Buffer.alloc(8);
  readFully(fd, file, lenBytes, 0, 'the header length');
  const n = lenBytes.readBigUInt64LE(0);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw new CheckpointError(file, `absurd header length ${n} (limit ${MAX_HEADER_BYTES} bytes): corrupt, or not a safetensors file`);
  }
  const headerLength = Number(n);
  if (headerLength > size - 8) {
    throw new CheckpointError(file, `header length ${headerLength} exceeds the file size ${size}: truncated, or not a safetensors file`);
  }
  const headerBytes = Buffer.alloc(headerLength);
  readFully(fd, file, headerBytes, 8, 'the header');
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (e) {
    throw new CheckpointError(file, `header is not valid UTF-8 JSON: ${(e as Error).message}`);
  }
  if (!isObject(json)) throw new CheckpointError(file, 'header is not a JSON object');
  const dataStart = 8 + headerLength;
  let metadata: Record<string, string> = {};
  const tensors: (TensorInfo & { begin: number })[] = [];
  for (const [name, entry] of Object.entries(json)) {
    if (name === '__metadata__') {
      if (!isObject(entry)) throw new CheckpointError(file, '__metadata__ is not an object');
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string') throw new CheckpointError(file, `__metadata__ value of ${JSON.stringify(k)} is not a string`);
      }
      // fromEntries defines own properties, so even a "__proto__" key stays plain data.
      metadata = Object.fromEntries(Object.entries(entry)) as Record<string, string>;
      continue;
    }
    tensors.push(parseEntry(file, name, entry, dataStart, size));
  }
  checkOverlaps(file, tensors);
  tensors.sort((a, b) => a.begin - b.begin || compareUtf8(a.name, b.name));
  return { metadata, tensors: tensors.map(({ begin: _begin, ...info }) => info), dataStart };
}

function parseEntry(file: string, name: string, entry: unknown, dataStart: number, size: number): TensorInfo & { begin: number } {
  const where = `tensor ${JSON.stringify(name)}`;
  if (!isObject(entry)) throw new CheckpointError(file, `${where}: header entry is not an object`);
  const dtype: DType = parseDType(entry['dtype'], file);
  const shape = entry['shape'];
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    throw new CheckpointError(file, `${where}: shape ${JSON.stringify(shape)} is not an array of non-negative integers`);
  }
  const offsets = entry['data_offsets'];
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
    throw new CheckpointError(file, `${where}: data_offsets ${JSON.stringify(offsets)} is not [begin, end] with 0 <= begin <= end`);
  }
  const [begin, end] = offsets as [number, number];
  const byteLength = byteLengthOf(dtype, shape);
  if (!Number.isSafeInteger(byteLength) || end - begin !== byteLength) {
    throw new CheckpointError(file, `${where}: data_offsets [${begin}, ${end}] span ${end - begin} bytes, but shape ` +
      `${JSON.stringify(shape)} of ${dtype} (${dtypeSize(dtype)} bytes each) needs ${byteLength}`);
  }
  if (dataStart + end > size) {
    throw new CheckpointError(file, `truncated: ${where} needs bytes up to ${dataStart + end} but the file has only ${size}`);
  }
  return { name, dtype, shape: [...shape], file, offset: dataStart + begin, byteLength, begin };
}

function checkOverlaps(file: string, tensors: readonly (TensorInfo & { begin: number })[]): void {
  const filled = tensors.filter((t) => t.byteLength > 0).sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < filled.length; i++) {
    const prev = filled[i - 1]!;
    const cur = filled[i]!;
    if (cur.begin < prev.begin + prev.byteLength) {
      throw new CheckpointError(file, `tensors ${JSON.stringify(prev.name)} and ${JSON.stringify(cur.name)} overlap ` +
        `(bytes ${prev.begin}..${prev.begin + prev.byteLength} and ${cur.begin}..${cur.begin + cur.byteLength})`);
    }
  }
}

class SafetensorsReader implements CheckpointReader {
  readonly format = 'safetensors' as const;
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  readonly metadata: Readonly<Record<string, string>>;
  private fd: number | undefined;

  constructor(readonly path: string, fd: number, header: SafetensorsHeader) {
    this.fd = fd;
    this.metadata = header.metadata;
    this.tensors = new Map(header.tensors.map((t) => [t.name, t]));
  }

  readBytes(name: string, byteStart?: number, length?: number, into?: Uint8Array): Uint8Array {
    const info = this.tensors.get(name);
    if (info === undefined) throw new CheckpointError(this.path, `no tensor named ${JSON.stringify(name)}`);
    if (this.fd === undefined) throw new Error(`${this.path}: reader is closed`);
    const buf = rangeBuffer(info, byteStart, length, into);
    readFully(this.fd, this.path, buf, info.offset + (byteStart ?? 0), `tensor ${JSON.stringify(name)}`);
    return buf;
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Open a safetensors file: validates the whole header now, reads tensor bytes on demand. */
export function openSafetensors(path: string): CheckpointReader {
  const fd = openReadOnly(path);
  try {
    return new SafetensorsReader(path, fd, readSafetensorsHeader(fd, path));
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}

/** A tensor with its bytes in memory. */
export interface TensorData {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: Uint8Array;
}

/** Read a whole (small) safetensors file into memory: for tests and training code, not for large checkpoints. */
export function loadSafetensorsAll(path: string): { metadata: Record<string, string>; tensors: Map<string, TensorData> } {
  const reader = openSafetensors(path);
  try {
    const tensors = new Map<string, TensorData>();
    for (const t of reader.tensors.values()) {
      tensors.set(t.name, { name: t.name, dtype: t.dtype, shape: t.shape, data: reader.readBytes(t.name) });
    }
    return { metadata: { ...reader.metadata }, tensors };
  } finally {
    reader.close();
  }
}
