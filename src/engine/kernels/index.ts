// Every range kernel by name: plain functions over typed arrays and numbers whose last two arguments
// are the [start, end) range to process. The thread pool (threads/pool.ts) runs them split across
// threads by name, so the main thread and the helpers share this one table.

import { tsGemm } from '../gemm/typescript.js';
import { nativeGemm } from '../gemm/native.js';
import { gemmColumns, gemmItems, gemmRows } from '../gemm/ranges.js';
import { wasmColumnSums, wasmGemm } from '../gemm/wasm.js';
import { adamwRange } from './adamw.js';
import { columnSums, dwBackwardInputRows, dwBackwardWeightTaps, dwForwardRows } from './depthwise.js';
import { addSame, repeatRows } from './elementwise.js';
import { geluBackward, geluForward } from './gelu.js';
import { lnBackwardCols, lnBackwardRows, lnForwardRows } from './layer-norm.js';
import { softmaxBackwardRows, softmaxRows } from './softmax.js';

export const KERNELS = {
  geluForward,
  geluBackward,
  addSame,
  repeatRows,
  lnForwardRows,
  lnBackwardRows,
  lnBackwardCols,
  softmaxRows,
  softmaxBackwardRows,
  adamwRange,
  dwForwardRows,
  dwBackwardInputRows,
  dwBackwardWeightTaps,
  columnSums,
  wasmGemmColumns: gemmColumns(wasmGemm),
  wasmGemmRows: gemmRows(wasmGemm),
  wasmGemmItems: gemmItems(wasmGemm),
  wasmColumnSums,
  typescriptGemmColumns: gemmColumns(tsGemm),
  typescriptGemmRows: gemmRows(tsGemm),
  typescriptGemmItems: gemmItems(tsGemm),
  nativeGemmItems: gemmItems(nativeGemm),
};

export type KernelName = keyof typeof KERNELS;

/** A kernel's arguments without its trailing [start, end) range. */
export type KernelArgs<K extends KernelName> =
  Parameters<(typeof KERNELS)[K]> extends [...infer A, number, number] ? A : never;

/** Run kernel `name` on [start, end); the table lookup the helper threads use. */
export function runKernel(name: KernelName, args: readonly unknown[], start: number, end: number): void {
  const kernel = KERNELS[name] as (...a: unknown[]) => void;
  if (typeof kernel !== 'function') throw new Error(`unknown kernel '${String(name)}'`);
  kernel(...args, start, end);
}
