// Llama-style decoders in the Hugging Face layout: Llama 2/3, Mistral, Qwen2 (q/k/v biases), Qwen3 (per-head
// q_norm/k_norm), Gemma 1/2/3 (text). Names: model.embed_tokens, model.layers.N.{input_layernorm,
// self_attn.{q,k,v,o}_proj, post_attention_layernorm, mlp.{gate,up,down}_proj}, model.norm, lm_head.
//
// Attention is declared structurally so that selection keeps it valid: the query space is the product
// [kv groups, query heads per group, head_dim] and the key/value space [kv groups, head_dim]; query head h
// belongs to group h // (heads / kv_heads), as transformers' repeat_kv expands it. head_dim is `paired`:
// rotary embeddings rotate dimension j with j + head_dim/2 (rotate_half), so a narrower head keeps whole pairs.
// Gemma's conventions (embeddings scaled by sqrt(hidden), RMSNorm weights applied as 1 + w, tied embeddings,
// explicit head_dim) change nothing in selection: the student recomputes the scale from its own hidden size.
import { DeclBuilder } from './builder.js';
import { ConfigError, positiveInt } from './config-util.js';
import {
  hfBool, hfInt, hfLayerCount, namePrefix, normalizeOverrides, scaled, scaledWidth, type HfFamily, type HfJson,
} from './hf-config.js';

export interface LlamaConfig {
  model_type: string;
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  head_dim: number;
  tie_word_embeddings: boolean;
  /** Biases on q, k and v (Qwen2; Llama/Qwen3/Gemma with attention_bias). */
  qkv_bias: boolean;
  /** Bias on o_proj (attention_bias, not Qwen2). */
  o_bias: boolean;
  mlp_bias: boolean;
  /** Per-head RMSNorm of queries and keys over head_dim (Qwen3, Gemma 3). */
  qk_norm: boolean;
  /** Extra pre/post feed-forward norms (Gemma 2 and 3). */
  sandwich_norm: boolean;
  /** Name prefix of the decoder ("model." in *ForCausalLM checkpoints, "" in bare *Model ones). */
  prefix: string;
}

const MODEL_TYPES = ['llama', 'mistral', 'qwen2', 'qwen3', 'gemma', 'gemma2', 'gemma3_text'] as const;
const TIED_BY_DEFAULT = new Set(['gemma', 'gemma2', 'gemma3_text']);
const QK_NORM = new Set(['qwen3', 'gemma3_text']);
const SANDWICH = new Set(['gemma2', 'gemma3_text']);
const STUDENT_FIELDS = ['hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads', 'num_key_value_heads', 'head_dim'];

function validate(c: LlamaConfig): LlamaConfig {
  for (const f of ['vocab_size', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads', 'num_key_value_heads', 'head_dim'] as const) {
    positiveInt(c[f], f);
  }
  if (c.num_attention_heads % c.num_key_value_heads !== 0) {
    throw new ConfigError(`num_attention_heads ${c.num_attention_heads} is not a multiple of num_key_value_heads ${c.num_key_value_heads}`);
  }
  if (c.head_dim % 2 !== 0) throw new ConfigError(`head_dim ${c.head_dim} must be even (rotary embeddings rotate pairs of dimensions)`);
  return c;
}

/** head_dim follows hidden / heads unless the config sets it apart (Gemma, small Qwen3). */
const derivedHeadDim = (c: LlamaConfig) => c.head_dim * c.num_attention_heads === c.hidden_size;

export const llama: HfFamily<LlamaConfig> = {
  name: 'llama',
  description: 'Llama-style decoders (llama, mistral, qwen2, qwen3, gemma, gemma2, gemma3_text): model.layers.N.self_attn.{q,k,v,o}_proj, mlp.{gate,up,down}_proj',
  modelTypes: MODEL_TYPES,
  studentFields: STUDENT_FIELDS,

  fromHf(json: HfJson, names) {
    const model_type = typeof json.model_type === 'string' ? json.model_type : 'llama';
    const hidden_size = hfInt(json, 'hidden_size');
    const num_attention_heads = hfInt(json, 'num_attention_heads');
    const attentionBias = hfBool(json, 'attention_bias', false);
    const prefix = namePrefix(names, 'embed_tokens.weight', ['model.', '']);
    return validate({
      model_type,
      vocab_size: hfInt(json, 'vocab_size'),
      hidden_size,
      intermediate_size: hfInt(json, 'intermediate_size'),
      num_hidden_layers: hfLayerCount(json, 'num_hidden_layers', names, `${prefix}layers`),
      num_attention_heads,
      num_key_value_heads: hfInt(json, 'num_key_value_heads', num_attention_heads),
      head_dim: hfInt(json, 'head_dim', Math.floor(hidden_size / num_attention_heads)),
      tie_word_embeddings: hfBool(json, 'tie_word_embeddings', TIED_BY_DEFAULT.has(model_type)),
      qkv_bias: model_type === 'qwen2' || attentionBias,
      o_bias: model_type !== 'qwen2' && attentionBias,
      mlp_bias: hfBool(json, 'mlp_bias', false),
      qk_norm: QK_NORM.has(model_type),
      sandwich_norm: SANDWICH.has(model_type),
      prefix,
    });
  },

  studentConfig(teacher, overrides) {
    const o = normalizeOverrides(overrides, STUDENT_FIELDS, {}, 'Llama-style');
    // head_dim stays the teacher's unless given (whole heads, rotary frequencies unchanged); a student whose
    // heads x head_dim differs from hidden_size gets an explicit head_dim in config.json.
    const c = { ...teacher, ...o } as LlamaConfig;
    if (o.num_attention_heads === undefined && c.hidden_size !== teacher.hidden_size) {
      // A narrower student keeps the teacher's head width: fewer heads, in proportion (whole-head selection).
      const heads = scaled(teacher.num_attention_heads, positiveInt(c.hidden_size, 'hidden_size'), teacher.hidden_size);
      if (heads === null) throw new ConfigError(`hidden_size ${c.hidden_size} does not give a whole number of heads at the teacher's ratio; give num_attention_heads`);
      c.num_attention_heads = heads;
    }
    if (o.intermediate_size === undefined) c.intermediate_size = scaledWidth(teacher.intermediate_size, c.hidden_size, teacher.hidden_size);
    if (o.num_key_value_heads === undefined) {
      // Multi-head stays multi-head. Grouped-query keeps the teacher's key/value groups when they divide the
      // heads (as the Llama 3 sizes share 8 groups), otherwise the teacher's query heads per group.
      const heads = positiveInt(c.num_attention_heads, 'num_attention_heads');
      const perGroup = teacher.num_attention_heads / teacher.num_key_value_heads;
      const kv = perGroup === 1 ? heads : heads % teacher.num_key_value_heads === 0 ? teacher.num_key_value_heads : scaled(heads, 1, perGroup);
      if (kv === null) throw new ConfigError(`num_attention_heads ${heads} fits neither the teacher's ${teacher.num_key_value_heads} key/value groups nor its ${perGroup} query heads per group; give num_key_value_heads`);
      c.num_key_value_heads = kv;
    }
    validate(c);
    const perGroup = c.num_attention_heads / c.num_key_value_heads;
    const teacherPerGroup = teacher.num_attention_heads / teacher.num_key_value_heads;
    if (c.num_key_value_heads > teacher.num_key_value_heads || perGroup > teacherPerGroup) {
      throw new ConfigError(`grouped-query attention: the student's ${c.num_key_value_heads} key/value groups of ${perGroup} query heads do not fit in the teacher's ${teacher.num_key_value_heads} groups of ${teacherPerGroup}`);
    }
    if (c.head_dim > teacher.head_dim) throw new ConfigError(`head_dim ${c.head_dim} is larger than the teacher's ${teacher.head_dim}`);
    return c;
  },

  layerCount: (c) => c.num_hidden_layers,

  toHf(s, t, json) {
    const out: HfJson = {
      hidden_size: s.hidden_size,
      intermediate_size: s.intermediate_size,
      num_hidden_layers: s.num_hidden_layers,
      num_attention_heads: s.num_attention_heads,
    };
    if ('num_key_value_heads' in json || s.num_key_value_heads !== s.num_attention_heads) out.num_key_value_heads = s.num_key_value_heads;
    if ((json.head_dim !== undefined && json.head_dim !== null) || !derivedHeadDim(s)) out.head_dim = s.head_dim;
    // Gemma 2/3 scale queries by query_pre_attn_scalar ** -0.5, set to head_dim or hidden / heads.
    const scalar = json.query_pre_attn_scalar;
    if (scalar === t.head_dim) out.query_pre_attn_scalar = s.head_dim;
    else if (scalar === t.hidden_size / t.num_attention_heads) out.query_pre_attn_scalar = s.hidden_size / s.num_attention_heads;
    return out;
  },

  declare(c) {
    validate(c);
    const b = new DeclBuilder('llama', { ...c });
    const P = c.prefix;
    b.space('embed', c.hidden_size)
      .space('vocab', c.vocab_size, { fixed: 'the vocabulary (embedding and output rows are kept whole)' });
    b.tensor(`${P}embed_tokens.weight`, 'embed', 'vocab', 'embed');
    b.stack(`${P}layers`, c.num_hidden_layers);
    for (let i = 0; i < c.num_hidden_layers; i++) {
      const L = `${P}layers.${i}`;
      const A = `${L}.self_attn`;
      b.space(`${L}.kv_groups`, c.num_key_value_heads)
        .space(`${L}.q_per_group`, c.num_attention_heads / c.num_key_value_heads)
        .space(`${L}.head_dim`, c.head_dim, { paired: true })
        .product(`${L}.q`, [`${L}.kv_groups`, `${L}.q_per_group`, `${L}.head_dim`])
        .product(`${L}.kv`, [`${L}.kv_groups`, `${L}.head_dim`])
        .space(`${L}.mlp`, c.intermediate_size);
      b.tensor(`${L}.input_layernorm.weight`, 'norm', 'embed')
        .linear(`${A}.q_proj`, 'attn', `${L}.q`, 'embed', c.qkv_bias)
        .linear(`${A}.k_proj`, 'attn', `${L}.kv`, 'embed', c.qkv_bias)
        .linear(`${A}.v_proj`, 'attn', `${L}.kv`, 'embed', c.qkv_bias)
        .linear(`${A}.o_proj`, 'attn', 'embed', `${L}.q`, c.o_bias);
      if (c.qk_norm) b.tensor(`${A}.q_norm.weight`, 'norm', `${L}.head_dim`).tensor(`${A}.k_norm.weight`, 'norm', `${L}.head_dim`);
      b.tensor(`${L}.post_attention_layernorm.weight`, 'norm', 'embed');
      if (c.sandwich_norm) {
        b.tensor(`${L}.pre_feedforward_layernorm.weight`, 'norm', 'embed')
          .tensor(`${L}.post_feedforward_layernorm.weight`, 'norm', 'embed');
      }
      b.linear(`${L}.mlp.gate_proj`, 'mlp', `${L}.mlp`, 'embed', c.mlp_bias)
        .linear(`${L}.mlp.up_proj`, 'mlp', `${L}.mlp`, 'embed', c.mlp_bias)
        .linear(`${L}.mlp.down_proj`, 'mlp', 'embed', `${L}.mlp`, c.mlp_bias);
    }
    b.tensor(`${P}norm.weight`, 'norm', 'embed');
    // Tied: the student has no lm_head tensor either (even when a teacher file carries a copy).
    if (!c.tie_word_embeddings && P !== '') b.tensor('lm_head.weight', 'lm_head', 'vocab', 'embed');
    return b.build();
  },
};
