// Elementwise range kernels.

/** o = a + b on [start, end). */
export function addSame(a: Float32Array, b: Float32Array, o: Float32Array, start: number, end: number): void {
  for (let i = start; i < end; i++) o[i] = a[i]! + b[i]!;
}

/** Rows [start, end) of o (each `row.length` wide) set to `row`: a bias broadcast over rows. */
export function repeatRows(row: Float32Array, o: Float32Array, start: number, end: number): void {
  const w = row.length;
  for (let r = start; r < end; r++) o.set(row, r * w);
}
