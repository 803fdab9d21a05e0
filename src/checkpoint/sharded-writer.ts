// Hugging Face sharded safetensors writer: splits the tensors (in writing order) into shards of at most
// maxShardSize bytes plus an index, all through sinks that are published only on commit, index last.
import { compareUtf8, encodeUtf8 } from './bytes.js';
import { byteLengthOf } from './dtype.js';
import { SafetensorsFileWriter, validateHeaders, writeOrder } from './safetensors-writer.js';
import type { ByteSink, SinkFactory } from './source.js';
import { CheckpointError, type CheckpointWriter, type TensorHeader } from './types.js';

const UNITS: Readonly<Record<string, number>> = {
  '': 1, B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KIB: 2 ** 10, MIB: 2 ** 20, GIB: 2 ** 30, TIB: 2 ** 40,
};

/** Parse a size such as "2GB", "500MB", "1.5GiB" or "123" (bytes). Hugging Face convention: GB = 10^9, GiB = 2^30. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? UNITS[m[2]!.toUpperCase()] : undefined;
  if (!m || unit === undefined) {
    throw new RangeError(`invalid size ${JSON.stringify(text)}: expected bytes with an optional unit (KB, MB, GB, KiB, MiB, GiB)`);
  }
  const exact = Number(m[1]) * unit;
  // "1.1GB" is 1100000000.0000002 in floating point: snap to the integer the decimal meant.
  const rounded = Math.round(exact);
  const bytes = Math.abs(exact - rounded) <= 1e-9 * Math.max(1, exact) ? rounded : Math.floor(exact);
  if (!Number.isSafeInteger(bytes) || bytes < 1) throw new RangeError(`invalid size ${JSON.stringify(text)}: must be at least 1 byte`);
  return bytes;
}

/** The last component of a path or name ("a/b.safetensors" -> "b.safetensors"). */
export function baseName(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** Output names derived from `X.safetensors` or `X.safetensors.index.json` (any other name is used as X). */
export function shardNames(out: string): { single: string; index: string; shard(i: number, n: number): string } {
  const base = out.endsWith('.safetensors.index.json') ? out.slice(0, -'.safetensors.index.json'.length)
    : out.endsWith('.safetensors') ? out.slice(0, -'.safetensors'.length) : out;
  const pad = (k: number): string => String(k).padStart(5, '0');
  return {
    single: `${base}.safetensors`,
    index: `${base}.safetensors.index.json`,
    shard: (i, n) => `${base}-${pad(i + 1)}-of-${pad(n)}.safetensors`,
  };
}

/** Split tensors, in order, into consecutive groups of at most `max` bytes; an oversized tensor is alone. */
export function splitShards(order: readonly TensorHeader[], max: number): TensorHeader[][] {
  const groups: TensorHeader[][] = [];
  let current: TensorHeader[] = [];
  let size = 0;
  for (const h of order) {
    const bytes = byteLengthOf(h.dtype, h.shape);
    if (current.length > 0 && size + bytes > max) {
      groups.push(current);
      current = [];
      size = 0;
    }
    current.push(h);
    size += bytes;
  }
  if (current.length > 0 || groups.length === 0) groups.push(current);
  return groups;
}

// The index as Hugging Face writes it (json.dumps(indent=2, sort_keys=True)), built by hand so that tensor
// names that look like integers keep their sorted place.
function indexJson(totalSize: number, weightMap: [string, string][]): string {
  const entries = weightMap.map(([t, s]) => `    ${JSON.stringify(t)}: ${JSON.stringify(s)}`);
  return `{\n  "metadata": {\n    "total_size": ${totalSize}\n  },\n  "weight_map": {\n${entries.join(',\n')}\n  }\n}\n`;
}

class ShardedWriter implements CheckpointWriter {
  readonly targets: readonly string[];
  private readonly writers: (SafetensorsFileWriter | undefined)[];
  private readonly total: number;
  private supplied = 0;
  private cur = 0;
  private index: ByteSink | undefined;

  constructor(
    private readonly open: SinkFactory,
    private readonly out: string,
    readonly order: readonly TensorHeader[],
    private readonly groups: readonly TensorHeader[][],
    private readonly names: ReturnType<typeof shardNames>,
    private readonly metadata: Readonly<Record<string, string>>,
  ) {
    this.writers = groups.map(() => undefined);
    this.total = order.reduce((s, h) => s + byteLengthOf(h.dtype, h.shape), 0);
    this.targets = [...groups.map((_, i) => names.shard(i, groups.length)), names.index];
  }

  // Shards are opened one at a time, when their first byte is due, so only one write buffer and fd are live.
  private shard(i: number): SafetensorsFileWriter {
    return (this.writers[i] ??= new SafetensorsFileWriter(this.open, this.names.shard(i, this.groups.length), this.groups[i]!, this.metadata));
  }

  write(bytes: Uint8Array): void {
    if (this.supplied + bytes.length > this.total) {
      throw new CheckpointError(this.out, `too many bytes: ${this.supplied + bytes.length} supplied, the tensors hold ${this.total}`);
    }
    let off = 0;
    while (off < bytes.length) {
      const w = this.shard(this.cur);
      if (w.remaining === 0) {
        w.finish();
        this.cur++;
        continue;
      }
      const take = Math.min(w.remaining, bytes.length - off);
      w.write(bytes.subarray(off, off + take));
      off += take;
      this.supplied += take;
    }
  }

  commit(): string[] {
    if (this.supplied !== this.total) {
      throw new CheckpointError(this.out, `incomplete: ${this.supplied} of ${this.total} tensor bytes supplied`);
    }
    const shards = this.groups.map((_, i) => this.shard(i));
    for (const w of shards) w.finish();
    const weightMap = this.groups
      .flatMap((g, i) => g.map((h): [string, string] => [h.name, baseName(shards[i]!.outPath)]))
      .sort((a, b) => compareUtf8(a[0], b[0]));
    const index = (this.index = this.open(this.names.index));
    index.write(encodeUtf8(indexJson(this.total, weightMap)));
    index.finish();
    const paths = shards.flatMap((w) => w.publish());
    index.publish();
    return [...paths, this.names.index];
  }

  abort(): void {
    for (const w of this.writers) w?.abort();
    this.index?.abort();
  }
}

/**
 * Write a checkpoint as Hugging Face shards of at most `maxShardSize` tensor bytes plus an index
 * (`X-00001-of-0000N.safetensors`, `X.safetensors.index.json`); when everything fits in one shard, a single
 * `X.safetensors`. Every file's metadata gets `format: pt` (Hugging Face requires it) unless given.
 */
export function openShardedWriterTo(open: SinkFactory, out: string, headers: readonly TensorHeader[],
  metadata: Readonly<Record<string, string>>, maxShardSize: number): CheckpointWriter {
  if (!Number.isSafeInteger(maxShardSize) || maxShardSize < 1) throw new RangeError(`invalid maximum shard size ${maxShardSize}`);
  validateHeaders(out, headers);
  const names = shardNames(out);
  const meta = { format: 'pt', ...metadata };
  const order = writeOrder(headers);
  const groups = splitShards(order, maxShardSize);
  if (groups.length === 1) return new SafetensorsFileWriter(open, names.single, headers, meta);
  return new ShardedWriter(open, out, order, groups, names, meta);
}
