// safetensors writer: streams tensor bytes through a modest buffer into a temp file beside the output and renames
// it into place only on commit, so memory stays bounded and a failed run never leaves a half-written checkpoint.
import fs from 'node:fs';
import path from 'node:path';
import { byteLengthOf, dtypeSize, parseDType } from './dtype.js';
import { compareUtf8, fsyncDir, osError, tempPathFor, writeFully } from './io.js';
import type { TensorData } from './safetensors.js';
import { CheckpointError, type CheckpointWriter, type TensorHeader } from './types.js';

const BUFFER_BYTES = 8 << 20;

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
export function encodeHeader(ordered: readonly TensorHeader[], metadata: readonly [string, string][]): Buffer {
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
  const json = Buffer.from(`{${parts.join(',')}}`, 'utf8');
  const padded = json.length + ((8 - (json.length % 8)) % 8);
  const out = Buffer.alloc(8 + padded, 0x20);
  out.writeBigUInt64LE(BigInt(padded), 0);
  json.copy(out, 8);
  return out;
}

type State = 'open' | 'finished' | 'published' | 'aborted';

/**
 * One safetensors file being written. Beyond CheckpointWriter it splits commit into finish() (check, flush,
 * fsync) and publish() (rename), so the sharded writer can finish every shard before renaming any.
 */
export class SafetensorsFileWriter implements CheckpointWriter {
  readonly order: readonly TensorHeader[];
  readonly targets: readonly string[];
  readonly tmpPath: string;
  /** Total tensor bytes the file expects. */
  readonly dataBytes: number;
  private supplied = 0;
  private fd: number | undefined;
  private buf: Uint8Array;
  private fill = 0;
  private state: State = 'open';

  constructor(readonly outPath: string, headers: readonly TensorHeader[], metadata: Readonly<Record<string, string>>) {
    validateHeaders(outPath, headers);
    this.targets = [outPath];
    this.order = writeOrder(headers);
    const header = encodeHeader(this.order, checkMetadata(outPath, metadata));
    this.dataBytes = this.order.reduce((sum, h) => sum + byteLengthOf(h.dtype, h.shape), 0);
    this.buf = new Uint8Array(Math.min(BUFFER_BYTES, Math.max(this.dataBytes, 1)));
    this.tmpPath = tempPathFor(outPath);
    try {
      this.fd = fs.openSync(this.tmpPath, 'w', 0o644);
    } catch (e) {
      throw osError(this.tmpPath, e);
    }
    try {
      writeFully(this.fd, header);
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
    if (this.state !== 'open' || this.fd === undefined) throw new CheckpointError(this.outPath, `write after ${this.state}`);
    if (bytes.length > this.remaining) {
      throw new CheckpointError(this.outPath, `too many bytes: ${this.supplied + bytes.length} supplied, the tensors hold ${this.dataBytes}`);
    }
    if (bytes.length >= this.buf.length) {
      // Large chunks go straight to the file instead of being copied through the buffer.
      this.flush();
      writeFully(this.fd, bytes);
    } else {
      if (this.fill + bytes.length > this.buf.length) this.flush();
      this.buf.set(bytes, this.fill);
      this.fill += bytes.length;
    }
    this.supplied += bytes.length;
  }

  private flush(): void {
    if (this.fill > 0 && this.fd !== undefined) writeFully(this.fd, this.buf.subarray(0, this.fill));
    this.fill = 0;
  }

  /** Check that every byte arrived, flush and fsync the temp file. */
  finish(): void {
    if (this.state === 'finished') return;
    if (this.state !== 'open' || this.fd === undefined) throw new CheckpointError(this.outPath, `commit after ${this.state}`);
    if (this.supplied !== this.dataBytes) {
      throw new CheckpointError(this.outPath, `incomplete: ${this.supplied} of ${this.dataBytes} tensor bytes supplied`);
    }
    this.flush();
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.fd = undefined;
    this.buf = new Uint8Array(0); // free the write buffer while other shards are being written
    this.state = 'finished';
  }

  /** Rename the finished temp file into place. */
  publish(): string[] {
    if (this.state !== 'finished') throw new CheckpointError(this.outPath, 'publish before finish');
    fs.renameSync(this.tmpPath, this.outPath);
    this.state = 'published';
    fsyncDir(path.dirname(this.outPath));
    return [this.outPath];
  }

  commit(): string[] {
    this.finish();
    return this.publish();
  }

  abort(): void {
    if (this.fd !== undefined) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // Already unusable; removing the temp file is what matters.
      }
      this.fd = undefined;
    }
    if (this.state !== 'published') {
      fs.rmSync(this.tmpPath, { force: true });
      this.state = 'aborted';
    }
  }
}

/** Start writing a safetensors file; see CheckpointWriter. */
export function openSafetensorsWriter(outPath: string, headers: readonly TensorHeader[],
  metadata: Readonly<Record<string, string>> = {}): CheckpointWriter {
  return new SafetensorsFileWriter(outPath, headers, metadata);
}

/** Write in-memory tensors to a safetensors file (through the streaming writer). */
export function saveSafetensors(outPath: string, tensors: readonly TensorData[],
  metadata: Readonly<Record<string, string>> = {}): void {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const writer = openSafetensorsWriter(outPath, tensors.map(({ name, dtype, shape }) => ({ name, dtype, shape })), metadata);
  try {
    for (const h of writer.order) {
      const t = byName.get(h.name)!;
      const expected = byteLengthOf(t.dtype, t.shape);
      if (t.data.length !== expected) {
        throw new CheckpointError(outPath, `tensor ${JSON.stringify(t.name)} has ${t.data.length} bytes, its shape needs ${expected}`);
      }
      writer.write(t.data);
    }
    writer.commit();
  } catch (e) {
    writer.abort();
    throw e;
  }
}
