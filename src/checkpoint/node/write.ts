// Checkpoints written to paths (Node only): the portable writers over file sinks (temp file, fsync, rename).
import type { TensorData } from '../safetensors.js';
import { openSafetensorsWriterTo, writeSafetensorsTo } from '../safetensors-writer.js';
import { openShardedWriterTo } from '../sharded-writer.js';
import type { CheckpointWriter, TensorHeader } from '../types.js';
import { fileSink } from './files.js';

/** Start writing a safetensors file; nothing appears at `outPath` until commit(). */
export function openSafetensorsWriter(outPath: string, headers: readonly TensorHeader[],
  metadata: Readonly<Record<string, string>> = {}): CheckpointWriter {
  return openSafetensorsWriterTo(fileSink, outPath, headers, metadata);
}

/** Write in-memory tensors to a safetensors file, atomically. */
export function saveSafetensors(outPath: string, tensors: readonly TensorData[],
  metadata: Readonly<Record<string, string>> = {}): void {
  writeSafetensorsTo(fileSink, outPath, tensors, metadata);
}

/**
 * Write a checkpoint as Hugging Face shards of at most `maxShardSize` tensor bytes plus an index, or one
 * `X.safetensors` when everything fits; see openShardedWriterTo.
 */
export function openShardedWriter(out: string, headers: readonly TensorHeader[],
  metadata: Readonly<Record<string, string>>, maxShardSize: number): CheckpointWriter {
  return openShardedWriterTo(fileSink, out, headers, metadata, maxShardSize);
}
