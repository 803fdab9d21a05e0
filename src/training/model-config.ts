// Model configs as `wsel select` takes them (src/arch: timm constructor names) turned into trainable models
// (src/models, whose configs extend the architecture's with training-only fields: drop_path_rate, seed).
// Validation goes through the selection side, so a config accepted here is one `wsel select` accepts; what a
// trainable model does not implement (its family's `unbuildable`) is refused instead of silently built differently.
import { ConfigError } from '../arch/config-util.js';
import { VISION_FAMILY_NAMES, isVisionFamilyName } from '../arch/family-names.js';
import { MODEL_REGISTRY, type Model, type ModelFamily } from '../models/registry.js';
import type { ConvNextConfig, MixerConfig, VitConfig } from '../models/index.js';

export const MODEL_FAMILIES: readonly ModelFamily[] = VISION_FAMILY_NAMES;

/** A resolved model: its family, the selection-side config (what checkpoints record) and training extras. */
export interface ModelSpec {
  family: ModelFamily;
  /** The full config with timm constructor names, as src/arch declares it (stored as `wsel.config`). */
  config: Record<string, unknown>;
  /** Stochastic depth rate (training only; not part of the architecture). */
  dropPathRate: number;
}

/** Fields a train config may carry on top of the architecture's (they do not change any tensor). */
const TRAIN_ONLY_FIELDS = ['drop_path_rate'] as const;

export function isModelFamily(name: string): name is ModelFamily {
  return isVisionFamilyName(name);
}

/** Defaults of a family before user overrides (timm's ImageNet defaults). */
export function familyDefaults(family: ModelFamily): Record<string, unknown> {
  return { ...MODEL_REGISTRY[family].defaults };
}

/**
 * Validate `overrides` over `base` (both with timm names) for `family`. Unknown fields, impossible values and
 * what the trainable model does not implement are ConfigErrors naming the field.
 */
export function resolveModelSpec(family: ModelFamily, base: Record<string, unknown>, overrides: Record<string, unknown> = {},
  dropPathDefault = 0): ModelSpec {
  if (!isModelFamily(family)) throw new ConfigError(`unknown model family "${String(family)}" (known: ${MODEL_FAMILIES.join(', ')})`);
  const entry = MODEL_REGISTRY[family];
  const defaults = familyDefaults(family);
  const archOverrides: Record<string, unknown> = {};
  let dropPathRate = typeof base['drop_path_rate'] === 'number' ? base['drop_path_rate'] : dropPathDefault;
  for (const [k, v] of Object.entries(overrides)) {
    if ((TRAIN_ONLY_FIELDS as readonly string[]).includes(k)) {
      if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw new ConfigError(`config field "${k}" must be a number in [0, 1), got ${JSON.stringify(v)}`);
      dropPathRate = v;
    } else {
      archOverrides[k] = v;
    }
  }
  const cleanBase = { ...defaults, ...Object.fromEntries(Object.entries(base).filter(([k]) => k in defaults)) };
  // studentConfig = known-field check + validation over a full config, exactly what `wsel select` does. Its
  // "teacher" is the base, so a training config follows the same head rule and the same timm names.
  const config = (entry.arch.studentConfig as (t: object, o: Record<string, unknown>) => object)(cleanBase, archOverrides) as Record<string, unknown>;
  const problem = (entry.unbuildable as (c: object) => string | null)(config);
  if (problem) throw new ConfigError(problem);
  return { family, config, dropPathRate };
}

/** The src/models config for a spec: the architecture's config plus the training-only fields (seed drives the
 *  model's own initialization, which the trainer overrides). */
export function modelConfig(spec: ModelSpec, seed = 0): Partial<VitConfig> | Partial<ConvNextConfig> | Partial<MixerConfig> {
  return { ...spec.config, drop_path_rate: spec.dropPathRate, seed };
}

export function buildModel(spec: ModelSpec, seed = 0): Model {
  return MODEL_REGISTRY[spec.family].create(modelConfig(spec, seed) as never);
}

/** Input channels and square input side the model expects; null: any side (ConvNeXt). */
export function modelInput(spec: ModelSpec): { channels: number; size: number | null } {
  const c = spec.config;
  return { channels: c['in_chans'] as number, size: MODEL_REGISTRY[spec.family].inputSide === 'img_size' ? (c['img_size'] as number) : null };
}

/** What a random-init config takes from the data when the user leaves it unset: label set, channels, image side. */
export function dataDefaults(family: ModelFamily, data: { classes: number; channels: number; height: number; width: number }): Record<string, unknown> {
  return {
    num_classes: data.classes, in_chans: data.channels,
    ...(MODEL_REGISTRY[family].inputSide === 'img_size' ? { img_size: Math.max(data.height, data.width) } : {}),
  };
}

/** Number of classes of the classifier (0: no head). */
export function modelClasses(spec: ModelSpec): number {
  return spec.config['num_classes'] as number;
}

/** Names of the classifier's tensors for a family (re-initialized for a new task, trained by a linear probe). */
export function headPrefix(family: ModelFamily): string {
  return MODEL_REGISTRY[family].classifierPrefix;
}

/** timm no_weight_decay() names for a family, besides 1-D tensors and biases. */
export function noWeightDecayNames(family: ModelFamily): string[] {
  return [...MODEL_REGISTRY[family].noWeightDecay];
}

/** Stochastic depth rate when none is given (paper defaults: ViT and Mixer 0, ConvNeXt 0.1). */
export function defaultDropPathRate(family: ModelFamily): number {
  return MODEL_REGISTRY[family].defaultDropPath;
}
