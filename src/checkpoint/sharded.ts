// Hugging Face sharded safetensors: one reader over the shards named by a `*.safetensors.index.json`. Every
// shard's header is validated at open; shard fds are opened on first read and cached.
import fs from 'node:fs';
import path from 'node:path';
import { compareUtf8, fileSize, openReadOnly, rangeBuffer, readFully } from './io.js';
import { MAX_HEADER_BYTES, readSafetensorsHeader } from './safetensors.js';
import { CheckpointError, type CheckpointReader, type TensorInfo } from './types.js';

export interface ShardIndex {
  /** The index's `metadata` (total_size and anything else), values as found. */
  readonly metadata: Record<string, unknown>;
  /** tensor name -> shard file name (relative to the index's folder). */
  readonly weightMap: Map<string, string>;
}

/** Read and validate an index file's JSON. */
export function readShardIndex(indexPath: string): ShardIndex {
  const fd = openReadOnly(indexPath);
  let text: string;
  try {
    const size = fileSize(fd);
    if (size > MAX_HEADER_BYTES) throw new CheckpointError(indexPath, `index of ${size} bytes is absurdly large`);
    const buf = Buffer.alloc(size);
    readFully(fd, indexPath, buf, 0, 'the index');
    text = buf.toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(indexPath, `index is not valid JSON: ${(e as Error).message}`);
  }
  const obj = json as { metadata?: unknown; weight_map?: unknown } | null;
  if (typeof obj !== 'object' || obj === null || typeof obj.weight_map !== 'object' || obj.weight_map === null ||
      Array.isArray(obj.weight_map)) {
    throw new CheckpointError(indexPath, 'index has no "weight_map" object');
  }
  const weightMap = new Map<string, string>();
  for (const [tensor, shard] of Object.entries(obj.weight_map)) {
    if (typeof shard !== 'string' || shard === '' || path.isAbsolute(shard) || shard.split(/[\\/]/).includes('..')) {
      throw new CheckpointError(indexPath, `weight_map entry for ${JSON.stringify(tensor)} is not a shard file name inside the index's folder: ${JSON.stringify(shard)}`);
    }
    weightMap.set(tensor, shard);
  }
  const metadata = typeof obj.metadata === 'object' && obj.metadata !== null ? { ...(obj.metadata as Record<string, unknown>) } : {};
  return { metadata, weightMap };
}

class ShardedReader implements CheckpointReader {
  readonly format = 'safetensors-sharded' as const;
  private readonly fds = new Map<string, number>();
  private closed = false;

  constructor(readonly path: string, readonly metadata: Readonly<Record<string, string>>,
    readonly tensors: ReadonlyMap<string, TensorInfo>) {}

  readBytes(name: string, byteStart?: number, length?: number, into?: Uint8Array): Uint8Array {
    const info = this.tensors.get(name);
    if (info === undefined) throw new CheckpointError(this.path, `no tensor named ${JSON.stringify(name)}`);
    if (this.closed) throw new Error(`${this.path}: reader is closed`);
    const buf = rangeBuffer(info, byteStart, length, into);
    let fd = this.fds.get(info.file);
    if (fd === undefined) {
      fd = openReadOnly(info.file);
      this.fds.set(info.file, fd);
    }
    readFully(fd, info.file, buf, info.offset + (byteStart ?? 0), `tensor ${JSON.stringify(name)}`);
    return buf;
  }

  close(): void {
    for (const fd of this.fds.values()) fs.closeSync(fd);
    this.fds.clear();
    this.closed = true;
  }
}

/**
 * Open a sharded checkpoint from its index. Metadata: the first shard's `__metadata__`, overlaid with the index's
 * metadata as strings (e.g. total_size). Tensors are in shard-name order, then file order within a shard.
 */
export function openShardedSafetensors(indexPath: string): CheckpointReader {
  const index = readShardIndex(indexPath);
  const dir = path.dirname(indexPath);
  const shards = [...new Set(index.weightMap.values())].sort(compareUtf8);
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [i, shard] of shards.entries()) {
    const shardPath = path.join(dir, shard);
    if (!fs.existsSync(shardPath)) {
      const example = [...index.weightMap].find(([, s]) => s === shard)![0];
      throw new CheckpointError(indexPath, `shard ${shard} (holding ${JSON.stringify(example)}) is missing: no such file ${shardPath}`);
    }
    const fd = openReadOnly(shardPath);
    let header;
    try {
      header = readSafetensorsHeader(fd, shardPath);
    } finally {
      fs.closeSync(fd);
    }
    if (i === 0) metadata = { ...header.metadata };
    for (const t of header.tensors) {
      const mapped = index.weightMap.get(t.name);
      if (mapped === undefined) {
        throw new CheckpointError(indexPath, `tensor ${JSON.stringify(t.name)} is in shard ${shard} but not in the weight_map`);
      }
      if (mapped !== shard) {
        throw new CheckpointError(indexPath, `tensor ${JSON.stringify(t.name)} is in shard ${shard} but the weight_map puts it in ${mapped}`);
      }
      tensors.set(t.name, t);
    }
  }
  for (const [name, shard] of index.weightMap) {
    if (!tensors.has(name)) {
      throw new CheckpointError(indexPath, `tensor ${JSON.stringify(name)} is listed in the weight_map for shard ${shard}, which does not contain it`);
    }
  }
  metadata = Object.fromEntries([
    ...Object.entries(metadata),
    ...Object.entries(index.metadata).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  ]);
  return new ShardedReader(indexPath, metadata, tensors);
}
