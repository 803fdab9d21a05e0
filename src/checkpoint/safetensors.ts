// safetensors reader: parse and strictly validate the JSON header at open, then read tensor byte ranges lazily
// from the file's ByteSource.
import { forEachJsonMember, isObject, parseJson, preview } from '../safe-json.js';
import { compareUtf8, decodeUtf8Strict, viewOf } from './bytes.js';
import { byteLengthOf, dtypeSize, parseDType } from './dtype.js';
import { rangeBuffer } from './range.js';
import { readAt, readExact, type ByteSource } from './source.js';
import { CheckpointError, type CheckpointReader, type DType, type TensorInfo } from './types.js';

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

/** Read and validate the header of a safetensors file. */
export function readSafetensorsHeader(source: ByteSource): SafetensorsHeader {
  const file = source.name;
  const size = source.size;
  if (size < 8) throw new CheckpointError(file, `not a safetensors file: only ${size} bytes, less than the 8-byte header length`);
  const n = viewOf(readAt(source, 0, 8, 'the header length')).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw new CheckpointError(file, `absurd header length ${n} (limit ${MAX_HEADER_BYTES} bytes): corrupt, or not a safetensors file`);
  }
  const headerLength = Number(n);
  if (headerLength > size - 8) {
    throw new CheckpointError(file, `header length ${headerLength} exceeds the file size ${size}: truncated, or not a safetensors file`);
  }
  const headerBytes = readAt(source, 8, headerLength, 'the header');
  let text: string;
  try {
    text = decodeUtf8Strict(headerBytes);
  } catch (e) {
    throw new CheckpointError(file, `header is not valid UTF-8: ${(e as Error).message}`);
  }
  const dataStart = 8 + headerLength;
  let metadata: Record<string, string> = {};
  // Entry by entry, keeping one TensorInfo each and nothing else: a header may list a million tensors.
  const tensors: TensorInfo[] = [];
  const fail = (problem: string) => new CheckpointError(file, `header: ${problem}`);
  forEachJsonMember(text, fail, (name, valueText) => {
    const entry = parseJson(valueText, fail);
    if (name === '__metadata__') {
      if (!isObject(entry)) throw new CheckpointError(file, '__metadata__ is not an object');
      for (const k in entry) {
        if (typeof entry[k] !== 'string') throw new CheckpointError(file, `__metadata__ value of ${preview(k)} is not a string`);
      }
      // fromEntries defines own properties, so even a "__proto__" key stays plain data.
      metadata = Object.fromEntries(Object.entries(entry)) as Record<string, string>;
      return;
    }
    tensors.push(parseEntry(file, name, entry, dataStart, size));
  });
  tensors.sort((a, b) => a.offset - b.offset || compareUtf8(a.name, b.name));
  checkOverlaps(file, tensors);
  return { metadata, tensors, dataStart };
}

function parseEntry(file: string, name: string, entry: unknown, dataStart: number, size: number): TensorInfo {
  const where = `tensor ${preview(name)}`;
  if (!isObject(entry)) throw new CheckpointError(file, `${where}: header entry is not an object`);
  const dtype: DType = parseDType(entry['dtype'], file);
  const shape = entry['shape'];
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    throw new CheckpointError(file, `${where}: shape ${preview(shape)} is not an array of non-negative integers`);
  }
  const offsets = entry['data_offsets'];
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
    throw new CheckpointError(file, `${where}: data_offsets ${preview(offsets)} is not [begin, end] with 0 <= begin <= end`);
  }
  const [begin, end] = offsets as [number, number];
  const byteLength = byteLengthOf(dtype, shape);
  if (!Number.isSafeInteger(byteLength) || end - begin !== byteLength) {
    throw new CheckpointError(file, `${where}: data_offsets [${begin}, ${end}] span ${end - begin} bytes, but shape ` +
      `${preview(shape)} of ${dtype} (${dtypeSize(dtype)} bytes each) needs ${byteLength}`);
  }
  if (dataStart + end > size) {
    throw new CheckpointError(file, `truncated: ${where} needs bytes up to ${dataStart + end} but the file has only ${size}`);
  }
  // The parsed array is fresh (nothing else holds it), so it becomes the shape as it is.
  return { name, dtype, shape, file, offset: dataStart + begin, byteLength };
}

/** Tensors sorted by offset must not overlap (empty ones take no bytes). */
function checkOverlaps(file: string, sorted: readonly TensorInfo[]): void {
  let prev: TensorInfo | undefined;
  for (const cur of sorted) {
    if (cur.byteLength === 0) continue;
    if (prev !== undefined && cur.offset < prev.offset + prev.byteLength) {
      const at = (t: TensorInfo) => `${t.offset}..${t.offset + t.byteLength}`;
      throw new CheckpointError(file, `tensors ${preview(prev.name)} and ${preview(cur.name)} overlap (bytes ${at(prev)} and ${at(cur)} of the file)`);
    }
    prev = cur;
  }
}

/** A reader over tensors that each lie in one run of bytes of a source (one file, or shards). */
export class ContiguousReader implements CheckpointReader {
  private closed = false;

  constructor(
    readonly path: string,
    readonly format: CheckpointReader['format'],
    readonly metadata: Readonly<Record<string, string>>,
    readonly tensors: ReadonlyMap<string, TensorInfo>,
    private readonly sourceOf: (info: TensorInfo) => ByteSource,
    private readonly sources: readonly ByteSource[],
  ) {}

  readBytes(name: string, byteStart?: number, length?: number, into?: Uint8Array): Uint8Array {
    const info = this.tensors.get(name);
    if (info === undefined) throw new CheckpointError(this.path, `no tensor named ${JSON.stringify(name)}`);
    if (this.closed) throw new Error(`${this.path}: reader is closed`);
    const buf = rangeBuffer(info, byteStart, length, into);
    return readExact(this.sourceOf(info), info.offset + (byteStart ?? 0), buf, `tensor ${JSON.stringify(name)}`);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.sources) s.close?.();
  }
}

/** Read a safetensors file from a source: validates the whole header now, reads tensor bytes on demand. */
export function openSafetensorsSource(source: ByteSource): CheckpointReader {
  const header = readSafetensorsHeader(source);
  return new ContiguousReader(source.name, 'safetensors', header.metadata, new Map(header.tensors.map((t) => [t.name, t])),
    () => source, [source]);
}

/** A tensor with its bytes in memory. */
export interface TensorData {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: Uint8Array;
}

/** Every tensor of a (small) checkpoint in memory: for tests and training code, not for large checkpoints. */
export function readAllTensors(reader: CheckpointReader): { metadata: Record<string, string>; tensors: Map<string, TensorData> } {
  const tensors = new Map<string, TensorData>();
  for (const t of reader.tensors.values()) {
    tensors.set(t.name, { name: t.name, dtype: t.dtype, shape: t.shape, data: reader.readBytes(t.name) });
  }
  return { metadata: { ...reader.metadata }, tensors };
}
