// Checkpoints into models: what `wsel select` writes loads as it is (config from its metadata, the left-out
// classifier initialized and listed, F16 converted); anything incompatible fails naming the tensor.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convnext, vit } from '../../src/arch/index.js';
import { writeSyntheticCheckpoint } from '../../src/arch/synthetic.js';
import { CONVNEXT_DEFAULTS } from '../../src/arch/convnext.js';
import { VIT_DEFAULTS } from '../../src/arch/vit.js';
import { loadSafetensorsAll, openCheckpoint, saveSafetensors } from '../../src/checkpoint/node/index.js';
import { decodeToFloat64 } from '../../src/checkpoint/dtype.js';
import { select } from '../../src/selection/node/select.js';
import { loadIntoModel, specFromCheckpoint } from '../../src/training/checkpoint.js';
import { initModel } from '../../src/training/init.js';
import { buildModel, resolveModelSpec } from '../../src/training/model-config.js';
import { train } from '../../src/training/trainer.js';
import { makeTmpDir } from '../helpers.js';
import { tinyMnist } from './helpers.js';

const tmp = makeTmpDir('wsel-ckpt-');
afterAll(() => tmp.cleanup());

const TEACHER_VIT = { ...VIT_DEFAULTS, img_size: 28, patch_size: 7, in_chans: 1, num_classes: 10, embed_dim: 64, depth: 3, num_heads: 4 };
let teacher = '';
beforeAll(() => {
  teacher = tmp.file('teacher.safetensors');
  // As `wsel train` records it: the head count cannot be read off shapes.
  writeSyntheticCheckpoint(vit.declare(TEACHER_VIT), teacher, 3, { 'wsel.arch': 'vit', 'wsel.config': JSON.stringify(TEACHER_VIT) });
});

function openModel(file: string) {
  const reader = openCheckpoint(file);
  try {
    const spec = specFromCheckpoint(reader);
    const model = buildModel(spec);
    initModel(model, 'timm', 0);
    return { spec, model, report: loadIntoModel(model, reader), file: loadSafetensorsAll(file) };
  } finally {
    reader.close();
  }
}

describe('loading checkpoints', () => {
  it('a selected ViT loads into the model: config from metadata, values as stored, the head initialized', async () => {
    const out = tmp.file('student.safetensors');
    select({ arch: 'vit', teacher, out, student: { embed_dim: 32, depth: 2 } });
    const { spec, model, report, file } = openModel(out);
    expect(spec.family).toBe('vit');
    expect(spec.config).toMatchObject({ embed_dim: 32, depth: 2, num_heads: 2, img_size: 28, patch_size: 7, in_chans: 1 });
    expect(report.missing.sort()).toEqual(['head.bias', 'head.weight']);
    for (const [name, p] of model.namedParameters()) {
      const t = file.tensors.get(name);
      if (!t) continue;
      expect(Array.from(p.data)).toEqual(Array.from(decodeToFloat64(t.dtype, t.data)));
    }
  });

  it('F16 and BF16 selections are converted to F32 on load', async () => {
    for (const dtype of ['f16', 'bf16'] as const) {
      const out = tmp.file(`student-${dtype}.safetensors`);
      select({ arch: 'vit', teacher, out, student: { embed_dim: 32 }, dtype });
      const { model, file } = openModel(out);
      const w = model.stateDict().get('blocks.0.attn.qkv.weight')!;
      const t = file.tensors.get('blocks.0.attn.qkv.weight')!;
      expect(t.dtype).toBe(dtype.toUpperCase());
      expect(Array.from(w.data)).toEqual(Array.from(decodeToFloat64(t.dtype, t.data)));
    }
  });

  it('a selected ConvNeXt with an excluded component loads, listing what was initialized', async () => {
    const t = tmp.file('convnext-teacher.safetensors');
    writeSyntheticCheckpoint(convnext.declare({ ...CONVNEXT_DEFAULTS, in_chans: 1, num_classes: 10, depths: [2, 2], dims: [16, 32] }), t, 1);
    const out = tmp.file('convnext-student.safetensors');
    select({ arch: 'convnext', teacher: t, out, student: { depths: [1, 1], dims: [8, 16] }, exclude: ['conv'] });
    const { spec, report } = openModel(out);
    expect(spec.config).toMatchObject({ depths: [1, 1], dims: [8, 16] });
    expect(report.missing.sort()).toEqual([
      'head.fc.bias', 'head.fc.weight',
      'stages.0.blocks.0.conv_dw.bias', 'stages.0.blocks.0.conv_dw.weight',
      'stages.1.blocks.0.conv_dw.bias', 'stages.1.blocks.0.conv_dw.weight',
    ]);
  });

  it('a selected ConvNeXt with two stages of equal width loads and trains (its downsample is kept)', async () => {
    const convTeacher = tmp.file('conv-equal-teacher.safetensors');
    const config = { ...CONVNEXT_DEFAULTS, in_chans: 1, num_classes: 10, depths: [1, 1, 2, 1], dims: [16, 32, 64, 128] };
    writeSyntheticCheckpoint(convnext.declare(config), convTeacher, 6, { 'wsel.arch': 'convnext', 'wsel.config': JSON.stringify(config) });
    const out = tmp.file('conv-equal.safetensors');
    select({ arch: 'convnext', teacher: convTeacher, out, student: { depths: [1, 1, 1, 1], dims: [8, 16, 16, 32] } });
    const { report } = openModel(out);
    expect(report.loaded).toContain('stages.2.downsample.1.weight');
    expect(report.missing.sort()).toEqual(['head.fc.bias', 'head.fc.weight']);
    const result = await train({ init: out, data: tinyMnist(16), steps: 1, batchSize: 8, evalSize: 16 });
    expect(result.summary.loaded_tensors).toBe(report.loaded.length);
  });

  it('ConvNeXt MLP weights load across layouts (Linear <-> 1x1 conv, conv_mlp): the same values', async () => {
    const config = { ...CONVNEXT_DEFAULTS, in_chans: 1, num_classes: 10, depths: [1, 1], dims: [8, 16] };
    for (const conv_mlp of [false, true]) {
      const file = tmp.file(`conv-layout-${conv_mlp}.safetensors`);
      writeSyntheticCheckpoint(convnext.declare({ ...config, conv_mlp }), file, 8, { 'wsel.arch': 'convnext', 'wsel.config': JSON.stringify({ ...config, conv_mlp }) });
      const reader = openCheckpoint(file);
      try {
        const spec = specFromCheckpoint(reader, undefined, { conv_mlp: !conv_mlp });
        const model = buildModel(spec);
        const report = loadIntoModel(model, reader);
        expect(report.missing).toEqual([]);
        const fc1 = model.namedParameters().find(([n]) => n === 'stages.1.blocks.0.mlp.fc1.weight')![1];
        expect(fc1.shape).toEqual(conv_mlp ? [64, 16] : [64, 16, 1, 1]);
        const stored = loadSafetensorsAll(file).tensors.get('stages.1.blocks.0.mlp.fc1.weight')!;
        expect(Array.from(fc1.data)).toEqual(Array.from(decodeToFloat64(stored.dtype, stored.data)));
      } finally {
        reader.close();
      }
    }
  });

  it('train configs follow the same head rule and timm names as selection', () => {
    // Over timm's defaults (ViT-B, 12 heads of 64): 64 wide keeps the 64-wide heads, 96 wide cannot.
    expect(resolveModelSpec('vit', {}, { embed_dim: 64 }).config.num_heads).toBe(1);
    expect(() => resolveModelSpec('vit', {}, { embed_dim: 96 })).toThrow(/embed_dim 96 cannot keep the 64-wide heads.*give num_heads/);
    const named = resolveModelSpec('vit', { num_classes: 10 }, { name: 'vit_tiny_patch16_224', depth: 6 }).config;
    expect(named).toMatchObject({ embed_dim: 192, num_heads: 3, depth: 6, patch_size: 16, img_size: 224, num_classes: 10 });
    expect(() => resolveModelSpec('vit', {}, { name: 'convnext_femto' })).toThrow(/"convnext_femto" is a convnext model, not a vit one/);
    expect(() => resolveModelSpec('vit', {}, { name: 'vit_tiny_patch16_244' })).toThrow(/unknown timm model name "vit_tiny_patch16_244" \(closest: vit_tiny_patch16_224/);
  });

  it('a wrong-shaped tensor fails naming the tensor and both shapes; an unknown one fails naming it', async () => {
    const src = loadSafetensorsAll(teacher);
    const wrong = tmp.file('wrong.safetensors');
    const tensors = [...src.tensors.values()].map((t) => t.name === 'blocks.1.mlp.fc1.weight'
      ? { ...t, shape: [128, 128], data: new Uint8Array(128 * 128 * 4) } : t);
    saveSafetensors(wrong, tensors, {});
    const spec = resolveModelSpec('vit', TEACHER_VIT);
    const model = buildModel(spec);
    const reader = openCheckpoint(wrong);
    try {
      expect(() => loadIntoModel(model, reader)).toThrow(/blocks\.1\.mlp\.fc1\.weight is \(128, 128\) in the checkpoint, \(256, 64\) in the model/);
    } finally {
      reader.close();
    }
    const extra = tmp.file('extra.safetensors');
    saveSafetensors(extra, [...src.tensors.values(), { name: 'blocks.9.norm1.weight', dtype: 'F32', shape: [64], data: new Uint8Array(256) }], {});
    const r2 = openCheckpoint(extra);
    try {
      expect(() => loadIntoModel(buildModel(spec), r2)).toThrow(/does not have: blocks\.9\.norm1\.weight/);
    } finally {
      r2.close();
    }
  });

  it('train --init with a selection: the classifier gets the data\'s label set; a mismatched config is refused', async () => {
    const out = tmp.file('student-train.safetensors');
    select({ arch: 'vit', teacher, out, student: { embed_dim: 32, depth: 1 } });
    const logs: string[] = [];
    const r = await train({ init: out, data: tinyMnist(32), steps: 2, batchSize: 16, evalEvery: 0, log: (l) => logs.push(l) });
    expect(r.summary.loaded_tensors).toBeGreaterThan(0);
    expect(r.summary.initialized_tensors.sort()).toEqual(['head.bias', 'head.weight']);
    expect(logs.join('\n')).toMatch(/initialized \(timm\): head\.weight, head\.bias/);
    await expect(train({ init: out, config: { embed_dim: 48 }, data: tinyMnist(32), steps: 1 })).rejects.toThrow(/shape mismatch/);
  });
});

describe('random initialization schemes', () => {
  const spec = resolveModelSpec('vit', { ...TEACHER_VIT, embed_dim: 32, num_heads: 2 });
  const stats = (scheme: 'timm' | 'xavier' | 'kaiming') => {
    const m = buildModel(spec);
    initModel(m, scheme, 1);
    return new Map(m.namedParameters().map(([n, p]) => {
      let max = 0;
      let sq = 0;
      for (const v of p.data) { max = Math.max(max, Math.abs(v)); sq += v * v; }
      return [n, { max, std: Math.sqrt(sq / p.size), shape: p.shape }] as const;
    }));
  };
  it('timm: trunc-normal(0.02) weights (conv included), zero biases, unit norms', async () => {
    const s = stats('timm');
    for (const n of ['patch_embed.proj.weight', 'blocks.0.attn.qkv.weight', 'head.weight', 'pos_embed']) {
      expect(s.get(n)!.max).toBeLessThanOrEqual(0.04);
      expect(s.get(n)!.std).toBeGreaterThan(0.015);
    }
    expect(s.get('blocks.0.attn.qkv.bias')!.max).toBe(0);
    expect(s.get('norm.weight')!.std).toBe(1);
    expect(s.get('cls_token')!.max).toBeLessThan(1e-5);
  });
  it('xavier-uniform and kaiming-normal (fan_in) weights', async () => {
    const x = stats('xavier').get('blocks.0.mlp.fc1.weight')!; // (128, 32)
    expect(x.max).toBeLessThanOrEqual(Math.sqrt(6 / (128 + 32)));
    expect(x.std).toBeCloseTo(Math.sqrt(2 / (128 + 32)), 2);
    const k = stats('kaiming').get('blocks.0.mlp.fc1.weight')!;
    expect(k.std).toBeCloseTo(Math.sqrt(2 / 32), 1);
    expect(stats('kaiming').get('blocks.0.mlp.fc1.bias')!.max).toBe(0);
  });
});
