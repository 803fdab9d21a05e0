// GPT-2 in the Hugging Face layout: transformer.{wte, wpe, h.N.{ln_1, attn.c_attn, attn.c_proj, ln_2,
// mlp.c_fc, mlp.c_proj}, ln_f} (no "transformer." prefix in the original checkpoints), lm_head tied to wte.
// Its Linear layers are Conv1D: weights are stored [in, out], so c_attn.weight is (hidden, 3 x hidden) with
// the fused [q; k; v] on the second axis. Learned position embeddings (wpe) keep every position.
import { DeclBuilder } from './builder.js';
import { ConfigError, positiveInt } from './config-util.js';
import { hfBool, hfInt, hfLayerCount, namePrefix, normalizeOverrides, scaledWidth, studentHeads, type HfFamily, type HfJson } from './hf-config.js';

export interface Gpt2Config {
  vocab_size: number;
  n_positions: number;
  n_embd: number;
  n_layer: number;
  n_head: number;
  /** MLP width (config.json's n_inner; null there means 4 x n_embd). */
  n_inner: number;
  tie_word_embeddings: boolean;
  prefix: string;
}

const FIELDS = ['n_embd', 'n_layer', 'n_head', 'n_inner'];
// transformers' GPT2Config attribute_map, plus intermediate_size, so one student JSON fits every family.
const ALIASES = { hidden_size: 'n_embd', num_hidden_layers: 'n_layer', num_attention_heads: 'n_head', intermediate_size: 'n_inner' };

function validate(c: Gpt2Config): Gpt2Config {
  for (const f of ['vocab_size', 'n_positions', 'n_embd', 'n_layer', 'n_head', 'n_inner'] as const) positiveInt(c[f], f);
  if (c.n_embd % c.n_head !== 0) throw new ConfigError(`n_embd ${c.n_embd} is not divisible by n_head ${c.n_head}`);
  return c;
}

export const gpt2: HfFamily<Gpt2Config> = {
  name: 'gpt2',
  description: 'GPT-2 (wte, wpe, h.N.attn.c_attn fused and Conv1D [in, out], h.N.mlp.c_fc/c_proj, ln_f)',
  modelTypes: ['gpt2'],
  studentFields: FIELDS,

  fromHf(json: HfJson, names) {
    const n_embd = hfInt(json, 'n_embd');
    const prefix = namePrefix(names, 'wte.weight', ['transformer.', '']);
    return validate({
      vocab_size: hfInt(json, 'vocab_size'),
      n_positions: hfInt(json, 'n_positions'),
      n_embd,
      n_layer: hfLayerCount(json, 'n_layer', names, `${prefix}h`),
      n_head: hfInt(json, 'n_head'),
      n_inner: hfInt(json, 'n_inner', 4 * n_embd),
      tie_word_embeddings: hfBool(json, 'tie_word_embeddings', true),
      prefix,
    });
  },

  studentConfig(teacher, overrides) {
    const o = normalizeOverrides(overrides, FIELDS, ALIASES, 'GPT-2');
    const c = { ...teacher, ...o } as Gpt2Config;
    c.n_head = studentHeads(teacher.n_embd, teacher.n_head, positiveInt(c.n_embd, 'n_embd'), o.n_head);
    // The MLP keeps the teacher's ratio unless given (4 x n_embd stays 4 x n_embd).
    if (o.n_inner === undefined) c.n_inner = scaledWidth(teacher.n_inner, c.n_embd, teacher.n_embd);
    validate(c);
    if (c.n_embd / c.n_head > teacher.n_embd / teacher.n_head) {
      throw new ConfigError(`heads of ${c.n_embd / c.n_head} dimensions are wider than the teacher's ${teacher.n_embd / teacher.n_head}`);
    }
    return c;
  },

  layerCount: (c) => c.n_layer,

  toHf(s, _t, json) {
    const out: HfJson = { n_embd: s.n_embd, n_layer: s.n_layer, n_head: s.n_head };
    if ((json.n_inner !== undefined && json.n_inner !== null) || s.n_inner !== 4 * s.n_embd) out.n_inner = s.n_inner;
    return out;
  },

  declare(c) {
    validate(c);
    const b = new DeclBuilder('gpt2', { ...c });
    const P = c.prefix;
    b.space('embed', c.n_embd)
      .space('vocab', c.vocab_size, { fixed: 'the vocabulary (embedding rows are kept whole)' })
      .space('positions', c.n_positions, { fixed: 'the learned positions (every position is kept)' })
      .space('unit', 1, { fixed: 'a singleton axis' });
    b.tensor(`${P}wte.weight`, 'embed', 'vocab', 'embed')
      .tensor(`${P}wpe.weight`, 'embed', 'positions', 'embed');
    b.stack(`${P}h`, c.n_layer);
    for (let i = 0; i < c.n_layer; i++) {
      const L = `${P}h.${i}`;
      b.space(`${L}.heads`, c.n_head)
        .space(`${L}.head_dim`, c.n_embd / c.n_head)
        .product(`${L}.attn`, [`${L}.heads`, `${L}.head_dim`])
        .space(`${L}.mlp`, c.n_inner);
      b.norm(`${L}.ln_1`, 'embed')
        .tensor(`${L}.attn.c_attn.weight`, 'attn', 'embed', { space: `${L}.attn`, repeat: 3 })
        .tensor(`${L}.attn.c_attn.bias`, 'attn', { space: `${L}.attn`, repeat: 3 })
        .tensor(`${L}.attn.c_proj.weight`, 'attn', `${L}.attn`, 'embed')
        .tensor(`${L}.attn.c_proj.bias`, 'attn', 'embed')
        // Causal-mask buffers that older checkpoints saved.
        .optionalTensor(`${L}.attn.bias`, 'attn', 'unit', 'unit', 'positions', 'positions')
        .optionalTensor(`${L}.attn.masked_bias`, 'attn')
        .norm(`${L}.ln_2`, 'embed')
        .tensor(`${L}.mlp.c_fc.weight`, 'mlp', 'embed', `${L}.mlp`)
        .tensor(`${L}.mlp.c_fc.bias`, 'mlp', `${L}.mlp`)
        .tensor(`${L}.mlp.c_proj.weight`, 'mlp', `${L}.mlp`, 'embed')
        .tensor(`${L}.mlp.c_proj.bias`, 'mlp', 'embed');
    }
    b.norm(`${P}ln_f`, 'embed');
    if (!c.tie_word_embeddings && P !== '') b.tensor('lm_head.weight', 'lm_head', 'vocab', 'embed');
    return b.build();
  },
};
