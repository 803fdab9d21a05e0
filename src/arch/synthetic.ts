// Synthetic checkpoints: random weights under a family's real names and shapes. Used by the built-in demo,
// the tests and the benchmarks, since no real checkpoint can be downloaded here.
import { numel } from '../checkpoint/dtype.js';
import { openSafetensorsWriter } from '../checkpoint/safetensors-writer.js';
import { seededRandom } from '../selection/rng.js';
import { tensorShape, type ArchDecl } from './types.js';

/** Write `decl`'s tensors with seeded values (uniform in [-1, 1)) as float32 safetensors, streaming. */
export function writeSyntheticCheckpoint(
  decl: ArchDecl, out: string, seed = 0, metadata: Record<string, string> = {},
): { tensors: number; parameters: number } {
  const shapes = new Map(decl.tensors.map((t) => [t.name, tensorShape(decl, t)]));
  const writer = openSafetensorsWriter(out, decl.tensors.map((t) => ({ name: t.name, dtype: 'F32', shape: shapes.get(t.name)! })), metadata);
  let parameters = 0;
  try {
    const chunk = new Float32Array(1 << 20);
    for (const header of writer.order) {
      const random = seededRandom(seed, header.name);
      let left = numel(header.shape);
      parameters += left;
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        for (let i = 0; i < n; i++) chunk[i] = random() * 2 - 1;
        writer.write(new Uint8Array(chunk.buffer, 0, n * 4));
        left -= n;
      }
    }
    writer.commit();
  } catch (e) {
    writer.abort();
    throw e;
  }
  return { tensors: decl.tensors.length, parameters };
}
