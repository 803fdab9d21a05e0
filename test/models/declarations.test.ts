// The trainable models and the selection-side declarations describe the same tensors: every name, shape and
// order that `wsel select` writes is what the model holds, so a selected checkpoint always drops straight in.
import { describe, expect, it } from 'vitest';
import { CONVNEXT_DEFAULTS } from '../../src/arch/convnext.js';
import { convnext, mixer, vit } from '../../src/arch/index.js';
import { MIXER_DEFAULTS } from '../../src/arch/mixer.js';
import { tensorShape, type ArchDecl } from '../../src/arch/types.js';
import { VIT_DEFAULTS } from '../../src/arch/vit.js';
import { createModel } from '../../src/models/index.js';

function declared(decl: ArchDecl): [string, number[]][] {
  return decl.tensors.map((t) => [t.name, tensorShape(decl, t)]);
}

function held(model: ReturnType<typeof createModel>): [string, number[]][] {
  return model.namedParameters().map(([name, t]) => [name, [...t.shape]]);
}

describe('models hold exactly the declared tensors', () => {
  const vits = [
    { ...VIT_DEFAULTS, img_size: 28, patch_size: 7, in_chans: 1, embed_dim: 64, depth: 2, num_heads: 2, num_classes: 10 },
    { ...VIT_DEFAULTS, img_size: 32, patch_size: 8, embed_dim: 48, depth: 3, num_heads: 4, mlp_ratio: 2.5, num_classes: 7, qkv_bias: false },
    { ...VIT_DEFAULTS, img_size: 32, patch_size: 8, embed_dim: 48, depth: 2, num_heads: 4, class_token: false, global_pool: 'avg' as const, reg_tokens: 2, init_values: 1e-5 },
  ];
  vits.forEach((config, i) => it(`ViT #${i}`, () => {
    expect(held(createModel('vit', config))).toEqual(declared(vit.declare(config)));
  }));

  const convnexts = [
    { ...CONVNEXT_DEFAULTS, in_chans: 1, num_classes: 10, depths: [1, 1, 2, 1], dims: [16, 32, 64, 128] },
    { ...CONVNEXT_DEFAULTS, depths: [2, 2], dims: [8, 16], kernel_size: 3, ls_init_value: null, num_classes: 5 },
  ];
  convnexts.forEach((config, i) => it(`ConvNeXt #${i}`, () => {
    expect(held(createModel('convnext', config))).toEqual(declared(convnext.declare(config)));
  }));

  it('MLP-Mixer', () => {
    const config = { ...MIXER_DEFAULTS, img_size: 32, patch_size: 8, in_chans: 1, embed_dim: 32, num_blocks: 2, num_classes: 10 };
    expect(held(createModel('mixer', config))).toEqual(declared(mixer.declare(config)));
  });
});
