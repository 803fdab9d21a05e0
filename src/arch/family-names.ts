// The model families wsel knows, by name only. This module imports nothing, so the CLI can offer and check
// family names (`--arch`, `--model`) in --help and flag parsing without loading declarations, models or the
// engine. The registries are typed against these lists (src/arch/index.ts: declarations; src/models/registry.ts:
// trainable models and their training facts), so a name without its registered family does not compile.

/** Image classifiers: a declaration (src/arch), a trainable model (src/models) and their facts. */
export const VISION_FAMILY_NAMES = ['vit', 'convnext', 'mixer'] as const;
export type VisionFamilyName = (typeof VISION_FAMILY_NAMES)[number];

/** Hugging Face model folders, found by config.json's model_type (selection only). */
export const HF_FAMILY_NAMES = ['llama', 'gpt2', 'bert'] as const;
export type HfFamilyName = (typeof HF_FAMILY_NAMES)[number];

/** `wsel select --arch` values: every family, `generic` (any model, from a template), `hf` (by model_type), `auto`. */
export const ARCH_NAMES = [...VISION_FAMILY_NAMES, 'generic', ...HF_FAMILY_NAMES, 'hf', 'auto'] as const;
export type ArchName = (typeof ARCH_NAMES)[number];

export function isVisionFamilyName(name: string): name is VisionFamilyName {
  return (VISION_FAMILY_NAMES as readonly string[]).includes(name);
}

export function isHfFamilyName(name: string): name is HfFamilyName {
  return (HF_FAMILY_NAMES as readonly string[]).includes(name);
}
