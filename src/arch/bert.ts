// BERT in the Hugging Face layout: bert.embeddings.{word,position,token_type}_embeddings + LayerNorm,
// bert.encoder.layer.N.{attention.self.{query,key,value}, attention.output.{dense,LayerNorm},
// intermediate.dense, output.{dense,LayerNorm}}, bert.pooler.dense, and the pretraining heads cls.predictions
// (MLM transform, bias over the vocabulary, decoder tied to the word embeddings) and cls.seq_relationship (NSP).
// Bare BertModel checkpoints have no "bert." prefix and no heads; pooler and heads are optional for that reason.
import { DeclBuilder } from './builder.js';
import { ConfigError, positiveInt } from './config-util.js';
import { hfBool, hfInt, hfLayerCount, namePrefix, normalizeOverrides, scaledWidth, studentHeads, type HfFamily, type HfJson } from './hf-config.js';

export interface BertConfig {
  vocab_size: number;
  max_position_embeddings: number;
  type_vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  tie_word_embeddings: boolean;
  prefix: string;
}

const FIELDS = ['hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size'];

function validate(c: BertConfig): BertConfig {
  for (const f of ['vocab_size', 'max_position_embeddings', 'type_vocab_size', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size'] as const) {
    positiveInt(c[f], f);
  }
  if (c.hidden_size % c.num_attention_heads !== 0) {
    throw new ConfigError(`hidden_size ${c.hidden_size} is not divisible by num_attention_heads ${c.num_attention_heads}`);
  }
  return c;
}

export const bert: HfFamily<BertConfig> = {
  name: 'bert',
  description: 'BERT (embeddings.{word,position,token_type}_embeddings, encoder.layer.N.attention.self.{query,key,value}, pooler, cls heads)',
  modelTypes: ['bert'],
  studentFields: FIELDS,

  fromHf(json: HfJson, names) {
    const prefix = namePrefix(names, 'embeddings.word_embeddings.weight', ['bert.', '']);
    return validate({
      vocab_size: hfInt(json, 'vocab_size'),
      max_position_embeddings: hfInt(json, 'max_position_embeddings'),
      type_vocab_size: hfInt(json, 'type_vocab_size', 2),
      hidden_size: hfInt(json, 'hidden_size'),
      num_hidden_layers: hfLayerCount(json, 'num_hidden_layers', names, `${prefix}encoder.layer`),
      num_attention_heads: hfInt(json, 'num_attention_heads'),
      intermediate_size: hfInt(json, 'intermediate_size'),
      tie_word_embeddings: hfBool(json, 'tie_word_embeddings', true),
      prefix,
    });
  },

  studentConfig(teacher, overrides) {
    const o = normalizeOverrides(overrides, FIELDS, {}, 'BERT');
    const c = { ...teacher, ...o } as BertConfig;
    const hidden = positiveInt(c.hidden_size, 'hidden_size');
    c.num_attention_heads = studentHeads(teacher.hidden_size, teacher.num_attention_heads, hidden, o.num_attention_heads);
    if (o.intermediate_size === undefined) c.intermediate_size = scaledWidth(teacher.intermediate_size, hidden, teacher.hidden_size);
    validate(c);
    if (c.hidden_size / c.num_attention_heads > teacher.hidden_size / teacher.num_attention_heads) {
      throw new ConfigError(`heads of ${c.hidden_size / c.num_attention_heads} dimensions are wider than the teacher's ${teacher.hidden_size / teacher.num_attention_heads}`);
    }
    return c;
  },

  layerCount: (c) => c.num_hidden_layers,

  toHf(s) {
    return {
      hidden_size: s.hidden_size, num_hidden_layers: s.num_hidden_layers,
      num_attention_heads: s.num_attention_heads, intermediate_size: s.intermediate_size,
    };
  },

  declare(c) {
    validate(c);
    const b = new DeclBuilder('bert', { ...c });
    const P = c.prefix;
    const E = `${P}embeddings`;
    b.space('embed', c.hidden_size)
      .space('vocab', c.vocab_size, { fixed: 'the vocabulary (embedding rows are kept whole)' })
      .space('positions', c.max_position_embeddings, { fixed: 'the learned positions (every position is kept)' })
      .space('token_types', c.type_vocab_size, { fixed: 'the token types' })
      .space('unit', 1, { fixed: 'a singleton axis' })
      .space('pooler', c.hidden_size)
      .space('nsp', 2, { fixed: 'the next-sentence labels' });
    b.tensor(`${E}.word_embeddings.weight`, 'embed', 'vocab', 'embed')
      .tensor(`${E}.position_embeddings.weight`, 'embed', 'positions', 'embed')
      .tensor(`${E}.token_type_embeddings.weight`, 'embed', 'token_types', 'embed')
      .optionalTensor(`${E}.position_ids`, 'embed', 'unit', 'positions')
      .norm(`${E}.LayerNorm`, 'embed');
    b.stack(`${P}encoder.layer`, c.num_hidden_layers);
    for (let i = 0; i < c.num_hidden_layers; i++) {
      const L = `${P}encoder.layer.${i}`;
      b.space(`${L}.heads`, c.num_attention_heads)
        .space(`${L}.head_dim`, c.hidden_size / c.num_attention_heads)
        .product(`${L}.attn`, [`${L}.heads`, `${L}.head_dim`])
        .space(`${L}.mlp`, c.intermediate_size);
      b.linear(`${L}.attention.self.query`, 'attn', `${L}.attn`, 'embed')
        .linear(`${L}.attention.self.key`, 'attn', `${L}.attn`, 'embed')
        .linear(`${L}.attention.self.value`, 'attn', `${L}.attn`, 'embed')
        .linear(`${L}.attention.output.dense`, 'attn', 'embed', `${L}.attn`)
        .norm(`${L}.attention.output.LayerNorm`, 'embed')
        .linear(`${L}.intermediate.dense`, 'mlp', `${L}.mlp`, 'embed')
        .linear(`${L}.output.dense`, 'mlp', 'embed', `${L}.mlp`)
        .norm(`${L}.output.LayerNorm`, 'embed');
    }
    b.optionalTensor(`${P}pooler.dense.weight`, 'lm_head', 'pooler', 'embed')
      .optionalTensor(`${P}pooler.dense.bias`, 'lm_head', 'pooler');
    // The MLM transform maps the hidden state back into the (tied) word-embedding space.
    b.optionalTensor('cls.predictions.transform.dense.weight', 'lm_head', 'embed', 'embed')
      .optionalTensor('cls.predictions.transform.dense.bias', 'lm_head', 'embed')
      .optionalTensor('cls.predictions.transform.LayerNorm.weight', 'lm_head', 'embed')
      .optionalTensor('cls.predictions.transform.LayerNorm.bias', 'lm_head', 'embed')
      .optionalTensor('cls.predictions.bias', 'lm_head', 'vocab')
      .optionalTensor('cls.predictions.decoder.bias', 'lm_head', 'vocab');
    if (!c.tie_word_embeddings) b.optionalTensor('cls.predictions.decoder.weight', 'lm_head', 'vocab', 'embed');
    b.optionalTensor('cls.seq_relationship.weight', 'lm_head', 'nsp', 'pooler')
      .optionalTensor('cls.seq_relationship.bias', 'lm_head', 'nsp');
    return b.build();
  },
};
