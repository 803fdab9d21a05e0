// Every family and the config variants the trainer builds, as small models fed by MNIST (28x28 gray): pooling
// modes, class and register tokens, layer scale, qkv bias, MLP ratios, Linear and 1x1-conv MLPs, kernel sizes,
// stem patch sizes, equal-width stages, channel replication, padding and resizing to the model's side.
import type { ModelFamily } from '../../src/models/index.js';
import { buildModel, resolveModelSpec, type ModelSpec } from '../../src/training/model-config.js';
import type { Model } from '../../src/models/index.js';

export interface Variant {
  name: string;
  family: ModelFamily;
  config: Record<string, unknown>;
  /** ConvNeXt input side (others take img_size). */
  imgSize?: number;
}

export const VARIANTS: readonly Variant[] = [
  { name: 'vit: class token, token pool, 3 channels, padded 28 -> 32', family: 'vit',
    config: { img_size: 32, patch_size: 8, in_chans: 3, embed_dim: 32, depth: 2, num_heads: 2 } },
  { name: 'vit: avg pool (fc_norm) with class and 2 register tokens, layer scale', family: 'vit',
    config: { img_size: 28, patch_size: 7, in_chans: 1, embed_dim: 48, depth: 2, num_heads: 3, global_pool: 'avg', reg_tokens: 2, init_values: 0.1 } },
  { name: 'vit: no class token, avg pool, no qkv bias, mlp_ratio 2, resized 28 -> 16', family: 'vit',
    config: { img_size: 16, patch_size: 4, in_chans: 1, embed_dim: 32, depth: 2, num_heads: 4, class_token: false, global_pool: 'avg', qkv_bias: false, mlp_ratio: 2 } },
  { name: 'vit: token pool with a register token and layer scale', family: 'vit',
    config: { img_size: 28, patch_size: 14, in_chans: 1, embed_dim: 16, depth: 3, num_heads: 2, reg_tokens: 1, init_values: 1e-5 } },
  { name: 'convnext: Linear MLP, layer scale, kernel 7, 3 stages', family: 'convnext',
    config: { in_chans: 1, depths: [1, 1, 2], dims: [16, 32, 64] } },
  { name: 'convnext: 1x1-conv MLP, no layer scale, kernel 5, stem patch 2 (stage 0 downsamples too), 3 channels', family: 'convnext',
    config: { in_chans: 3, depths: [1, 2], dims: [16, 24], conv_mlp: true, ls_init_value: null, kernel_size: 5, patch_size: 2 } },
  { name: 'convnext: equal-width stages (stage 1 still downsamples), kernel 3, mlp_ratio 2', family: 'convnext',
    config: { in_chans: 1, depths: [1, 1], dims: [16, 16], kernel_size: 3, mlp_ratio: 2 } },
  { name: 'convnext: 4 stages at a 64 px input', family: 'convnext', imgSize: 64,
    config: { in_chans: 1, depths: [1, 1, 1, 1], dims: [8, 16, 24, 32] } },
  { name: 'mixer: 28 px, patch 7', family: 'mixer',
    config: { img_size: 28, patch_size: 7, in_chans: 1, embed_dim: 32, num_blocks: 2 } },
  { name: 'mixer: 3 channels, patch 4, mlp_ratio [1, 2], padded 28 -> 32', family: 'mixer',
    config: { img_size: 32, patch_size: 4, in_chans: 3, embed_dim: 24, num_blocks: 3, mlp_ratio: [1, 2] } },
];

export function buildVariant(v: Variant): { spec: ModelSpec; model: Model } {
  const spec = resolveModelSpec(v.family, {}, { ...v.config, num_classes: 10 });
  return { spec, model: buildModel(spec, 0) };
}
