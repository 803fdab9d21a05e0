// Elementwise range kernels.

/** o = a + b on [start, end). */
export function addSame(a: Float32Array, b: Float32Array, o: Float32Array, start: number, end: number): void {
  for (let i = start; i < end; i++) o[i] = a[i]! + b[i]!;
}
