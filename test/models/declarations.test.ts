// The trainable models and the selection-side declarations describe the same tensors: every name, shape and
// order that `wsel select` writes is what the model holds, so a selected checkpoint always drops straight in.
// Every registered family is checked: a new family is tested by being registered.
import { describe, expect, it } from 'vitest';
import { VISION_FAMILY_NAMES } from '../../src/arch/family-names.js';
import { TIMM_NAMES } from '../../src/arch/timm-names.js';
import { tensorShape, type ArchDecl } from '../../src/arch/types.js';
import { trainableFamily, type Model } from '../../src/models/index.js';

function declared(decl: ArchDecl): [string, number[]][] {
  return decl.tensors.map((t) => [t.name, tensorShape(decl, t)]);
}

function held(model: Model): [string, number[]][] {
  return model.namedParameters().map(([name, t]) => [name, [...t.shape]]);
}

/** Layouts beyond timm's named models, per family (overrides over the family's defaults). */
const EDGE_CASES: Record<string, Record<string, unknown>[]> = {
  vit: [
    { img_size: 28, patch_size: 7, in_chans: 1, embed_dim: 64, depth: 2, num_heads: 2, num_classes: 10 },
    { img_size: 32, patch_size: 8, embed_dim: 48, depth: 3, num_heads: 4, mlp_ratio: 2.5, num_classes: 7, qkv_bias: false },
    { img_size: 32, patch_size: 8, embed_dim: 48, depth: 2, num_heads: 4, class_token: false, global_pool: 'avg', reg_tokens: 2, init_values: 1e-5 },
    { img_size: 32, patch_size: 8, embed_dim: 48, depth: 2, num_heads: 4, reg_tokens: 4, no_embed_class: true, init_values: 1e-6 },
  ],
  convnext: [
    { in_chans: 1, num_classes: 10, depths: [1, 1, 2, 1], dims: [16, 32, 64, 128] },
    { depths: [2, 2], dims: [8, 16], kernel_size: 3, ls_init_value: null, num_classes: 5 },
    { depths: [1, 1, 1, 1], dims: [16, 32, 32, 64], num_classes: 3 },
  ],
  mixer: [
    { img_size: 32, patch_size: 8, in_chans: 1, embed_dim: 32, num_blocks: 2, num_classes: 10 },
  ],
};

/** The timm name of a family with the fewest parameters (a real layout that is cheap to build). */
function smallestTimmName(family: string): Record<string, unknown> | null {
  let best: { config: Record<string, unknown>; params: number } | null = null;
  for (const entry of Object.values(TIMM_NAMES).filter((e) => e.family === family)) {
    const { arch, defaults } = trainableFamily(entry.family);
    const config = arch.studentConfig({ ...defaults }, { ...entry.config });
    const decl = arch.declare(config);
    const params = decl.tensors.reduce((n, t) => n + tensorShape(decl, t).reduce((a, b) => a * b, 1), 0);
    if (!best || params < best.params) best = { config: entry.config, params };
  }
  return best?.config ?? null;
}

describe('models hold exactly the declared tensors', () => {
  for (const name of VISION_FAMILY_NAMES) {
    const family = trainableFamily(name);
    const configs = [...(EDGE_CASES[name] ?? []), smallestTimmName(name) ?? {}];
    configs.forEach((overrides, i) => it(`${name} #${i} ${JSON.stringify(overrides)}`, () => {
      const config = family.arch.studentConfig({ ...family.defaults }, overrides);
      expect(held(family.create(config))).toEqual(declared(family.arch.declare(config)));
    }));
  }
});
