// Open any supported checkpoint by looking at what it is: a folder, a sharded index, a zip (PyTorch) or a
// safetensors file.
import fs from 'node:fs';
import path from 'node:path';
import { fileSize, openReadOnly, readFully } from './io.js';
import { openPytorch } from './pytorch.js';
import { openSafetensors } from './safetensors.js';
import { openShardedSafetensors, readShardIndex } from './sharded.js';
import { CheckpointError, type CheckpointReader } from './types.js';

/** Files looked for in a folder, in order (the Hugging Face names). */
const FOLDER_FILES = ['model.safetensors.index.json', 'model.safetensors', 'pytorch_model.bin.index.json', 'pytorch_model.bin'];

function openIndex(indexPath: string): CheckpointReader {
  const shards = [...readShardIndex(indexPath).weightMap.values()];
  if (shards.some((s) => !s.endsWith('.safetensors'))) {
    throw new CheckpointError(indexPath, 'sharded PyTorch .bin checkpoints are not supported; use the safetensors version of the model (or merge the shards with torch into one file)');
  }
  return openShardedSafetensors(indexPath);
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
  if (p.endsWith('.index.json')) return openIndex(p);
  const fd = openReadOnly(p);
  const head = Buffer.alloc(Math.min(4, fileSize(fd)));
  try {
    readFully(fd, p, head, 0, 'the file signature');
  } finally {
    fs.closeSync(fd);
  }
  // Zip magic: a PyTorch checkpoint. A non-zip .pth/.pt/.bin/.ckpt gets PyTorch's "legacy format" diagnosis.
  if ((head.length === 4 && head.readUInt32LE(0) === 0x04034b50) || /\.(pth|pt|bin|ckpt)$/i.test(p)) return openPytorch(p);
  return openSafetensors(p);
}
