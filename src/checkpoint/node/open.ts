// Checkpoints by path (Node only): files, sharded index files and model folders, read through file sources.
import fs from 'node:fs';
import path from 'node:path';
import { FOLDER_FILES, openCheckpointSource } from '../detect.js';
import { openPytorchSource } from '../pytorch.js';
import { openSafetensorsSource, readAllTensors, type TensorData } from '../safetensors.js';
import { openShardedSources } from '../sharded.js';
import type { ByteSource } from '../source.js';
import { CheckpointError, type CheckpointReader } from '../types.js';
import { fileSource } from './files.js';

/** Run `open` over a file source, closing the file when opening fails. */
function withFile(file: string, open: (source: ByteSource) => CheckpointReader): CheckpointReader {
  const source = fileSource(file);
  try {
    return open(source);
  } catch (e) {
    source.close();
    throw e;
  }
}

/** Open a safetensors file: validates the whole header now, reads tensor bytes on demand. */
export function openSafetensors(file: string): CheckpointReader {
  return withFile(file, openSafetensorsSource);
}

/** Open a PyTorch zip checkpoint (.pth/.pt/.bin) holding a state dict. Nothing in it is ever executed. */
export function openPytorch(file: string): CheckpointReader {
  return withFile(file, openPytorchSource);
}

/** Open a sharded checkpoint from its index; shards are the files the weight_map names, beside the index. */
export function openShardedSafetensors(indexPath: string): CheckpointReader {
  const dir = path.dirname(indexPath);
  const shards = { get: (name: string) => (fs.existsSync(path.join(dir, name)) ? fileSource(path.join(dir, name)) : undefined) };
  return withFile(indexPath, (index) => openShardedSources(index, shards));
}

/** Open a checkpoint file or folder for lazy reading, detecting its format from its content and name. */
export function openCheckpoint(p: string): CheckpointReader {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(p);
  } catch {
    throw new CheckpointError(p, 'no such file');
  }
  if (stat.isDirectory()) {
    const found = FOLDER_FILES.find((f) => fs.existsSync(path.join(p, f)));
    if (found === undefined) throw new CheckpointError(p, `folder holds no checkpoint (looked for ${FOLDER_FILES.join(', ')})`);
    return openCheckpoint(path.join(p, found));
  }
  if (p.endsWith('.index.json')) return openShardedSafetensors(p);
  return withFile(p, openCheckpointSource);
}

/** Read a whole (small) safetensors file into memory: for tests and training code, not for large checkpoints. */
export function loadSafetensorsAll(file: string): { metadata: Record<string, string>; tensors: Map<string, TensorData> } {
  const reader = openSafetensors(file);
  try {
    return readAllTensors(reader);
  } finally {
    reader.close();
  }
}
