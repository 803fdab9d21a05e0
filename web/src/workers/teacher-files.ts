// What the user dropped, as the checkpoint layer opens it: one file, a loose sharded set (shards + index.json),
// or a folder (a Hugging Face model folder when it holds config.json). Files become Blob-backed byte sources.
import { openCheckpointFiles, openCheckpointSource } from '../../../src/checkpoint/detect.js';
import { openShardedSources } from '../../../src/checkpoint/sharded.js';
import type { ByteSource } from '../../../src/checkpoint/source.js';
import type { CheckpointReader } from '../../../src/checkpoint/types.js';
import { companionFiles, HF_CONFIG_NAME, hfTeacherFromFiles, readHfConfig, type HfTeacher } from '../../../src/selection/hf-folder.js';
import type { HfFolderFacts } from '../../../src/selection/describe.js';
import type { DroppedFile } from '../protocol.js';
import { blobSource } from './blob-source.js';

export interface OpenedTeacher {
  reader: CheckpointReader;
  /** The name the CLI would record: the file's, the index's, or the folder's. */
  name: string;
  /** A Hugging Face folder: its config.json and companion files, for the report. */
  folder: HfFolderFacts | null;
  /** The folder as selection reads it (opened when selecting: an unsupported model_type is reported first). */
  hfTeacher(): HfTeacher | null;
}

const baseName = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

export function openDropped(dropped: readonly DroppedFile[]): OpenedTeacher {
  if (dropped.length === 0) throw new Error('no files were dropped');
  const folders = new Set(dropped.map((d) => (d.path.includes('/') ? d.path.slice(0, d.path.indexOf('/')) : '')));
  if (folders.size > 1) throw new Error('drop one teacher: one file, one sharded set, or one model folder');
  const folder = [...folders][0]!;
  // A folder's top-level files (subfolders such as .git or onnx/ play no part in loading a model).
  const top = dropped.filter((d) => d.path.split('/').length === (folder ? 2 : 1));
  const files = new Map<string, ByteSource>(top.map((d) => [baseName(d.path), blobSource(d.file, baseName(d.path))]));
  if (folder) {
    const hf = files.has(HF_CONFIG_NAME);
    return {
      reader: openCheckpointFiles(files, folder), name: folder,
      folder: hf ? { json: readHfConfig(folder, files), companions: [...companionFiles(files).keys()] } : null,
      hfTeacher: () => (hf ? hfTeacherFromFiles(folder, files, 'auto') : null),
    };
  }
  if (files.size === 1) {
    const [name, source] = [...files][0]!;
    return { reader: openCheckpointSource(source), name, folder: null, hfTeacher: () => null };
  }
  const index = [...files.keys()].filter((n) => n.endsWith('.index.json'));
  if (index.length !== 1) {
    throw new Error(`${files.size} files were dropped without one *.index.json naming the shards; drop a single file, a sharded set with its index, or the model folder`);
  }
  return { reader: openShardedSources(files.get(index[0]!)!, files), name: index[0]!, folder: null, hfTeacher: () => null };
}
