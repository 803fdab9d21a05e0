// Model configs as `wsel select` takes them (src/arch: timm constructor names) turned into trainable models
// (src/models, whose configs extend the architecture's with training-only fields: drop_path_rate, seed).
// Validation goes through the selection side, so a config accepted here is one `wsel select` accepts; what the
// trainable models do not implement (ViT no_embed_class) is refused instead of silently built differently.
import { ConfigError } from '../arch/config-util.js';
import { convnext, CONVNEXT_DEFAULTS as ARCH_CONVNEXT_DEFAULTS, type ConvNextConfig as ArchConvNextConfig } from '../arch/convnext.js';
import { mixer, MIXER_DEFAULTS as ARCH_MIXER_DEFAULTS, type MixerConfig as ArchMixerConfig } from '../arch/mixer.js';
import { vit, VIT_DEFAULTS as ARCH_VIT_DEFAULTS, type VitConfig as ArchVitConfig } from '../arch/vit.js';
import { createModel, type Model, type ModelFamily } from '../models/index.js';
import type { ConvNextConfig, MixerConfig, VitConfig } from '../models/index.js';

export const MODEL_FAMILIES: readonly ModelFamily[] = ['vit', 'convnext', 'mixer'];

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

const FAMILY_DECLS = { vit, convnext, mixer } as const;
const ARCH_DEFAULTS: Record<ModelFamily, Record<string, unknown>> = {
  vit: { ...ARCH_VIT_DEFAULTS },
  convnext: { ...ARCH_CONVNEXT_DEFAULTS },
  mixer: { ...ARCH_MIXER_DEFAULTS },
};

export function isModelFamily(name: string): name is ModelFamily {
  return (MODEL_FAMILIES as readonly string[]).includes(name);
}

/** Defaults of a family before user overrides (timm's ImageNet defaults). */
export function familyDefaults(family: ModelFamily): Record<string, unknown> {
  return { ...ARCH_DEFAULTS[family] };
}

/**
 * Validate `overrides` over `base` (both with timm names) for `family`. Unknown fields, impossible values and
 * what the trainable model does not implement are ConfigErrors naming the field.
 */
export function resolveModelSpec(family: ModelFamily, base: Record<string, unknown>, overrides: Record<string, unknown> = {},
  dropPathDefault = 0): ModelSpec {
  const arch = FAMILY_DECLS[family];
  if (!arch) throw new ConfigError(`unknown model family "${String(family)}" (known: ${MODEL_FAMILIES.join(', ')})`);
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
  const cleanBase = { ...familyDefaults(family), ...Object.fromEntries(Object.entries(base).filter(([k]) => k in ARCH_DEFAULTS[family])) };
  // studentConfig = known-field check + validation over a full config, exactly what `wsel select` does.
  // ConvNeXt's studentConfig refuses a different stage count than its "teacher"; a training config may have any.
  const teacher = family === 'convnext' ? { ...cleanBase, ...archOverrides } : cleanBase;
  const config = (arch.studentConfig as (t: object, o: Record<string, unknown>) => object)(teacher, archOverrides) as Record<string, unknown>;
  checkBuildable(family, config);
  return { family, config, dropPathRate };
}

/** What src/arch accepts but src/models cannot build. */
function checkBuildable(family: ModelFamily, c: Record<string, unknown>): void {
  if (family === 'vit') {
    const v = c as unknown as ArchVitConfig;
    if (v.no_embed_class) throw new ConfigError('no_embed_class: true is not supported by the trainable ViT');
    if (v.img_size % v.patch_size !== 0) throw new ConfigError(`img_size ${v.img_size} is not a multiple of patch_size ${v.patch_size}`);
  } else if (family === 'convnext') {
    const v = c as unknown as ArchConvNextConfig;
    if (v.kernel_size % 2 !== 1) throw new ConfigError(`kernel_size ${v.kernel_size} must be odd`);
  } else {
    const v = c as unknown as ArchMixerConfig;
    if (v.img_size % v.patch_size !== 0) throw new ConfigError(`img_size ${v.img_size} is not a multiple of patch_size ${v.patch_size}`);
  }
}

/** The src/models config for a spec: the architecture's config plus the training-only fields (seed drives the
 *  model's own initialization, which the trainer overrides). */
export function modelConfig(spec: ModelSpec, seed = 0): Partial<VitConfig> | Partial<ConvNextConfig> | Partial<MixerConfig> {
  return { ...spec.config, drop_path_rate: spec.dropPathRate, seed };
}

export function buildModel(spec: ModelSpec, seed = 0): Model {
  return createModel(spec.family, modelConfig(spec, seed) as never);
}

/** Input channels and square input side the model expects; ConvNeXt takes any side (null). */
export function modelInput(spec: ModelSpec): { channels: number; size: number | null } {
  const c = spec.config;
  return { channels: c['in_chans'] as number, size: spec.family === 'convnext' ? null : (c['img_size'] as number) };
}

/** Number of classes of the classifier (0: no head). */
export function modelClasses(spec: ModelSpec): number {
  return spec.config['num_classes'] as number;
}

/** Names of the classifier's tensors for a family (re-initialized for a new task, trained by a linear probe). */
export function headPrefix(family: ModelFamily): string {
  return family === 'convnext' ? 'head.fc.' : 'head.';
}

/** timm no_weight_decay() names for a family, besides 1-D tensors and biases. */
export function noWeightDecayNames(family: ModelFamily): string[] {
  return family === 'vit' ? ['pos_embed', 'cls_token', 'reg_token', 'dist_token'] : [];
}
