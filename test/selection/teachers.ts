// Teachers built for tests: every element's value is its own flat index in the teacher tensor (I32), so a
// student's values reveal exactly which teacher index was kept along every axis.
import { tensorShape, type ArchDecl } from '../../src/arch/types.js';
import { numel } from '../../src/checkpoint/dtype.js';
import { openCheckpoint } from '../../src/checkpoint/node/open.js';
import { openSafetensorsWriter } from '../../src/checkpoint/node/write.js';

export function writeIndexTeacher(decl: ArchDecl, out: string, metadata: Record<string, string> = {}): void {
  const writer = openSafetensorsWriter(out, decl.tensors.map((t) => ({ name: t.name, dtype: 'I32', shape: tensorShape(decl, t) })), metadata);
  for (const h of writer.order) {
    const values = new Int32Array(numel(h.shape));
    for (let i = 0; i < values.length; i++) values[i] = i;
    writer.write(new Uint8Array(values.buffer));
  }
  writer.commit();
}

/** Read an I32 tensor of a checkpoint. */
export function readInt32(file: string, name: string): { shape: readonly number[]; values: Int32Array } {
  const reader = openCheckpoint(file);
  try {
    const info = reader.tensors.get(name);
    if (!info) throw new Error(`${name} not in ${file}`);
    const bytes = reader.readBytes(name);
    return { shape: info.shape, values: new Int32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)) };
  } finally {
    reader.close();
  }
}

/**
 * For a student tensor read from an index teacher, the teacher index kept along `axis` at every student
 * position of that axis (checking that it does not depend on the other axes).
 */
export function keptAlongAxis(values: Int32Array, studentShape: readonly number[], teacherShape: readonly number[], axis: number): number[] {
  const tStrides = teacherShape.map((_, k) => teacherShape.slice(k + 1).reduce((a, b) => a * b, 1));
  const sStrides = studentShape.map((_, k) => studentShape.slice(k + 1).reduce((a, b) => a * b, 1));
  const kept: number[] = new Array(studentShape[axis]).fill(-1);
  for (let flat = 0; flat < values.length; flat++) {
    const s = Math.floor(flat / sStrides[axis]!) % studentShape[axis]!;
    const t = Math.floor(values[flat]! / tStrides[axis]!) % teacherShape[axis]!;
    if (kept[s] === -1) kept[s] = t;
    else if (kept[s] !== t) throw new Error(`axis ${axis}: student index ${s} maps to teacher ${kept[s]} and ${t}`);
  }
  return kept;
}
