// The declarations of the model families wsel knows, registered under the names of family-names.ts (the
// trainable models and their facts are registered in src/models/registry.ts).
import { bert } from './bert.js';
import { convnext } from './convnext.js';
import { ConfigError } from './config-util.js';
import { VISION_FAMILY_NAMES, type HfFamilyName, type VisionFamilyName } from './family-names.js';
import { gpt2 } from './gpt2.js';
import type { HfFamily, HfJson } from './hf-config.js';
import { llama } from './llama.js';
import { mixer } from './mixer.js';
import type { Family } from './types.js';
import { vit } from './vit.js';

/** Image-classifier families, by name. */
export const FAMILIES: Readonly<Record<VisionFamilyName, Family<any>>> = { vit, convnext, mixer };

/** Hugging Face model families, selected from a folder's config.json. */
export const HF_FAMILIES: Readonly<Record<HfFamilyName, HfFamily<any>>> = { llama, gpt2, bert };

/** The family declaring a config.json's model_type; throws naming the supported ones. */
export function hfFamilyFor(json: HfJson): HfFamily<any> {
  const type = json.model_type;
  const family = Object.values(HF_FAMILIES).find((f) => typeof type === 'string' && f.modelTypes.includes(type));
  if (family) return family;
  const known = Object.values(HF_FAMILIES).flatMap((f) => f.modelTypes);
  throw new ConfigError(`config.json model_type ${JSON.stringify(type)} is not supported (known: ${known.join(', ')}); a Llama-style model under another name can be tried with --arch llama`);
}

/** Guess the family of a checkpoint from its tensor names (for `wsel inspect`); null when none fits. */
export function detectFamily(shapes: ReadonlyMap<string, readonly number[]>): Family<any> | null {
  for (const family of VISION_FAMILY_NAMES.map((name) => FAMILIES[name])) {
    try {
      family.inferConfig(shapes);
      return family;
    } catch {
      // not this family
    }
  }
  return null;
}

export * from './types.js';
export * from './family-names.js';
export { vit, convnext, mixer, llama, gpt2, bert };
export type { HfFamily, HfJson } from './hf-config.js';
export type { LlamaConfig } from './llama.js';
export type { Gpt2Config } from './gpt2.js';
export type { BertConfig } from './bert.js';
export type { VitConfig } from './vit.js';
export type { ConvNextConfig } from './convnext.js';
export type { MixerConfig } from './mixer.js';
