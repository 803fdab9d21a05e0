// Vision Transformer, timm layout (`vision_transformer.py`): patch embedding, class/register tokens, position
// embeddings, pre-norm blocks with fused qkv attention and a two-layer MLP, final norm (or fc_norm for
// average pooling), linear head.
import { DeclBuilder } from './builder.js';
import {
  checkKnownFields, ConfigError, countLayers, hiddenWidth, nonNegativeInt, positiveInt, requireShape,
} from './config-util.js';
import { applyTimmName } from './timm-names.js';
import type { Family } from './types.js';

export interface VitConfig {
  img_size: number;
  patch_size: number;
  in_chans: number;
  num_classes: number;
  embed_dim: number;
  depth: number;
  num_heads: number;
  /** MLP hidden width = round(embed_dim * mlp_ratio), as timm. */
  mlp_ratio: number;
  qkv_bias: boolean;
  class_token: boolean;
  /** 'token' reads the class token; 'avg' averages patch tokens and uses fc_norm instead of norm. */
  global_pool: 'token' | 'avg';
  reg_tokens: number;
  /** Layer scale (ls1.gamma / ls2.gamma) when set. */
  init_values: number | null;
  /** timm's no_embed_class: position embeddings cover only the patches, not the prefix tokens. */
  no_embed_class: boolean;
}

const FIELDS = [
  'img_size', 'patch_size', 'in_chans', 'num_classes', 'embed_dim', 'depth', 'num_heads', 'mlp_ratio',
  'qkv_bias', 'class_token', 'global_pool', 'reg_tokens', 'init_values', 'no_embed_class',
] as const;

export const VIT_DEFAULTS: VitConfig = {
  img_size: 224, patch_size: 16, in_chans: 3, num_classes: 1000, embed_dim: 768, depth: 12, num_heads: 12,
  mlp_ratio: 4, qkv_bias: true, class_token: true, global_pool: 'token', reg_tokens: 0, init_values: null,
  no_embed_class: false,
};

/** The usual head width of ViTs; used to guess the head count, which shapes cannot show. */
const DEFAULT_HEAD_DIM = 64;

/**
 * The head rule: a config that changes the width without giving num_heads keeps its base's head width (ViT-S
 * 6 x 64 -> 192 wide: ViT-Ti's 3 x 64). When that width does not divide the new one, nothing is guessed.
 */
function keptHeads(base: VitConfig, width: number): number {
  positiveInt(width, 'embed_dim');
  const headDim = base.embed_dim / base.num_heads;
  if (width % headDim === 0) return width / headDim;
  const divisors = Array.from({ length: width }, (_, i) => i + 1).filter((h) => width % h === 0);
  const near = divisors.reduce((a, b) => (Math.abs(b - base.num_heads) < Math.abs(a - base.num_heads) ? b : a));
  throw new ConfigError(`embed_dim ${width} cannot keep the ${headDim}-wide heads of ${base.embed_dim} (${base.num_heads} x ${headDim}): give num_heads, a divisor of ${width} (e.g. "num_heads": ${near}, heads ${width / near} wide)`);
}

export function mlpHidden(c: VitConfig): number {
  return hiddenWidth(c.embed_dim, c.mlp_ratio);
}

function gridSide(c: VitConfig): number {
  return Math.floor(c.img_size / c.patch_size);
}

function validate(c: VitConfig): VitConfig {
  for (const f of ['img_size', 'patch_size', 'in_chans', 'embed_dim', 'depth', 'num_heads'] as const) positiveInt(c[f], f);
  nonNegativeInt(c.num_classes, 'num_classes');
  nonNegativeInt(c.reg_tokens, 'reg_tokens');
  if (typeof c.mlp_ratio !== 'number' || !(c.mlp_ratio > 0)) throw new ConfigError('config field "mlp_ratio" must be a positive number');
  if (c.embed_dim % c.num_heads !== 0) {
    throw new ConfigError(`embed_dim ${c.embed_dim} is not divisible by num_heads ${c.num_heads}`);
  }
  if (c.init_values !== null && !(typeof c.init_values === 'number' && c.init_values > 0)) {
    throw new ConfigError(`init_values must be a positive number (layer scale) or null (none; timm builds none for 0 either), got ${JSON.stringify(c.init_values)}`);
  }
  if (c.global_pool !== 'token' && c.global_pool !== 'avg') throw new ConfigError('global_pool must be "token" or "avg"');
  if (c.global_pool === 'token' && !c.class_token) throw new ConfigError('global_pool "token" needs class_token: true');
  return c;
}

export const vit: Family<VitConfig> = {
  name: 'vit',
  description: 'Vision Transformer (timm names: cls_token, pos_embed, patch_embed.proj, blocks.N.attn.qkv, ...)',
  unseenByShapes: ['num_heads', 'init_values'],

  inferConfig(shapes) {
    const patch = requireShape(shapes, 'patch_embed.proj.weight', 4, 'ViT');
    const embed_dim = patch[0]!;
    const depth = countLayers(shapes, 'blocks');
    if (depth === 0) throw new ConfigError('not a ViT checkpoint: no "blocks.N." tensors');
    const fc1 = requireShape(shapes, 'blocks.0.mlp.fc1.weight', 2, 'ViT');
    const class_token = shapes.has('cls_token');
    const reg = shapes.get('reg_token');
    const reg_tokens = reg ? reg[1]! : 0;
    const prefix = (class_token ? 1 : 0) + reg_tokens;
    const pos = shapes.get('pos_embed');
    const patch_size = patch[2]!;
    let img_size = 224;
    let no_embed_class = false;
    if (pos) {
      // pos_embed covers prefix + grid tokens, or the grid only (no_embed_class).
      let grid = Math.round(Math.sqrt(pos[1]! - prefix));
      if (grid * grid !== pos[1]! - prefix) {
        grid = Math.round(Math.sqrt(pos[1]!));
        if (grid * grid !== pos[1]!) throw new ConfigError(`pos_embed has ${pos[1]} tokens, which is not a square grid`);
        no_embed_class = true;
      }
      img_size = grid * patch_size;
    }
    const head = shapes.get('head.weight');
    return validate({
      img_size, patch_size, in_chans: patch[1]!, num_classes: head ? head[0]! : 0, embed_dim, depth,
      num_heads: embed_dim % DEFAULT_HEAD_DIM === 0 ? embed_dim / DEFAULT_HEAD_DIM : 1,
      mlp_ratio: fc1[0]! / embed_dim, qkv_bias: shapes.has('blocks.0.attn.qkv.bias'), class_token,
      global_pool: shapes.has('fc_norm.weight') ? 'avg' : 'token', reg_tokens,
      init_values: shapes.has('blocks.0.ls1.gamma') ? 1e-5 : null, no_embed_class,
    });
  },

  studentConfig(teacher, overrides) {
    ({ base: teacher, overrides } = applyTimmName('vit', VIT_DEFAULTS, teacher, overrides));
    checkKnownFields(overrides, FIELDS, 'ViT');
    const merged = { ...teacher, ...overrides } as VitConfig;
    if (overrides.num_heads === undefined && merged.embed_dim !== teacher.embed_dim) merged.num_heads = keptHeads(teacher, merged.embed_dim);
    return validate(merged);
  },

  declare(c) {
    validate(c);
    const b = new DeclBuilder('vit', { ...c });
    const grid = gridSide(c);
    const prefix = (c.class_token ? 1 : 0) + c.reg_tokens;
    b.space('embed', c.embed_dim)
      .space('unit', 1, { fixed: 'a singleton axis' })
      .space('in_chans', c.in_chans, { fixed: 'input channels' })
      .space('patch', c.patch_size)
      .space('tokens', c.no_embed_class ? grid * grid : prefix + grid * grid, {
        fixed: 'the token grid (position embeddings are kept for the same grid)',
      })
      .space('classes', c.num_classes, { fixed: 'the label set' });
    if (c.reg_tokens > 0) b.space('reg_tokens', c.reg_tokens, { fixed: 'register tokens' });

    if (c.class_token) b.tensor('cls_token', 'embed', 'unit', 'unit', 'embed');
    if (c.reg_tokens > 0) b.tensor('reg_token', 'embed', 'unit', 'reg_tokens', 'embed');
    b.tensor('pos_embed', 'embed', 'unit', 'tokens', 'embed')
      .tensor('patch_embed.proj.weight', 'embed', 'embed', 'in_chans', 'patch', 'patch')
      .tensor('patch_embed.proj.bias', 'embed', 'embed');

    b.stack('blocks', c.depth);
    for (let i = 0; i < c.depth; i++) {
      const p = `blocks.${i}`;
      const attn = `${p}.attn`;
      const mlp = `${p}.mlp`;
      b.space(attn, c.embed_dim, { heads: c.num_heads }).space(mlp, mlpHidden(c));
      b.norm(`${p}.norm1`, 'embed')
        .linear(`${p}.attn.qkv`, 'attn', { space: attn, repeat: 3 }, 'embed', c.qkv_bias)
        .linear(`${p}.attn.proj`, 'attn', 'embed', attn);
      if (c.init_values !== null) b.tensor(`${p}.ls1.gamma`, 'layer_scale', 'embed');
      b.norm(`${p}.norm2`, 'embed')
        .linear(`${p}.mlp.fc1`, 'mlp', mlp, 'embed')
        .linear(`${p}.mlp.fc2`, 'mlp', 'embed', mlp);
      if (c.init_values !== null) b.tensor(`${p}.ls2.gamma`, 'layer_scale', 'embed');
    }
    b.norm(c.global_pool === 'avg' ? 'fc_norm' : 'norm', 'embed');
    if (c.num_classes > 0) b.linear('head', 'head', 'classes', 'embed');
    return b.build();
  },
};

