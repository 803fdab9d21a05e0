// The checkpoint layer's Node edge: checkpoints by path, written atomically to files, plus the portable core
// (`wsel/checkpoint` for Node users).
export * from '../index.js';
export { fileSink, fileSource, fsyncDir, processExists, removeDeadTemps, tempPathFor } from './files.js';
export { loadSafetensorsAll, openCheckpoint, openPytorch, openSafetensors, openShardedSafetensors } from './open.js';
export { openSafetensorsWriter, openShardedWriter, saveSafetensors } from './write.js';
