// The model families wsel knows by name.
import { convnext } from './convnext.js';
import { mixer } from './mixer.js';
import type { Family } from './types.js';
import { vit } from './vit.js';

export const FAMILIES: Readonly<Record<string, Family<any>>> = { vit, convnext, mixer };

/** Guess the family of a checkpoint from its tensor names (for `wsel inspect`); null when none fits. */
export function detectFamily(shapes: ReadonlyMap<string, readonly number[]>): Family<any> | null {
  for (const family of Object.values(FAMILIES)) {
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
export { vit, convnext, mixer };
export type { VitConfig } from './vit.js';
export type { ConvNextConfig } from './convnext.js';
export type { MixerConfig } from './mixer.js';
