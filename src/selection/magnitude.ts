// The magnitude rule (structured-pruning baseline): a space's importance per index is the L1 norm of every
// teacher weight at that index, summed over every teacher tensor with an axis in that space. One streaming
// pass over the teacher computes every space's scores.
import type { ArchDecl } from '../arch/types.js';
import { decodeToFloat64, dtypeSize } from '../checkpoint/dtype.js';
import type { CheckpointReader } from '../checkpoint/types.js';

const CHUNK_BYTES = 8 << 20;

/** Every space's scores; a generator that pauses after each chunk read, so a driver can stop it. */
export function* spaceScores(teacher: ArchDecl, reader: CheckpointReader): Generator<void, Map<string, Float64Array>> {
  const scores = new Map<string, Float64Array>();
  for (const [name, space] of Object.entries(teacher.spaces)) scores.set(name, new Float64Array(space.size));

  for (const tensor of teacher.tensors) {
    const info = reader.tensors.get(tensor.name);
    if (!info) continue;
    const shape = info.shape;
    if (shape.length === 0 || shape.length !== tensor.axes.length) continue;
    const axisSums = shape.map((n) => new Float64Array(n));
    const rowElems = shape.slice(1).reduce((a, b) => a * b, 1);
    const e = dtypeSize(info.dtype);
    const rowsPerChunk = Math.max(1, Math.floor(CHUNK_BYTES / Math.max(1, rowElems * e)));
    for (let row = 0; row < shape[0]!; row += rowsPerChunk) {
      const rows = Math.min(rowsPerChunk, shape[0]! - row);
      const values = decodeToFloat64(info.dtype, reader.readBytes(tensor.name, row * rowElems * e, rows * rowElems * e));
      accumulate(values, shape, row, axisSums);
      yield;
    }
    // Fold each axis's sums into its space (a fused axis adds its copies together).
    tensor.axes.forEach((axis, k) => {
      const target = scores.get(axis.space)!;
      const sums = axisSums[k]!;
      for (let i = 0; i < sums.length; i++) target[i % target.length]! += sums[i]!;
    });
  }
  foldProducts(teacher, scores);
  return scores;
}

/** A structured space's scores also count for its factors: each factor gets the sums over the other factors. */
function foldProducts(teacher: ArchDecl, scores: Map<string, Float64Array>): void {
  for (const [name, space] of Object.entries(teacher.spaces)) {
    if (!space.factors) continue;
    const product = scores.get(name)!;
    const sizes = space.factors.map((f) => teacher.spaces[f]!.size);
    let inner = product.length;
    space.factors.forEach((f, k) => {
      inner /= sizes[k]!;
      const target = scores.get(f)!;
      for (let i = 0; i < product.length; i++) target[Math.floor(i / inner) % sizes[k]!]! += product[i]!;
    });
  }
}

/** Add |v| of every element to the sum of its index along every axis. */
function accumulate(values: Float64Array, shape: readonly number[], firstRow: number, sums: Float64Array[]): void {
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  index[0] = firstRow;
  for (let i = 0; i < values.length; i++) {
    const v = Math.abs(values[i]!);
    for (let k = 0; k < rank; k++) sums[k]![index[k]!]! += v;
    for (let k = rank - 1; k >= 0; k--) {
      if (++index[k]! < shape[k]! || k === 0) break;
      index[k] = 0;
    }
  }
}
