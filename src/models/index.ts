// Model factory: the three families by their timm config names, plus presets named like timm's
// registered models.

import { ConvNeXt, CONVNEXT_DEFAULTS, type ConvNextConfig } from './convnext.js';
import { MlpMixer, MIXER_DEFAULTS, type MixerConfig } from './mixer.js';
import { VisionTransformer, VIT_DEFAULTS, type VitConfig } from './vit.js';

export { ConvNeXt, ConvNextBlock, ConvNextStage, CONVNEXT_DEFAULTS, type ConvNextConfig } from './convnext.js';
export { MlpMixer, MixerBlock, MIXER_DEFAULTS, type MixerConfig } from './mixer.js';
export { VisionTransformer, VitBlock, VIT_DEFAULTS, type VitConfig } from './vit.js';

export type ModelFamily = 'vit' | 'convnext' | 'mixer';
export type Model = VisionTransformer | ConvNeXt | MlpMixer;

export function createModel(family: 'vit', config?: Partial<VitConfig>): VisionTransformer;
export function createModel(family: 'convnext', config?: Partial<ConvNextConfig>): ConvNeXt;
export function createModel(family: 'mixer', config?: Partial<MixerConfig>): MlpMixer;
export function createModel(family: ModelFamily, config?: Partial<VitConfig> | Partial<ConvNextConfig> | Partial<MixerConfig>): Model;
export function createModel(family: ModelFamily, config: object = {}): Model {
  switch (family) {
    case 'vit': return new VisionTransformer(config as Partial<VitConfig>);
    case 'convnext': return new ConvNeXt(config as Partial<ConvNextConfig>);
    case 'mixer': return new MlpMixer(config as Partial<MixerConfig>);
    default: throw new Error(`createModel: unknown family '${String(family)}' (expected vit, convnext or mixer)`);
  }
}

export type ModelPreset =
  | { family: 'vit'; config: Partial<VitConfig> }
  | { family: 'convnext'; config: Partial<ConvNextConfig> }
  | { family: 'mixer'; config: Partial<MixerConfig> };

/**
 * timm's registered architectures (ImageNet heads). Note timm's atto/femto/pico/nano ConvNeXts use
 * conv_mlp=True (1x1-conv MLP weights (4C, C, 1, 1)); the bigger ones use Linear MLPs.
 */
export const MODEL_PRESETS: Readonly<Record<string, ModelPreset>> = {
  vit_tiny_patch16_224: { family: 'vit', config: { embed_dim: 192, depth: 12, num_heads: 3 } },
  vit_small_patch16_224: { family: 'vit', config: { embed_dim: 384, depth: 12, num_heads: 6 } },
  vit_base_patch16_224: { family: 'vit', config: { embed_dim: 768, depth: 12, num_heads: 12 } },
  vit_large_patch16_224: { family: 'vit', config: { embed_dim: 1024, depth: 24, num_heads: 16 } },
  convnext_atto: { family: 'convnext', config: { depths: [2, 2, 6, 2], dims: [40, 80, 160, 320], conv_mlp: true } },
  convnext_femto: { family: 'convnext', config: { depths: [2, 2, 6, 2], dims: [48, 96, 192, 384], conv_mlp: true } },
  convnext_pico: { family: 'convnext', config: { depths: [2, 2, 6, 2], dims: [64, 128, 256, 512], conv_mlp: true } },
  convnext_nano: { family: 'convnext', config: { depths: [2, 2, 8, 2], dims: [80, 160, 320, 640], conv_mlp: true } },
  convnext_tiny: { family: 'convnext', config: { depths: [3, 3, 9, 3], dims: [96, 192, 384, 768] } },
  convnext_small: { family: 'convnext', config: { depths: [3, 3, 27, 3], dims: [96, 192, 384, 768] } },
  convnext_base: { family: 'convnext', config: { depths: [3, 3, 27, 3], dims: [128, 256, 512, 1024] } },
  mixer_s32_224: { family: 'mixer', config: { patch_size: 32, num_blocks: 8, embed_dim: 512 } },
  mixer_s16_224: { family: 'mixer', config: { patch_size: 16, num_blocks: 8, embed_dim: 512 } },
  mixer_b16_224: { family: 'mixer', config: { patch_size: 16, num_blocks: 12, embed_dim: 768 } },
};

/** Build a preset by timm name, with config overrides (e.g. num_classes, img_size). */
export function createModelByName(name: string, overrides: object = {}): Model {
  const p = MODEL_PRESETS[name];
  if (!p) throw new Error(`unknown model '${name}'; known: ${Object.keys(MODEL_PRESETS).join(', ')}`);
  return createModel(p.family, { ...p.config, ...overrides });
}

/** The full default config of a family. */
export function defaultConfig(family: ModelFamily): VitConfig | ConvNextConfig | MixerConfig {
  return family === 'vit' ? { ...VIT_DEFAULTS } : family === 'convnext' ? { ...CONVNEXT_DEFAULTS } : { ...MIXER_DEFAULTS };
}
