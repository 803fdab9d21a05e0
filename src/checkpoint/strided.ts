// Reading a strided view (a transposed or expanded PyTorch tensor) in row-major order through its strides, so
// that only the elements asked for are read: a stride-0 view of 2^28 elements over a small storage costs what
// the caller keeps, not a gigabyte.
import { readExact, type ByteSource } from './source.js';

/** A view: its first element's byte offset in the source, its shape and element strides, its element size. */
export interface StridedView {
  readonly name: string;
  readonly offset: number;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly elementSize: number;
}

/** Row elements further apart than this many times their count are read one by one instead of as one span. */
const MAX_SPAN_RATIO = 4;

/**
 * Copy elements [first, first + count) of the view, in row-major order, into `out` (count x element size bytes).
 * A row (the last axis) is read as one span when its elements lie close together, else element by element; a row
 * at the same storage place as the previous one (an expanded axis) is copied instead of read again.
 */
export function readStrided(source: ByteSource, view: StridedView, first: number, count: number, out: Uint8Array): void {
  const { shape, strides, elementSize: es } = view;
  const rank = shape.length;
  const width = shape[rank - 1]!;
  const step = strides[rank - 1]!;
  const what = `tensor ${JSON.stringify(view.name)}`;
  let scratch = new Uint8Array(0);
  let previous: { start: number; take: number; at: number } | null = null;
  let done = 0;
  while (done < count) {
    const e = first + done;
    const row = Math.floor(e / width);
    const col = e - row * width;
    const take = Math.min(width - col, count - done);
    // Storage element of (row, col): unravel the row over the leading axes.
    let start = col * step;
    for (let d = rank - 2, r = row; d >= 0; d--) {
      start += (r % shape[d]!) * strides[d]!;
      r = Math.floor(r / shape[d]!);
    }
    const at = done * es;
    if (previous !== null && previous.start === start && previous.take === take) {
      out.copyWithin(at, previous.at, previous.at + take * es);
    } else if (step === 0) {
      readExact(source, view.offset + start * es, out.subarray(at, at + es), what);
      for (let j = 1; j < take; j++) out.copyWithin(at + j * es, at, at + es);
    } else if ((take - 1) * step + 1 <= MAX_SPAN_RATIO * take) {
      const spanBytes = ((take - 1) * step + 1) * es;
      if (scratch.length < spanBytes) scratch = new Uint8Array(spanBytes);
      readExact(source, view.offset + start * es, scratch.subarray(0, spanBytes), what);
      for (let j = 0; j < take; j++) out.set(scratch.subarray(j * step * es, (j * step + 1) * es), at + j * es);
    } else {
      for (let j = 0; j < take; j++) readExact(source, view.offset + (start + j * step) * es, out.subarray(at + j * es, at + (j + 1) * es), what);
    }
    previous = { start, take, at };
    done += take;
  }
}
