// safetensors writer: streams tensor bytes into a ByteSink, which makes the file visible only when it is
// published, so memory stays bounded and a failed run never leaves a half-written checkpoint.
import { compareUtf8, encodeUtf8, viewOf } from './bytes.js';
import { byteLengthOf, dtypeSize, parseDType } from './dtype.js';
import type { TensorData } from './safetensors.js';
import type { ByteSink, SinkFactory } from './source.js';
import { CheckpointError, type CheckpointWriter, type TensorHeader } from './types.js';

/** Check names (unique, not `__metadata__`), dtypes and shapes before anything is written. */
export function validateHeaders(out: string, headers: readonly TensorHeader[]): void {
  const seen = new Set<string>();
  for (const h of headers) {
    if (typeof h.name !== 'string' || h.name === '' || h.name === '__metadata__') {
      throw new CheckpointError(out, `invalid tensor name ${JSON.stringify(h.name)}`);
    }
    if (seen.has(h.name)) throw new CheckpointError(out, `tensor ${JSON.stringify(h.name)} is listed twice`);
    seen.add(h.name);
    parseDType(h.dtype, out);
    if (!Array.isArray(h.shape) || !h.shape.every((d) => Number.isSafeInteger(d) && d >= 0) ||
        !Number.isSafeInteger(byteLengthOf(h.dtype, h.shape))) {
      throw new CheckpointError(out, `tensor ${JSON.stringify(h.name)}: invalid shape ${JSON.stringify(h.shape)}`);
    }
  }
}

/** Writing order: element size descending, then name, as the reference implementation does; keeps every tensor aligned. */
export function writeOrder(headers: readonly TensorHeader[]): TensorHeader[] {
  return [...headers].sort((a, b) => dtypeSize(b.dtype) - dtypeSize(a.dtype) || compareUtf8(a.name, b.name));
}

function checkMetadata(out: string, metadata: Readonly<Record<string, string>>): [string, string][] {
  const entries = Object.entries(metadata);
  for (const [k, v] of entries) {
    if (typeof v !== 'string') throw new CheckpointError(out, `metadata value of ${JSON.stringify(k)} is not a string`);
  }
  return entries.sort((a, b) => compareUtf8(a[0], b[0]));
}

/**
 * The 8-byte length plus JSON header, space-padded to a multiple of 8. Built by hand so the key order
 * (`__metadata__` with sorted keys, then tensors in writing order) is deterministic.
 */
export function encodeHeader(ordered: readonly TensorHeader[], metadata: readonly [string, string][]): Uint8Array {
  const parts: string[] = [];
  if (metadata.length > 0) {
    parts.push(`"__metadata__":{${metadata.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`);
  }
  let offset = 0;
  for (const h of ordered) {
    const end = offset + byteLengthOf(h.dtype, h.shape);
    parts.push(`${JSON.stringify(h.name)}:{"dtype":"${h.dtype}","shape":[${h.shape.join(',')}],"data_offsets":[${offset},${end}]}`);
    offset = end;
  }
  const json = encodeUtf8(`{${parts.join(',')}}`);
  const padded = json.length + ((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + padded).fill(0x20);
  viewOf(out).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  return out;
}

type State = 'open' | 'finished' | 'published' | 'aborted';

/**
 * One safetensors file being written into a sink. Beyond CheckpointWriter it splits commit into finish() (check,
 * make durable) and publish() (make visible), so the sharded writer can finish every shard before publishing any.
 */
export class SafetensorsFileWriter implements CheckpointWriter {
  readonly order: readonly TensorHeader[];
  readonly targets: readonly string[];
  /** Total tensor bytes the file expects. */
  readonly dataBytes: number;
  private supplied = 0;
  private state: State = 'open';
  private readonly sink: ByteSink;

  /** Validates everything before the sink is opened, so a refused request creates nothing. */
  constructor(open: SinkFactory, readonly outPath: string, headers: readonly TensorHeader[], metadata: Readonly<Record<string, string>>) {
    validateHeaders(outPath, headers);
    this.targets = [outPath];
    this.order = writeOrder(headers);
    const header = encodeHeader(this.order, checkMetadata(outPath, metadata));
    this.dataBytes = this.order.reduce((sum, h) => sum + byteLengthOf(h.dtype, h.shape), 0);
    this.sink = open(outPath);
    try {
      this.sink.write(header);
    } catch (e) {
      this.abort();
      throw e;
    }
  }

  /** Bytes still expected. */
  get remaining(): number {
    return this.dataBytes - this.supplied;
  }

  write(bytes: Uint8Array): void {
    if (this.state !== 'open') throw new CheckpointError(this.outPath, `write after ${this.state}`);
    if (bytes.length > this.remaining) {
      throw new CheckpointError(this.outPath, `too many bytes: ${this.supplied + bytes.length} supplied, the tensors hold ${this.dataBytes}`);
    }
    this.sink.write(bytes);
    this.supplied += bytes.length;
  }

  /** Check that every byte arrived and make the file durable. */
  finish(): void {
    if (this.state === 'finished') return;
    if (this.state !== 'open') throw new CheckpointError(this.outPath, `commit after ${this.state}`);
    if (this.supplied !== this.dataBytes) {
      throw new CheckpointError(this.outPath, `incomplete: ${this.supplied} of ${this.dataBytes} tensor bytes supplied`);
    }
    this.sink.finish();
    this.state = 'finished';
  }

  /** Make the finished file visible. */
  publish(): string[] {
    if (this.state !== 'finished') throw new CheckpointError(this.outPath, 'publish before finish');
    this.sink.publish();
    this.state = 'published';
    return [this.outPath];
  }

  commit(): string[] {
    this.finish();
    return this.publish();
  }

  abort(): void {
    if (this.state === 'published') return;
    this.sink.abort();
    this.state = 'aborted';
  }
}

/** Start writing a safetensors file named `name` into the sinks `open` makes; see CheckpointWriter. */
export function openSafetensorsWriterTo(open: SinkFactory, name: string, headers: readonly TensorHeader[],
  metadata: Readonly<Record<string, string>> = {}): CheckpointWriter {
  return new SafetensorsFileWriter(open, name, headers, metadata);
}

/** Write in-memory tensors as a safetensors file (through the streaming writer). */
export function writeSafetensorsTo(open: SinkFactory, name: string, tensors: readonly TensorData[],
  metadata: Readonly<Record<string, string>> = {}): void {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const writer = openSafetensorsWriterTo(open, name, tensors.map(({ name: n, dtype, shape }) => ({ name: n, dtype, shape })), metadata);
  try {
    for (const h of writer.order) {
      const t = byName.get(h.name)!;
      const expected = byteLengthOf(t.dtype, t.shape);
      if (t.data.length !== expected) {
        throw new CheckpointError(name, `tensor ${JSON.stringify(t.name)} has ${t.data.length} bytes, its shape needs ${expected}`);
      }
      writer.write(t.data);
    }
    writer.commit();
  } catch (e) {
    writer.abort();
    throw e;
  }
}
