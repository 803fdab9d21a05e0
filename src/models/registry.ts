// The trainable families, one registered unit each: declaration, model and training facts (see family.ts).
// Every list of family names the trainer and CLI use comes from src/arch/family-names.ts, which this registry
// must cover exactly (the `satisfies` below fails to compile otherwise). A new family: its declaration in
// src/arch (registered in src/arch/index.ts), its model and entry in src/models/<family>.ts, one line here.
import { VISION_FAMILY_NAMES, type VisionFamilyName } from '../arch/family-names.js';
import type { Module } from '../engine/index.js';
import { convnextFamily } from './convnext.js';
import type { TrainableFamily } from './family.js';
import { mixerFamily } from './mixer.js';
import { vitFamily } from './vit.js';

export const MODEL_REGISTRY = {
  vit: vitFamily,
  convnext: convnextFamily,
  mixer: mixerFamily,
} as const satisfies Record<VisionFamilyName, TrainableFamily<any, Module>>;

export type ModelFamily = VisionFamilyName;
export type Model = ReturnType<(typeof MODEL_REGISTRY)[ModelFamily]['create']>;

/** The registered family of a name; throws naming the known ones. */
export function trainableFamily(name: string): TrainableFamily<Record<string, unknown>, Model> {
  const family = (MODEL_REGISTRY as Record<string, TrainableFamily<any, Model> | undefined>)[name];
  if (!family) throw new Error(`unknown model family '${name}' (known: ${VISION_FAMILY_NAMES.join(', ')})`);
  return family;
}
