// Language-model teachers (Hugging Face folders) through `select`: shapes and config.json of the student, the
// vocabulary untouched, tied embeddings tied, grouped-query attention kept by groups, rotary pairs together,
// identity selection byte for byte, and a folder that appears whole or not at all.
import { existsSync, mkdirSync, readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bert, gpt2, llama } from '../../src/arch/index.js';
import { writeSyntheticHfModel } from '../../src/arch/hf-synthetic.js';
import { select } from '../../src/selection/node/select.js';
import { makeTmpDir } from '../helpers.js';
import { gatherRef, headRows, leftovers, llamaJson, range, readAll, uniform, type Tensor } from './helpers.js';

const tmp = makeTmpDir('wsel-llm-');
afterAll(() => tmp.cleanup());

let n = 0;
/** A synthetic teacher folder, sharded into small bf16 shards. */
function teacher(family: typeof llama | typeof gpt2 | typeof bert, json: Record<string, unknown>, optional?: (name: string) => boolean): string {
  const dir = tmp.file(`teacher${n++}`);
  writeSyntheticHfModel(dir, family, json, { seed: n, maxShardSize: 40_000, optional });
  return dir;
}
const out = () => tmp.file(`student${n++}`);
const config = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));

function expectGathered(student: Map<string, Tensor>, teacherT: Map<string, Tensor>, name: string, indices: (number[] | null)[], source = name): void {
  const s = student.get(name);
  expect(s, name).toBeDefined();
  expect(Buffer.from(s!.words.buffer, s!.words.byteOffset, s!.words.byteLength)
    .equals(Buffer.from(gatherRef(teacherT.get(source)!, indices).buffer)), name).toBe(true);
}

describe('Llama-style teachers', () => {
  it('half width, half depth: config.json, shapes, vocabulary, GQA groups, companions, record', () => {
    const t = teacher(llama, llamaJson());
    expect(readdirSync(t).filter((f) => f.endsWith('.safetensors')).length).toBeGreaterThan(2);
    const o = out();
    const result = select({ arch: 'llama', teacher: t, out: o, student: { hidden_size: 32, num_hidden_layers: 2, num_key_value_heads: 2 } });
    const c = config(o);
    // Whole heads of the teacher's width: 4 heads of 16 in 2 kv groups; the MLP at the teacher's ratio.
    expect(c).toMatchObject({ hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 16, intermediate_size: 48, vocab_size: 96, tie_word_embeddings: false, architectures: ['LlamaForCausalLM'], torch_dtype: 'bfloat16' });
    for (const f of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'generation_config.json']) {
      expect(readFileSync(path.join(o, f), 'utf8')).toBe(readFileSync(path.join(t, f), 'utf8'));
    }
    expect(existsSync(path.join(o, 'wsel_selection.json'))).toBe(true);
    expect(result.record).toBe(path.join(o, 'wsel_selection.json'));
    expect(leftovers(path.dirname(o))).toEqual([]);

    const T = readAll(t);
    const S = readAll(o);
    expect([...S.values()].every((x) => x.dtype === 'BF16')).toBe(true);
    const hidden = uniform(64, 32);
    // Vocabulary rows stay whole in the input and output embeddings.
    expect(S.get('model.embed_tokens.weight')!.shape).toEqual([96, 32]);
    expectGathered(S, T, 'model.embed_tokens.weight', [null, hidden]);
    expectGathered(S, T, 'lm_head.weight', [null, hidden]);
    // kv groups 0 and 2 of 4, with both of their query heads: q heads 0, 1 (group 0) and 4, 5 (group 2).
    const groups = uniform(4, 2);
    expect(groups).toEqual([0, 2]);
    const qHeads = groups.flatMap((g) => [g * 2, g * 2 + 1]);
    for (const i of [0, 1]) {
      const L = `model.layers.${i}`;
      expectGathered(S, T, `${L}.self_attn.q_proj.weight`, [headRows(qHeads, 16), hidden]);
      expectGathered(S, T, `${L}.self_attn.k_proj.weight`, [headRows(groups, 16), hidden]);
      expectGathered(S, T, `${L}.self_attn.v_proj.weight`, [headRows(groups, 16), hidden]);
      expectGathered(S, T, `${L}.self_attn.o_proj.weight`, [hidden, headRows(qHeads, 16)]);
      expectGathered(S, T, `${L}.mlp.down_proj.weight`, [hidden, uniform(96, 48)]);
      expectGathered(S, T, `${L}.input_layernorm.weight`, [hidden]);
    }
    // Student q head h reads kv group h // 2; it is a teacher head of exactly that teacher group.
    qHeads.forEach((teacherHead, h) => expect(Math.floor(teacherHead / 2)).toBe(groups[Math.floor(h / 2)]));
    expect(S.has('model.layers.2.input_layernorm.weight')).toBe(false);
    expect(result.layerMap['model.layers']).toEqual([0, 1]);
  });

  it('by default the student keeps the teacher\'s key/value groups when they divide its heads', () => {
    const t = teacher(llama, llamaJson());
    const o = out();
    select({ arch: 'llama', teacher: t, out: o, student: { hidden_size: 32, num_hidden_layers: 1 } });
    expect(config(o)).toMatchObject({ num_attention_heads: 4, num_key_value_heads: 4, head_dim: 16 });
    // One query head per group: the first of each pair.
    expectGathered(readAll(o), readAll(t), 'model.layers.0.self_attn.q_proj.weight', [headRows([0, 2, 4, 6], 16), uniform(64, 32)]);
  });

  it('fewer query heads per group keeps every group and the chosen heads inside each', () => {
    const t = teacher(llama, llamaJson({ num_key_value_heads: 2 }));
    const o = out();
    select({ arch: 'hf', teacher: t, out: o, student: { num_attention_heads: 4, num_hidden_layers: 1 } });
    expect(config(o)).toMatchObject({ hidden_size: 64, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 16 });
    const T = readAll(t);
    const S = readAll(o);
    // 4 query heads per group in the teacher, 2 in the student: heads 0, 2 of group 0 and 4, 6 of group 1.
    expectGathered(S, T, 'model.layers.0.self_attn.q_proj.weight', [headRows([0, 2, 4, 6], 16), null]);
    expectGathered(S, T, 'model.layers.0.self_attn.k_proj.weight', [null, null]);
    expectGathered(S, T, 'model.layers.0.self_attn.o_proj.weight', [null, headRows([0, 2, 4, 6], 16)]);
  });

  it('a narrower head keeps rotary pairs (j, j + head_dim/2); Qwen3 q_norm/k_norm follow', () => {
    const t = teacher(llama, llamaJson({ model_type: 'qwen3', architectures: ['Qwen3ForCausalLM'] }));
    const T = readAll(t);
    for (const elements of ['first', 'uniform', 'random', 'magnitude'] as const) {
      const o = out();
      const r = select({ arch: 'auto', teacher: t, out: o, student: { head_dim: 12, num_hidden_layers: 1 }, elements, seed: 5 });
      expect(config(o)).toMatchObject({ head_dim: 12, num_attention_heads: 8, num_key_value_heads: 4 });
      const record = JSON.parse(readFileSync(r.record, 'utf8'));
      const dims: number[] = record.spaces['model.layers.0.head_dim'].indices;
      expect(dims).toHaveLength(12);
      for (let j = 0; j < 6; j++) expect(dims[j + 6]).toBe(dims[j]! + 8);
      if (elements === 'first') expect(dims).toEqual([0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13]);
      if (elements === 'uniform') expect(dims).toEqual([...uniform(8, 6), ...uniform(8, 6).map((d) => d + 8)]);
      const S = readAll(o);
      expectGathered(S, T, 'model.layers.0.self_attn.q_norm.weight', [dims]);
      expectGathered(S, T, 'model.layers.0.self_attn.k_norm.weight', [dims]);
      expectGathered(S, T, 'model.layers.0.self_attn.q_proj.weight', [headRows(range(8), 16, dims), null]);
      expectGathered(S, T, 'model.layers.0.self_attn.k_proj.weight', [headRows(range(4), 16, dims), null]);
      expectGathered(S, T, 'model.layers.0.self_attn.o_proj.weight', [null, headRows(range(8), 16, dims)]);
    }
  });

  it('Qwen2 q/k/v biases follow their heads; o_proj has none', () => {
    const t = teacher(llama, llamaJson({ model_type: 'qwen2', tie_word_embeddings: true }));
    const o = out();
    select({ arch: 'hf', teacher: t, out: o, student: { hidden_size: 32, num_hidden_layers: 2, num_key_value_heads: 2 } });
    const T = readAll(t);
    const S = readAll(o);
    expectGathered(S, T, 'model.layers.1.self_attn.q_proj.bias', [headRows([0, 1, 4, 5], 16)]);
    expectGathered(S, T, 'model.layers.1.self_attn.k_proj.bias', [headRows([0, 2], 16)]);
    expect(S.has('model.layers.1.self_attn.o_proj.bias')).toBe(false);
    expect(S.has('lm_head.weight')).toBe(false);
  });

  it('tied embeddings stay tied (Gemma: tied by default, explicit head_dim kept)', () => {
    const json = llamaJson({ model_type: 'gemma', architectures: ['GemmaForCausalLM'], hidden_size: 48, head_dim: 16, num_attention_heads: 4, num_key_value_heads: 1, hidden_act: 'gelu_pytorch_tanh' });
    delete json.tie_word_embeddings;
    const t = teacher(llama, json);
    expect(readAll(t).has('lm_head.weight')).toBe(false);
    const o = out();
    select({ arch: 'hf', teacher: t, out: o, student: { hidden_size: 24, num_hidden_layers: 2 } });
    const c = config(o);
    expect(c).toMatchObject({ hidden_size: 24, num_attention_heads: 2, num_key_value_heads: 1, head_dim: 16, vocab_size: 96 });
    expect('tie_word_embeddings' in c).toBe(false);
    const S = readAll(o);
    expect(S.has('lm_head.weight')).toBe(false);
    expect(S.get('model.embed_tokens.weight')!.shape).toEqual([96, 24]);
  });

  it('a tied teacher file that also carries lm_head gives a student without one', () => {
    const t = teacher(llama, llamaJson({ tie_word_embeddings: false }));
    writeFileSync(path.join(t, 'config.json'), JSON.stringify(llamaJson({ tie_word_embeddings: true })));
    const o = out();
    select({ arch: 'hf', teacher: t, out: o, student: {} });
    expect(readAll(o).has('lm_head.weight')).toBe(false);
  });

  it('identity selection reproduces the teacher byte for byte (and keeps layer_types)', () => {
    const json = llamaJson({ model_type: 'qwen2', layer_types: ['full_attention', 'full_attention', 'sliding_attention', 'full_attention'] });
    const t = teacher(llama, json);
    const o = out();
    select({ arch: 'auto', teacher: t, out: o, student: {}, maxShardSize: 40_000 });
    expect(config(o)).toEqual(json);
    const T = readAll(t);
    const S = readAll(o);
    expect([...S.keys()].sort()).toEqual([...T.keys()].sort());
    for (const [name, x] of T) {
      expect(S.get(name)!.shape).toEqual(x.shape);
      expect(Buffer.from(S.get(name)!.words.buffer).equals(Buffer.from(x.words.buffer)), name).toBe(true);
    }
    expect(readdirSync(o).filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f)).length).toBeGreaterThan(2);
    expect(existsSync(path.join(o, 'model.safetensors.index.json'))).toBe(true);
  });

  it('--dtype converts and updates torch_dtype; layer maps carry layer_types', () => {
    const t = teacher(llama, llamaJson({ layer_types: ['a', 'b', 'c', 'd'] }));
    const o = out();
    select({ arch: 'llama', teacher: t, out: o, student: { num_hidden_layers: 2 }, layers: 'last', dtype: 'f32' });
    expect(config(o)).toMatchObject({ torch_dtype: 'float32', layer_types: ['c', 'd'], num_hidden_layers: 2 });
    expect(new Set([...readAll(o).values()].map((x) => x.dtype))).toEqual(new Set(['F32']));
  });

  it('refuses what would break the model, before writing anything', () => {
    const t = teacher(llama, llamaJson());
    expect(() => select({ arch: 'llama', teacher: t, out: out(), student: { vocab_size: 50 } })).toThrow(/vocab_size.*never/);
    expect(() => select({ arch: 'llama', teacher: t, out: out(), student: { num_attention_heads: 8, num_key_value_heads: 2 } })).toThrow(/groups/);
    expect(() => select({ arch: 'llama', teacher: t, out: out(), student: { head_dim: 32 } })).toThrow(/head_dim/);
    expect(() => select({ arch: 'gpt2', teacher: t, out: out(), student: {} })).toThrow(/model_type "llama"/);
    const existing = out();
    mkdirSync(existing);
    writeFileSync(path.join(existing, 'keep.txt'), 'x');
    expect(() => select({ arch: 'hf', teacher: t, out: existing, student: {} })).toThrow(/already exists/);
    expect(readdirSync(existing)).toEqual(['keep.txt']);
  });

  it('an error while streaming leaves no student folder and no temp files', () => {
    const t = teacher(llama, llamaJson());
    const shard = readdirSync(t).filter((f) => f.endsWith('.safetensors')).sort().at(-1)!;
    truncateSync(path.join(t, shard), 200);
    const parent = tmp.file(`atomic${n++}`);
    mkdirSync(parent);
    const o = path.join(parent, 'student');
    expect(() => select({ arch: 'hf', teacher: t, out: o, student: { hidden_size: 32 } })).toThrow();
    expect(readdirSync(parent)).toEqual([]);
  });
});

describe('GPT-2 teachers', () => {
  const json = { architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', vocab_size: 80, n_positions: 40, n_ctx: 40, n_embd: 48, n_layer: 3, n_head: 4, n_inner: null, activation_function: 'gelu_new', layer_norm_epsilon: 1e-5 };

  it('Conv1D [in, out] layouts, fused c_attn by whole heads, every position kept, tied', () => {
    const t = teacher(gpt2, json);
    const o = out();
    select({ arch: 'auto', teacher: t, out: o, student: { n_embd: 24, n_layer: 2 } });
    expect(config(o)).toMatchObject({ n_embd: 24, n_layer: 2, n_head: 2, n_inner: null, n_positions: 40, vocab_size: 80 });
    const T = readAll(t);
    const S = readAll(o);
    const hidden = uniform(48, 24);
    const heads = headRows(uniform(4, 2), 12);
    const qkv = [0, 1, 2].flatMap((part) => heads.map((i) => part * 48 + i));
    expect(S.get('transformer.h.1.attn.c_attn.weight')!.shape).toEqual([24, 72]);
    expectGathered(S, T, 'transformer.h.1.attn.c_attn.weight', [hidden, qkv]);
    expectGathered(S, T, 'transformer.h.1.attn.c_attn.bias', [qkv]);
    expectGathered(S, T, 'transformer.h.1.attn.c_proj.weight', [heads, hidden]);
    expectGathered(S, T, 'transformer.h.0.mlp.c_fc.weight', [hidden, uniform(192, 96)]);
    expectGathered(S, T, 'transformer.wpe.weight', [null, hidden]);
    expectGathered(S, T, 'transformer.wte.weight', [null, hidden]);
    expect(S.has('lm_head.weight')).toBe(false);
  });

  it('accepts the common field names and old checkpoints with mask buffers and no prefix', () => {
    const t = tmp.file(`teacher${n++}`);
    writeSyntheticHfModel(t, gpt2, json, { optional: () => true });
    const o = out();
    select({ arch: 'gpt2', teacher: t, out: o, student: { hidden_size: 24, num_hidden_layers: 1, intermediate_size: 64 } });
    expect(config(o)).toMatchObject({ n_embd: 24, n_layer: 1, n_head: 2, n_inner: 64 });
    const S = readAll(o);
    expect(S.get('transformer.h.0.attn.bias')!.shape).toEqual([1, 1, 40, 40]);
    expect(S.get('transformer.h.0.attn.masked_bias')!.shape).toEqual([]);
  });
});

describe('BERT teachers', () => {
  it('embeddings, encoder layers, pooler and pretraining heads; vocabulary, positions and types whole', () => {
    const json = { architectures: ['BertForPreTraining'], model_type: 'bert', vocab_size: 70, max_position_embeddings: 24, type_vocab_size: 2, hidden_size: 48, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 192, layer_norm_eps: 1e-12 };
    const t = teacher(bert, json);
    const o = out();
    select({ arch: 'bert', teacher: t, out: o, student: { hidden_size: 24, num_hidden_layers: 2 } });
    expect(config(o)).toMatchObject({ hidden_size: 24, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 96, vocab_size: 70 });
    const T = readAll(t);
    const S = readAll(o);
    const hidden = uniform(48, 24);
    const heads = headRows(uniform(4, 2), 12);
    expectGathered(S, T, 'bert.embeddings.word_embeddings.weight', [null, hidden]);
    expectGathered(S, T, 'bert.embeddings.position_embeddings.weight', [null, hidden]);
    expectGathered(S, T, 'bert.embeddings.token_type_embeddings.weight', [null, hidden]);
    expectGathered(S, T, 'bert.encoder.layer.1.attention.self.query.weight', [heads, hidden]);
    expectGathered(S, T, 'bert.encoder.layer.1.attention.output.dense.weight', [hidden, heads]);
    expectGathered(S, T, 'bert.encoder.layer.1.output.LayerNorm.weight', [hidden]);
    expectGathered(S, T, 'bert.pooler.dense.weight', [hidden, hidden]);
    expectGathered(S, T, 'cls.predictions.bias', [null]);
    expectGathered(S, T, 'cls.seq_relationship.weight', [null, hidden]);
    expect(S.has('cls.predictions.decoder.weight')).toBe(false);
    expect(S.has('bert.encoder.layer.2.output.LayerNorm.weight')).toBe(false);
  });
});
