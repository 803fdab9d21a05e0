// Executing a tensor plan: stream the teacher tensor's rows from disk, keep the planned indices along every
// axis, and hand the student's bytes to a sink in bounded chunks. Elements are moved as raw bytes, so every
// dtype passes through unchanged (integer views only: float views could canonicalize NaN payloads).
import type { CheckpointReader } from '../checkpoint/types.js';
import type { TensorPlan } from './plan.js';

/** Reusable buffers: the slab of teacher rows being read and the student bytes waiting to be written. */
export class GatherBuffers {
  slab: Uint8Array;
  out: Uint8Array;
  constructor(readonly slabBytes = 16 << 20, readonly outBytes = 8 << 20) {
    this.slab = new Uint8Array(slabBytes);
    this.out = new Uint8Array(outBytes);
  }
  /** Grow the slab when one teacher row alone is larger than it. */
  slabFor(bytes: number): Uint8Array {
    if (this.slab.length < bytes) this.slab = new Uint8Array(bytes);
    return this.slab;
  }
}

/** Rows between two kept rows that are cheaper to read through than to seek over. */
const MAX_GAP_BYTES = 1 << 20;

export interface TeacherTensorRef {
  readonly name: string;
  readonly elementSize: number;
}

/**
 * Stream the selected sub-tensor of `source` as bytes (in the source dtype) to `sink`. A generator: it pauses
 * after every read, so a driver can yield to the event loop (and stop) within a large tensor.
 */
export function* gatherTensor(
  reader: CheckpointReader, plan: TensorPlan, source: TeacherTensorRef, buffers: GatherBuffers,
  sink: (bytes: Uint8Array) => void,
): Generator<void, void> {
  const e = source.elementSize;
  const tShape = plan.teacherShape;
  if (tShape.length === 0) {
    sink(reader.readBytes(source.name, 0, e));
    return;
  }
  const rowElems = tShape.slice(1).reduce((a, b) => a * b, 1);
  const rowBytes = rowElems * e;
  const outRows = plan.axes[0]!.indices ?? null;
  const nRows = outRows ? outRows.length : tShape[0]!;
  const rowAt = (i: number) => (outRows ? outRows[i]! : i);
  const inner = innerCopier(plan, e);
  const outRowBytes = inner.outElems * e;
  if (nRows === 0 || outRowBytes === 0) return;

  let out = buffers.out;
  if (out.length < outRowBytes) out = buffers.out = new Uint8Array(outRowBytes);
  let outFill = 0;
  const maxSpanRows = Math.max(1, Math.floor(buffers.slabBytes / Math.max(1, rowBytes)));
  const gapRows = Math.max(0, Math.floor(MAX_GAP_BYTES / Math.max(1, rowBytes)));

  let i = 0;
  while (i < nRows) {
    // One read covers a run of kept rows, reading through small gaps between them.
    const first = rowAt(i);
    let j = i + 1;
    while (j < nRows) {
      const r = rowAt(j);
      if (r < rowAt(j - 1) || r - rowAt(j - 1) - 1 > gapRows || r - first + 1 > maxSpanRows) break;
      j++;
    }
    const spanRows = rowAt(j - 1) - first + 1;
    const slab = buffers.slabFor(spanRows * rowBytes);
    reader.readBytes(source.name, first * rowBytes, spanRows * rowBytes, slab.subarray(0, spanRows * rowBytes));
    for (let k = i; k < j; k++) {
      if (outFill + outRowBytes > out.length) {
        sink(out.subarray(0, outFill));
        outFill = 0;
      }
      inner.copy(slab, (rowAt(k) - first) * rowElems, out, outFill / e);
      outFill += outRowBytes;
    }
    i = j;
    yield;
  }
  if (outFill > 0) sink(out.subarray(0, outFill));
}

/** Copies one teacher row (all axes but the first) into one student row, in element units. */
interface InnerCopier {
  readonly outElems: number;
  copy(src: Uint8Array, srcElem: number, dst: Uint8Array, dstElem: number): void;
}

function innerCopier(plan: TensorPlan, e: number): InnerCopier {
  const dims = plan.teacherShape.slice(1);
  const idx = plan.axes.slice(1).map((a) => a.indices);
  const outDims = plan.shape.slice(1);
  const outElems = outDims.reduce((a, b) => a * b, 1);
  // Trailing axes kept whole form one contiguous block per index of the axes before them.
  let tail = dims.length;
  while (tail > 0 && idx[tail - 1] === null) tail--;
  const blockElems = dims.slice(tail).reduce((a, b) => a * b, 1);
  const srcStrides = dims.map((_, k) => dims.slice(k + 1).reduce((a, b) => a * b, 1));

  const copy = (src: Uint8Array, srcElem: number, dst: Uint8Array, dstElem: number): void => {
    if (tail === 0) {
      dst.set(src.subarray(srcElem * e, (srcElem + blockElems) * e), dstElem * e);
      return;
    }
    let d = dstElem;
    const walk = (axis: number, s: number): void => {
      const sel = idx[axis];
      const stride = srcStrides[axis]!;
      const count = outDims[axis]!;
      if (axis === tail - 1) {
        if (blockElems === 1) {
          copyElements(src, s, stride, sel, count, dst, d, e);
          d += count;
        } else {
          for (let i = 0; i < count; i++) {
            const from = (s + (sel ? sel[i]! : i) * stride) * e;
            dst.set(src.subarray(from, from + blockElems * e), d * e);
            d += blockElems;
          }
        }
        return;
      }
      for (let i = 0; i < count; i++) walk(axis + 1, s + (sel ? sel[i]! : i) * stride);
    };
    walk(0, srcElem);
  };
  return { outElems, copy };
}

/** dst[d + i] = src[s + sel[i] * stride] for i < count, element size e, through integer views. */
function copyElements(
  src: Uint8Array, s: number, stride: number, sel: Int32Array | null, count: number,
  dst: Uint8Array, d: number, e: number,
): void {
  if (e === 1) {
    for (let i = 0; i < count; i++) dst[d + i] = src[s + (sel ? sel[i]! : i) * stride]!;
    return;
  }
  // Elements of 8 bytes move as two 32-bit words.
  const words = e === 8 ? 2 : 1;
  const from = view(src, e === 2 ? 2 : 4);
  const to = view(dst, e === 2 ? 2 : 4);
  if (words === 1) {
    if (sel) for (let i = 0; i < count; i++) to[d + i] = from[s + sel[i]! * stride]!;
    else for (let i = 0; i < count; i++) to[d + i] = from[s + i * stride]!;
    return;
  }
  for (let i = 0; i < count; i++) {
    const a = (s + (sel ? sel[i]! : i) * stride) * 2;
    const b = (d + i) * 2;
    to[b] = from[a]!;
    to[b + 1] = from[a + 1]!;
  }
}

// Integer views of the reusable buffers, made once per buffer rather than once per row.
const views = new WeakMap<Uint8Array, { 2?: Uint16Array; 4?: Uint32Array }>();
function view(bytes: Uint8Array, width: 2 | 4): Uint16Array | Uint32Array {
  let entry = views.get(bytes);
  if (!entry) views.set(bytes, (entry = {}));
  if (width === 2) return (entry[2] ??= new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 1));
  return (entry[4] ??= new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2));
}
