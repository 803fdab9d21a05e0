// The checkpoint-format layer, portable (Node and browsers): lazy readers over byte sources and streaming
// writers into sinks for safetensors (single and sharded) and PyTorch zip checkpoints, plus dtype conversions.
// Paths and files are the Node edge's business: ./node/index.js.
export * from './types.js';
export * from './dtype.js';
export * from './source.js';
export { compareUtf8 } from './bytes.js';
export { FOLDER_FILES, openCheckpointFiles, openCheckpointSource } from './detect.js';
export {
  openSafetensorsSource, readAllTensors, readSafetensorsHeader, MAX_HEADER_BYTES, type TensorData, type SafetensorsHeader,
} from './safetensors.js';
export { openSafetensorsWriterTo, writeSafetensorsTo, writeOrder, SafetensorsFileWriter } from './safetensors-writer.js';
export { openShardedSources, readShardIndex, type ShardIndex, type ShardLookup } from './sharded.js';
export { openShardedWriterTo, parseSize, shardNames, splitShards } from './sharded-writer.js';
export { openPytorchSource } from './pytorch.js';
