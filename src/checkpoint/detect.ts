// Open any supported checkpoint by looking at what it is: a zip (PyTorch) or a safetensors file, or, for a
// model folder given as its files, the index or weights file Hugging Face would load.
import { isZip, openPytorchSource } from './pytorch.js';
import { openSafetensorsSource } from './safetensors.js';
import { openShardedSources } from './sharded.js';
import { readAt, type ByteSource } from './source.js';
import { CheckpointError, type CheckpointReader } from './types.js';

/** Files looked for in a folder, in order (the Hugging Face names). */
export const FOLDER_FILES = ['model.safetensors.index.json', 'model.safetensors', 'pytorch_model.bin.index.json', 'pytorch_model.bin'];

/** Open one checkpoint file, detecting its format from its content and name. */
export function openCheckpointSource(source: ByteSource): CheckpointReader {
  const head = readAt(source, 0, Math.min(4, source.size), 'the file signature');
  // Zip magic: a PyTorch checkpoint. A non-zip .pth/.pt/.bin/.ckpt gets PyTorch's "legacy format" diagnosis.
  if (isZip(head) || /\.(pth|pt|bin|ckpt)$/i.test(source.name)) return openPytorchSource(source);
  return openSafetensorsSource(source);
}

/**
 * Open a model folder given as its files (names relative to the folder -> sources), as a browser gets a dropped
 * folder: its sharded index with the shards it names, or its single weights file.
 */
export function openCheckpointFiles(files: ReadonlyMap<string, ByteSource>, folder: string): CheckpointReader {
  const found = FOLDER_FILES.find((f) => files.has(f));
  if (found === undefined) throw new CheckpointError(folder, `folder holds no checkpoint (looked for ${FOLDER_FILES.join(', ')})`);
  const source = files.get(found)!;
  return found.endsWith('.index.json') ? openShardedSources(source, files) : openCheckpointSource(source);
}
