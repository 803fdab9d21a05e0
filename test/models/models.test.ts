import { describe, expect, it } from 'vitest';
import { AdamW, backward, crossEntropy, paramGroupsWeightDecay, Rng, tensor, tidy } from '../../src/engine/index.js';
import { createModel, createModelByName, type Model } from '../../src/models/index.js';

const shapes = (m: Model): Record<string, number[]> => Object.fromEntries(m.namedParameters().map(([n, t]) => [n, [...t.shape]]));

describe('ViT', () => {
  it('vit_tiny: timm names and shapes, in state_dict order', () => {
    const m = createModelByName('vit_tiny_patch16_224');
    const s = shapes(m);
    const names = Object.keys(s);
    expect(names.slice(0, 5)).toEqual(['cls_token', 'pos_embed', 'patch_embed.proj.weight', 'patch_embed.proj.bias', 'blocks.0.norm1.weight']);
    expect(s.cls_token).toEqual([1, 1, 192]);
    expect(s.pos_embed).toEqual([1, 197, 192]);
    expect(s['patch_embed.proj.weight']).toEqual([192, 3, 16, 16]);
    expect(s['blocks.0.attn.qkv.weight']).toEqual([576, 192]);
    expect(s['blocks.0.attn.qkv.bias']).toEqual([576]);
    expect(s['blocks.0.attn.proj.weight']).toEqual([192, 192]);
    expect(s['blocks.11.mlp.fc1.weight']).toEqual([768, 192]);
    expect(s['blocks.11.mlp.fc2.weight']).toEqual([192, 768]);
    expect(s['norm.weight']).toEqual([192]);
    expect(s['head.weight']).toEqual([1000, 192]);
    expect(names.filter((n) => n.startsWith('blocks.0.'))).toEqual([
      'blocks.0.norm1.weight', 'blocks.0.norm1.bias', 'blocks.0.attn.qkv.weight', 'blocks.0.attn.qkv.bias',
      'blocks.0.attn.proj.weight', 'blocks.0.attn.proj.bias', 'blocks.0.norm2.weight', 'blocks.0.norm2.bias',
      'blocks.0.mlp.fc1.weight', 'blocks.0.mlp.fc1.bias', 'blocks.0.mlp.fc2.weight', 'blocks.0.mlp.fc2.bias']);
    expect(names.length).toBe(4 + 12 * 12 + 2 + 2);
    expect(m.numParameters()).toBe(5717416); // timm vit_tiny_patch16_224
  });
  it('options: avg pool → fc_norm, reg tokens, layer scale, no qkv bias', () => {
    const m = createModel('vit', { img_size: 8, patch_size: 4, embed_dim: 8, depth: 1, num_heads: 2, num_classes: 3,
      global_pool: 'avg', reg_tokens: 2, init_values: 1e-5, qkv_bias: false });
    const s = shapes(m);
    expect(s.reg_token).toEqual([1, 2, 8]);
    expect(s.pos_embed).toEqual([1, 3 + 4, 8]);
    expect(s['blocks.0.ls1.gamma']).toEqual([8]);
    expect(s['blocks.0.ls2.gamma']).toEqual([8]);
    expect(s['blocks.0.attn.qkv.bias']).toBeUndefined();
    expect(s['fc_norm.weight']).toEqual([8]);
    expect(s['norm.weight']).toBeUndefined();
    const y = m.forward(tensor(new Float32Array(2 * 3 * 64).map((_, i) => Math.sin(i)), [2, 3, 8, 8]));
    expect(y.shape).toEqual([2, 3]);
  });
  it('init statistics follow timm', () => {
    const m = createModel('vit', { img_size: 32, patch_size: 4, embed_dim: 64, depth: 2, num_heads: 2, num_classes: 10 });
    const sd = m.stateDict();
    const w = sd.get('blocks.0.mlp.fc1.weight')!.data;
    const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
    expect(std).toBeGreaterThan(0.016);
    expect(std).toBeLessThan(0.019); // 0.02 truncated at 2 sigma → 0.0176
    expect(Math.max(...Array.from(w).map(Math.abs))).toBeLessThanOrEqual(0.04);
    expect(Array.from(sd.get('blocks.0.mlp.fc1.bias')!.data).every((v) => v === 0)).toBe(true);
    expect(Math.max(...Array.from(sd.get('cls_token')!.data).map(Math.abs))).toBeLessThan(1e-5);
    // Same seed → same numbers; another seed → different.
    const m2 = createModel('vit', { img_size: 32, patch_size: 4, embed_dim: 64, depth: 2, num_heads: 2, num_classes: 10 });
    expect(Array.from(m2.stateDict().get('pos_embed')!.data)).toEqual(Array.from(sd.get('pos_embed')!.data));
    const m3 = createModel('vit', { img_size: 32, patch_size: 4, embed_dim: 64, depth: 2, num_heads: 2, num_classes: 10, seed: 1 });
    expect(m3.stateDict().get('pos_embed')!.data[0]).not.toBe(sd.get('pos_embed')!.data[0]);
  });
});

describe('ConvNeXt', () => {
  it('femto dims (conv_mlp=false): timm names and shapes', () => {
    const m = createModel('convnext', { depths: [2, 2, 6, 2], dims: [48, 96, 192, 384], num_classes: 1000 });
    const s = shapes(m);
    expect(s['stem.0.weight']).toEqual([48, 3, 4, 4]);
    expect(s['stem.0.bias']).toEqual([48]);
    expect(s['stem.1.weight']).toEqual([48]);
    expect(s['stages.0.downsample.0.weight']).toBeUndefined();
    expect(s['stages.1.downsample.0.weight']).toEqual([48]);
    expect(s['stages.1.downsample.1.weight']).toEqual([96, 48, 2, 2]);
    expect(s['stages.3.downsample.1.bias']).toEqual([384]);
    expect(s['stages.2.blocks.5.conv_dw.weight']).toEqual([192, 1, 7, 7]);
    expect(s['stages.2.blocks.5.norm.weight']).toEqual([192]);
    expect(s['stages.2.blocks.5.mlp.fc1.weight']).toEqual([768, 192]);
    expect(s['stages.2.blocks.5.mlp.fc2.weight']).toEqual([192, 768]);
    expect(s['stages.2.blocks.5.gamma']).toEqual([192]);
    expect(s['head.norm.weight']).toEqual([384]);
    expect(s['head.fc.weight']).toEqual([1000, 384]);
    expect(Object.keys(s).filter((n) => n.startsWith('stages.0.blocks.0.'))).toEqual([
      'stages.0.blocks.0.gamma', 'stages.0.blocks.0.conv_dw.weight', 'stages.0.blocks.0.conv_dw.bias',
      'stages.0.blocks.0.norm.weight', 'stages.0.blocks.0.norm.bias', 'stages.0.blocks.0.mlp.fc1.weight',
      'stages.0.blocks.0.mlp.fc1.bias', 'stages.0.blocks.0.mlp.fc2.weight', 'stages.0.blocks.0.mlp.fc2.bias']);
    expect(Array.from(m.stateDict().get('stages.0.blocks.0.gamma')!.data).every((v) => Math.abs(v - 1e-6) < 1e-12)).toBe(true);
  });
  it('adjacent stages of equal width still downsample, as in timm (every later stage has stride 2)', () => {
    const m = createModel('convnext', { depths: [1, 1, 1, 1], dims: [16, 32, 32, 64], num_classes: 3 });
    const s = shapes(m);
    expect(s['stages.2.downsample.0.weight']).toEqual([32]);
    expect(s['stages.2.downsample.1.weight']).toEqual([32, 32, 2, 2]);
    // 64 px: the stem divides by 4, then each of the three later stages halves: 16, 8, 4, 2.
    const y = m.forwardFeatures(tensor(new Float32Array(3 * 64 * 64).fill(0.5), [1, 3, 64, 64]));
    expect(y.shape).toEqual([1, 2, 2, 64]);
  });
  it('timm convnext_femto preset uses conv_mlp 1x1 convs; same count as timm', () => {
    const m = createModelByName('convnext_femto');
    expect(shapes(m)['stages.0.blocks.0.mlp.fc1.weight']).toEqual([192, 48, 1, 1]);
    expect(m.numParameters()).toBe(5217784); // the formula count of timm's convnext_femto (5.22M)
    const y = createModelByName('convnext_atto', { num_classes: 4 }).forward(tensor(new Float32Array(2 * 3 * 32 * 32).fill(0.5), [2, 3, 32, 32]));
    expect(y.shape).toEqual([2, 4]);
  });
});

describe('MLP-Mixer', () => {
  it('names and shapes', () => {
    const m = createModel('mixer', { img_size: 32, patch_size: 4, embed_dim: 64, num_blocks: 2, num_classes: 10 });
    const s = shapes(m);
    expect(s['stem.proj.weight']).toEqual([64, 3, 4, 4]);
    expect(s['blocks.1.norm1.weight']).toEqual([64]);
    expect(s['blocks.1.mlp_tokens.fc1.weight']).toEqual([32, 64]);
    expect(s['blocks.1.mlp_tokens.fc2.weight']).toEqual([64, 32]);
    expect(s['blocks.1.mlp_channels.fc1.weight']).toEqual([256, 64]);
    expect(s['blocks.1.mlp_channels.fc2.weight']).toEqual([64, 256]);
    expect(s['norm.weight']).toEqual([64]);
    expect(s['head.weight']).toEqual([10, 64]);
    expect(createModelByName('mixer_s16_224').numParameters()).toBe(18528264);
    const y = m.forward(tensor(new Float32Array(2 * 3 * 32 * 32).fill(0.1), [2, 3, 32, 32]));
    expect(y.shape).toEqual([2, 10]);
  });
});

describe('Module', () => {
  it('loadStateDict reports missing/unexpected and checks shapes', () => {
    const m = createModel('mixer', { img_size: 8, patch_size: 4, embed_dim: 8, num_blocks: 1, num_classes: 2 });
    const sd = new Map([...m.stateDict()].map(([k, v]) => [k, { shape: [...v.shape], data: new Float32Array(v.size).fill(0.25) }]));
    sd.delete('head.bias');
    sd.set('extra', { shape: [1], data: new Float32Array(1) });
    expect(() => m.loadStateDict(sd)).toThrow(/missing \[head.bias\], unexpected \[extra\]/);
    const r = m.loadStateDict(sd, { strict: false });
    expect(r).toEqual({ missing: ['head.bias'], unexpected: ['extra'] });
    expect(m.stateDict().get('norm.weight')!.data[0]).toBe(0.25);
    sd.set('norm.weight', { shape: [9], data: new Float32Array(9) });
    expect(() => m.loadStateDict(sd, { strict: false })).toThrow(/shape/);
  });
  it('train()/eval() reach every submodule', () => {
    const m = createModel('vit', { img_size: 8, patch_size: 4, embed_dim: 8, depth: 2, num_heads: 2, num_classes: 2 });
    m.eval();
    expect([...m.namedModules()].every(([, x]) => !x.training)).toBe(true);
    m.train();
    expect([...m.namedModules()].every(([, x]) => x.training)).toBe(true);
  });
});

function overfit(model: Model, x: Float32Array, shape: number[], labels: number[], steps: number, lr: number): number[] {
  const opt = new AdamW(paramGroupsWeightDecay(model.namedParameters(), 0.05, model.noWeightDecay()), { lr });
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    losses.push(tidy(() => {
      opt.zeroGrad();
      const loss = crossEntropy(model.forward(tensor(x, shape)), labels);
      backward(loss);
      opt.step();
      return loss.item();
    }));
  }
  return losses;
}

describe('overfitting a small batch', () => {
  const rng = new Rng(5);
  const x = new Float32Array(8 * 3 * 16 * 16).map(() => rng.normal());
  const labels = [0, 1, 2, 3, 0, 1, 2, 3];
  it('tiny ViT', () => {
    const m = createModel('vit', { img_size: 16, patch_size: 4, embed_dim: 32, depth: 2, num_heads: 2, num_classes: 4 });
    const losses = overfit(m, x, [8, 3, 16, 16], labels, 40, 3e-3);
    expect(losses[0]).toBeGreaterThan(1.2);
    expect(losses[losses.length - 1]!).toBeLessThan(0.1 * losses[0]!);
  });
  it('tiny ConvNeXt', () => {
    const m = createModel('convnext', { depths: [1, 1], dims: [16, 32], num_classes: 4, ls_init_value: 1e-2 });
    const losses = overfit(m, x, [8, 3, 16, 16], labels, 40, 3e-3);
    expect(losses[losses.length - 1]!).toBeLessThan(0.1 * losses[0]!);
  });
});
