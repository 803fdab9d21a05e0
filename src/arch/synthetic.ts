// Synthetic checkpoints: random weights under a family's real names and shapes. Used by the built-in demo,
// the tests and the benchmarks, since no real checkpoint can be downloaded here.
import { encodeFloat32, numel } from '../checkpoint/dtype.js';
import { openSafetensorsWriter } from '../checkpoint/node/write.js';
import { seededRandom } from '../data/keyed-random.js';
import type { CheckpointWriter, DType } from '../checkpoint/types.js';
import { tensorShape, type ArchDecl } from './types.js';

/** Write `decl`'s tensors with seeded values (uniform in [-1, 1)) as float32 safetensors, streaming. */
export function writeSyntheticCheckpoint(
  decl: ArchDecl, out: string, seed = 0, metadata: Record<string, string> = {},
): { tensors: number; parameters: number } {
  const shapes = new Map(decl.tensors.map((t) => [t.name, tensorShape(decl, t)]));
  const writer = openSafetensorsWriter(out, decl.tensors.map((t) => ({ name: t.name, dtype: 'F32', shape: shapes.get(t.name)! })), metadata);
  const parameters = fillRandom(writer, seed);
  writer.commit();
  return { tensors: decl.tensors.length, parameters };
}

/**
 * Supply every tensor of an open writer with seeded values uniform in [-scale, scale) (each tensor's stream
 * depends only on the seed and its name), encoded as `dtype`; aborts the writer on error. Returns the count;
 * the caller commits.
 */
export function fillRandom(writer: CheckpointWriter, seed: number, scale = 1, dtype: DType = 'F32'): number {
  let parameters = 0;
  try {
    const chunk = new Float32Array(1 << 20);
    for (const header of writer.order) {
      const random = seededRandom(seed, header.name);
      let left = numel(header.shape);
      parameters += left;
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        for (let i = 0; i < n; i++) chunk[i] = (random() * 2 - 1) * scale;
        writer.write(dtype === 'F32' ? new Uint8Array(chunk.buffer, 0, n * 4) : encodeFloat32(dtype, chunk.subarray(0, n)));
        left -= n;
      }
    }
  } catch (e) {
    writer.abort();
    throw e;
  }
  return parameters;
}
