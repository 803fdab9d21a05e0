// Synthetic Hugging Face model folders: a family's real tensor names, layouts and config.json, random weights,
// (sharded) safetensors, and small stand-ins for the tokenizer and generation files. For tests and benchmarks,
// since no real model can be downloaded here.
import fs from 'node:fs';
import path from 'node:path';
import { openShardedWriter } from '../checkpoint/node/write.js';
import type { DType } from '../checkpoint/types.js';
import type { HfFamily, HfJson } from './hf-config.js';
import { fillRandom } from './synthetic.js';
import { tensorShape } from './types.js';

export interface SyntheticHfOptions {
  seed?: number;
  dtype?: 'F32' | 'F16' | 'BF16';
  /** Bytes per shard (default: one file). */
  maxShardSize?: number;
  /** Which optional tensors to write (default: the heads, not the buffers such as position_ids). */
  optional?: (name: string) => boolean;
  /** Values are uniform in [-scale, scale). */
  scale?: number;
}

const BUFFER = /(position_ids|\.attn\.bias|\.attn\.masked_bias)$/;

/** Stand-ins for the files a real model folder carries next to its weights. */
export const SYNTHETIC_COMPANIONS: Readonly<Record<string, string>> = {
  'tokenizer.json': '{"version":"1.0","model":{"type":"WordLevel","vocab":{"<unk>":0},"unk_token":"<unk>"}}\n',
  'tokenizer_config.json': '{"model_max_length":2048,"unk_token":"<unk>"}\n',
  'special_tokens_map.json': '{"unk_token":"<unk>"}\n',
  'generation_config.json': '{"bos_token_id":1,"eos_token_id":2,"do_sample":true,"temperature":0.6}\n',
};

/** Write a model folder (config.json, weights, companions) into `dir`; returns the parameter count and files. */
export function writeSyntheticHfModel(
  dir: string, family: HfFamily<any>, json: HfJson, options: SyntheticHfOptions = {},
): { parameters: number; files: string[] } {
  const { seed = 0, dtype = 'BF16', maxShardSize = Number.MAX_SAFE_INTEGER, scale = 1 } = options;
  const include = options.optional ?? ((name: string) => !BUFFER.test(name));
  const decl = family.declare(family.fromHf(json, null));
  const headers = decl.tensors
    .filter((t) => !t.optional || include(t.name))
    .map((t) => ({ name: t.name, dtype: dtype as DType, shape: tensorShape(decl, t) }));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), `${JSON.stringify(json, null, 2)}\n`);
  for (const [name, text] of Object.entries(SYNTHETIC_COMPANIONS)) fs.writeFileSync(path.join(dir, name), text);
  const writer = openShardedWriter(path.join(dir, 'model.safetensors'), headers, { format: 'pt' }, maxShardSize);
  const parameters = fillRandom(writer, seed, scale, dtype as DType);
  let files: string[];
  try {
    files = writer.commit();
  } catch (e) {
    writer.abort();
    throw e;
  }
  return { parameters, files };
}
