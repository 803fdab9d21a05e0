// Small Hugging Face teachers for the language-model tests, and an independent gather to check students against.
import { readdirSync } from 'node:fs';
import { openCheckpoint } from '../../src/checkpoint/node/open.js';
import { uniformIndices } from '../../src/selection/index-rules.js';

export interface Tensor {
  dtype: string;
  shape: readonly number[];
  /** Raw elements as 16-bit words (bf16 teachers). */
  words: Uint16Array;
}

/** Every tensor of a model folder (or checkpoint file). */
export function readAll(p: string): Map<string, Tensor> {
  const reader = openCheckpoint(p);
  try {
    const out = new Map<string, Tensor>();
    for (const t of reader.tensors.values()) {
      const bytes = reader.readBytes(t.name);
      out.set(t.name, { dtype: t.dtype, shape: t.shape, words: new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2) });
    }
    return out;
  } finally {
    reader.close();
  }
}

/** The teacher tensor cut down to the given indices along every axis (null: all), row-major. */
export function gatherRef(t: Tensor, indices: readonly (readonly number[] | null)[]): Uint16Array {
  const sel = t.shape.map((n, k) => indices[k] ?? Array.from({ length: n }, (_, i) => i));
  const strides = t.shape.map((_, k) => t.shape.slice(k + 1).reduce((a, b) => a * b, 1));
  const out: number[] = [];
  const walk = (k: number, offset: number): void => {
    if (k === t.shape.length) {
      out.push(t.words[offset]!);
      return;
    }
    for (const i of sel[k]!) walk(k + 1, offset + i * strides[k]!);
  };
  walk(0, 0);
  return Uint16Array.from(out);
}

export const uniform = (n: number, m: number): number[] => Array.from(uniformIndices(n, m));
export const range = (n: number, start = 0): number[] => Array.from({ length: n }, (_, i) => start + i);

/** Row indices of whole heads (each `dim` wide, keeping `dims` inside every head). */
export function headRows(heads: readonly number[], dim: number, dims: readonly number[] = range(dim)): number[] {
  return heads.flatMap((h) => dims.map((d) => h * dim + d));
}

/** Leftover temp files or folders next to an output. */
export function leftovers(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.includes('.tmp-'));
}

/** A small Llama-style config.json. */
export function llamaJson(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'], model_type: 'llama', vocab_size: 96, hidden_size: 64, intermediate_size: 96,
    num_hidden_layers: 4, num_attention_heads: 8, num_key_value_heads: 4, head_dim: 16, tie_word_embeddings: false,
    rms_norm_eps: 1e-5, rope_theta: 10000, max_position_embeddings: 128, hidden_act: 'silu', torch_dtype: 'bfloat16',
    bos_token_id: 1, eos_token_id: 2, ...extra,
  };
}
