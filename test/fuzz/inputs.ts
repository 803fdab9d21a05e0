// The well-formed inputs the fuzz test mutates: a ViT as safetensors, as a PyTorch zip (one weight stored as a
// transposed view) and as sharded safetensors, and a sharded Llama-style model folder. Each comes with the
// `wsel select` arguments that succeed on it.
import fs from 'node:fs';
import path from 'node:path';
import { writeSyntheticHfModel } from '../../src/arch/hf-synthetic.js';
import { llama, vit } from '../../src/arch/index.js';
import { writeSyntheticCheckpoint } from '../../src/arch/synthetic.js';
import { VIT_DEFAULTS } from '../../src/arch/vit.js';
import { openCheckpoint, openShardedWriter } from '../../src/checkpoint/node/index.js';
import { torchPickle, writeTorchZip, type PickledTensor } from '../checkpoint/helpers.js';
import { llamaJson } from '../llm/helpers.js';

export interface FuzzInput {
  readonly kind: 'safetensors' | 'pytorch' | 'sharded' | 'hf-folder';
  /** Folder holding every file of the input. */
  readonly dir: string;
  /** What `--teacher` / `wsel inspect` are given, relative to `dir`. */
  readonly teacher: string;
  /** `wsel select` arguments besides --teacher and --out. */
  readonly selectArgs: readonly string[];
  /** The --out name inside a fresh output folder (a folder name for a model folder teacher). */
  readonly outName: string;
}

const VIT = { ...VIT_DEFAULTS, img_size: 16, patch_size: 8, embed_dim: 32, num_heads: 2, depth: 2, num_classes: 5 };
const VIT_ARGS = ['--arch', 'vit', '--student', '{"embed_dim":16,"depth":1}'];

/** Build every base input under `root`. */
export function buildInputs(root: string): FuzzInput[] {
  const inputs: FuzzInput[] = [];
  const dirOf = (name: string): string => {
    const dir = path.join(root, name);
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  };

  const st = dirOf('safetensors');
  writeSyntheticCheckpoint(vit.declare(VIT), path.join(st, 'vit.safetensors'), 1, { 'wsel.config': JSON.stringify({ ...VIT }) });
  inputs.push({ kind: 'safetensors', dir: st, teacher: 'vit.safetensors', selectArgs: VIT_ARGS, outName: 'student.safetensors' });

  // The same tensors in a torch zip; the fused qkv weight is stored transposed and given as a strided view.
  const reader = openCheckpoint(path.join(st, 'vit.safetensors'));
  const pickled: PickledTensor[] = [];
  const storages: Record<string, Uint8Array> = {};
  for (const [k, t] of [...reader.tensors.values()].entries()) {
    const bytes = reader.readBytes(t.name);
    const strides = t.shape.map((_, i) => t.shape.slice(i + 1).reduce((a, b) => a * b, 1));
    if (t.name.endsWith('attn.qkv.weight')) {
      const [rows, cols] = t.shape as [number, number];
      const src = new Float32Array(bytes.buffer, bytes.byteOffset, rows * cols);
      const transposed = new Float32Array(rows * cols);
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) transposed[j * rows + i] = src[i * cols + j]!;
      storages[String(k)] = new Uint8Array(transposed.buffer);
      pickled.push({ name: t.name, storage: 'FloatStorage', key: String(k), numel: rows * cols, offset: 0, shape: [rows, cols], stride: [1, rows] });
    } else {
      storages[String(k)] = bytes;
      pickled.push({ name: t.name, storage: 'FloatStorage', key: String(k), numel: bytes.length / 4, offset: 0, shape: [...t.shape], stride: strides });
    }
  }
  const pth = dirOf('pytorch');
  writeTorchZip(path.join(pth, 'vit.pth'), torchPickle(pickled), storages);
  inputs.push({ kind: 'pytorch', dir: pth, teacher: 'vit.pth', selectArgs: VIT_ARGS, outName: 'student.safetensors' });

  const sh = dirOf('sharded');
  const headers = [...reader.tensors.values()].map(({ name, dtype, shape }) => ({ name, dtype, shape }));
  const writer = openShardedWriter(path.join(sh, 'model.safetensors'), headers, reader.metadata, 12_000);
  for (const h of writer.order) writer.write(reader.readBytes(h.name));
  writer.commit();
  reader.close();
  inputs.push({ kind: 'sharded', dir: sh, teacher: 'model.safetensors.index.json', selectArgs: VIT_ARGS, outName: 'student.safetensors' });

  const hf = dirOf('hf-folder');
  writeSyntheticHfModel(hf, llama, llamaJson({ hidden_size: 32, intermediate_size: 48, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 8, vocab_size: 40 }), { seed: 3, maxShardSize: 6_000 });
  inputs.push({ kind: 'hf-folder', dir: hf, teacher: '.', selectArgs: ['--student', '{"hidden_size":16,"num_hidden_layers":1}'], outName: 'student' });
  return inputs;
}
