// Hugging Face sharded safetensors: one reader over the shards named by a `*.safetensors.index.json`, given as
// the index's source and a map from the shard names the index uses to their sources. Every shard's header is
// validated at open.
import { parseJson, preview } from '../safe-json.js';
import { compareUtf8, decodeUtf8 } from './bytes.js';
import { ContiguousReader, MAX_HEADER_BYTES, readSafetensorsHeader } from './safetensors.js';
import { readAt, type ByteSource } from './source.js';
import { CheckpointError, type CheckpointReader, type TensorInfo } from './types.js';

export interface ShardIndex {
  /** The index's `metadata` (total_size and anything else), values as found. */
  readonly metadata: Record<string, unknown>;
  /** tensor name -> shard file name (relative to the index's folder). */
  readonly weightMap: Map<string, string>;
}

/** The shards of a set by the names its index uses: a Map, or a lookup that finds files on demand. */
export type ShardLookup = Pick<ReadonlyMap<string, ByteSource>, 'get'>;

/** A shard name must stay inside the index's folder: relative, without "..". */
function isInsideFolder(shard: string): boolean {
  return shard !== '' && !/^([\\/]|[a-zA-Z]:)/.test(shard) && !shard.split(/[\\/]/).includes('..');
}

/** Read and validate an index file's JSON. */
export function readShardIndex(source: ByteSource): ShardIndex {
  const file = source.name;
  if (source.size > MAX_HEADER_BYTES) throw new CheckpointError(file, `index of ${source.size} bytes is absurdly large`);
  const text = decodeUtf8(readAt(source, 0, source.size, 'the index'));
  const json = parseJson(text, (problem) => new CheckpointError(file, `index: ${problem}`));
  const obj = json as { metadata?: unknown; weight_map?: unknown } | null;
  if (typeof obj !== 'object' || obj === null || typeof obj.weight_map !== 'object' || obj.weight_map === null ||
      Array.isArray(obj.weight_map)) {
    throw new CheckpointError(file, 'index has no "weight_map" object');
  }
  const weightMap = new Map<string, string>();
  for (const [tensor, shard] of Object.entries(obj.weight_map)) {
    if (typeof shard !== 'string' || !isInsideFolder(shard)) {
      throw new CheckpointError(file, `weight_map entry for ${preview(tensor)} is not a shard file name inside the index's folder: ${preview(shard)}`);
    }
    weightMap.set(tensor, shard);
  }
  const metadata = typeof obj.metadata === 'object' && obj.metadata !== null ? { ...(obj.metadata as Record<string, unknown>) } : {};
  return { metadata, weightMap };
}

/**
 * Open a sharded checkpoint from its index and its shards (by the names the weight_map uses). Metadata: the first
 * shard's `__metadata__`, overlaid with the index's metadata as strings (e.g. total_size). Tensors are in
 * shard-name order, then file order within a shard. Shard sources are closed after their header is read (a file
 * source reopens on the first tensor read), so a large set does not hold every file open.
 */
export function openShardedSources(indexSource: ByteSource, shardSources: ShardLookup): CheckpointReader {
  const index = readShardIndex(indexSource);
  const indexName = indexSource.name;
  const shards = [...new Set(index.weightMap.values())].sort(compareUtf8);
  if (shards.some((s) => !s.endsWith('.safetensors'))) {
    throw new CheckpointError(indexName, 'sharded PyTorch .bin checkpoints are not supported; use the safetensors version of the model (or merge the shards with torch into one file)');
  }
  const tensors = new Map<string, TensorInfo>();
  const sourceOfFile = new Map<string, ByteSource>();
  let metadata: Record<string, string> = {};
  for (const [i, shard] of shards.entries()) {
    const source = shardSources.get(shard);
    if (source === undefined) {
      const example = [...index.weightMap].find(([, s]) => s === shard)![0];
      throw new CheckpointError(indexName, `shard ${shard} (holding ${JSON.stringify(example)}) is missing`);
    }
    let header;
    try {
      header = readSafetensorsHeader(source);
    } finally {
      source.close?.();
    }
    sourceOfFile.set(source.name, source);
    if (i === 0) metadata = { ...header.metadata };
    for (const t of header.tensors) {
      const mapped = index.weightMap.get(t.name);
      if (mapped === undefined) {
        throw new CheckpointError(indexName, `tensor ${JSON.stringify(t.name)} is in shard ${shard} but not in the weight_map`);
      }
      if (mapped !== shard) {
        throw new CheckpointError(indexName, `tensor ${JSON.stringify(t.name)} is in shard ${shard} but the weight_map puts it in ${mapped}`);
      }
      tensors.set(t.name, t);
    }
  }
  for (const [name, shard] of index.weightMap) {
    if (!tensors.has(name)) {
      throw new CheckpointError(indexName, `tensor ${JSON.stringify(name)} is listed in the weight_map for shard ${shard}, which does not contain it`);
    }
  }
  metadata = Object.fromEntries([
    ...Object.entries(metadata),
    ...Object.entries(index.metadata).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  ]);
  indexSource.close?.();
  return new ContiguousReader(indexName, 'safetensors-sharded', metadata, tensors,
    (info) => sourceOfFile.get(info.file)!, [...sourceOfFile.values()]);
}
