// Model factory: the registered families by their timm config names, and models by timm model name.
import { resolveTimmName } from '../arch/timm-names.js';
import type { ConvNeXt, ConvNextConfig } from './convnext.js';
import type { MlpMixer, MixerConfig } from './mixer.js';
import { trainableFamily, type Model, type ModelFamily } from './registry.js';
import type { VisionTransformer, VitConfig } from './vit.js';

export { convnextFamily, ConvNeXt, ConvNextBlock, ConvNextStage, CONVNEXT_DEFAULTS, type ConvNextConfig } from './convnext.js';
export { mixerFamily, MlpMixer, MixerBlock, MIXER_DEFAULTS, type MixerConfig } from './mixer.js';
export { vitFamily, VisionTransformer, VitBlock, VIT_DEFAULTS, type VitConfig } from './vit.js';

export { MODEL_REGISTRY, trainableFamily, type Model, type ModelFamily } from './registry.js';
export type { TrainableFamily, TrainingFields } from './family.js';

export function createModel(family: 'vit', config?: Partial<VitConfig>): VisionTransformer;
export function createModel(family: 'convnext', config?: Partial<ConvNextConfig>): ConvNeXt;
export function createModel(family: 'mixer', config?: Partial<MixerConfig>): MlpMixer;
export function createModel(family: ModelFamily, config?: Partial<VitConfig> | Partial<ConvNextConfig> | Partial<MixerConfig>): Model;
export function createModel(family: ModelFamily, config: object = {}): Model {
  return trainableFamily(family).create(config);
}

/** Build a model by timm name (`vit_tiny_patch16_224`, `convnext_femto`, ...), with config overrides (e.g. num_classes). */
export function createModelByName(name: string, overrides: object = {}): Model {
  const { family, config } = resolveTimmName(name);
  return createModel(family, { ...config, ...overrides });
}

