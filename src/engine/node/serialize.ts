// Save and load model parameters as safetensors under the model's (timm) tensor names, through the
// checkpoint layer. Loading also accepts any checkpoint that layer opens (sharded safetensors,
// PyTorch zip), converting floating dtypes to float32.

import { openCheckpoint } from '../../checkpoint/node/open.js';
import { saveSafetensors } from '../../checkpoint/node/write.js';
import { convertFloat, decodeToFloat64, encodeFloat32, isFloating } from '../../checkpoint/dtype.js';
import type { DType } from '../../checkpoint/types.js';
import type { LoadResult, Module } from '../module.js';

export interface SaveOptions {
  /** Storage dtype: F32 (default), F16 or BF16 (rounded to nearest even). */
  dtype?: 'F32' | 'F16' | 'BF16';
  metadata?: Record<string, string>;
}

/** Write every parameter of the module, in registration order, to a safetensors file. */
export function saveModel(path: string, module: Module, opts: SaveOptions = {}): void {
  const dtype: DType = opts.dtype ?? 'F32';
  const tensors = module.namedParameters().map(([name, t]) => ({
    name, dtype, shape: [...t.shape], data: encodeFloat32(dtype, t.data),
  }));
  saveSafetensors(path, tensors, { format: 'pt', ...opts.metadata });
}

/** All tensors of a checkpoint as float32 (floating dtypes converted, integers decoded). */
export function readStateDict(path: string): Map<string, { shape: readonly number[]; data: Float32Array }> {
  const reader = openCheckpoint(path);
  try {
    const out = new Map<string, { shape: readonly number[]; data: Float32Array }>();
    for (const info of reader.tensors.values()) {
      const bytes = reader.readBytes(info.name);
      let data: Float32Array;
      if (isFloating(info.dtype)) {
        const f = convertFloat(bytes, info.dtype, 'F32');
        data = f.byteOffset % 4 === 0 ? new Float32Array(f.buffer, f.byteOffset, f.byteLength / 4) : new Float32Array(f.slice().buffer);
      } else {
        data = Float32Array.from(decodeToFloat64(info.dtype, bytes));
      }
      out.set(info.name, { shape: info.shape, data });
    }
    return out;
  } finally {
    reader.close();
  }
}

/**
 * Load parameters by name (shapes must match). strict (default) throws on missing or unexpected
 * names; otherwise they are returned.
 */
export function loadModel(path: string, module: Module, opts: { strict?: boolean } = {}): LoadResult {
  return module.loadStateDict(readStateDict(path), opts);
}
