// The checkpoint-format layer: lazy readers and streaming writers for safetensors (single and sharded) and
// PyTorch zip checkpoints, plus dtype conversions.
export * from './types.js';
export * from './dtype.js';
export { openCheckpoint } from './open.js';
export { openSafetensors, loadSafetensorsAll, readSafetensorsHeader, MAX_HEADER_BYTES, type TensorData, type SafetensorsHeader } from './safetensors.js';
export { openSafetensorsWriter, saveSafetensors, writeOrder, SafetensorsFileWriter } from './safetensors-writer.js';
export { openShardedSafetensors, readShardIndex, type ShardIndex } from './sharded.js';
export { openShardedWriter, parseSize, shardNames, splitShards } from './sharded-writer.js';
export { openPytorch } from './pytorch.js';
