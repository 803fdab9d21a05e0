// Activation importance (--elements activation): teachers built so that one unit of a space clearly carries
// the most activation must have that unit kept; scores are deterministic for a seed and data; every space the
// architecture declares (but kernel taps and fixed axes) is scored; the teacher is left as it was.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { FAMILIES } from '../../src/arch/index.js';
import { tensor } from '../../src/engine/index.js';
import type { Model, ModelFamily } from '../../src/models/index.js';
import { select } from '../../src/selection/node/select.js';
import { activationScores, calibrate, parseCalibSpec } from '../../src/training/calibrate.js';
import { modelMetadata, saveModel } from '../../src/training/checkpoint.js';
import { buildModel, resolveModelSpec } from '../../src/training/model-config.js';
import { makeTmpDir } from '../helpers.js';
import { TINY_CONVNEXT, TINY_VIT, tinyMnist } from './helpers.js';

const tmp = makeTmpDir('wsel-calibrate-');
afterAll(() => tmp.cleanup());

const TINY_MIXER = { img_size: 28, patch_size: 7, in_chans: 1, num_classes: 10, embed_dim: 32, num_blocks: 2 };
const CONFIGS: Record<ModelFamily, Record<string, unknown>> = { vit: TINY_VIT, convnext: TINY_CONVNEXT, mixer: TINY_MIXER };
/** Spatial kernel taps: no activation is indexed by them. */
const KERNEL_SPACES = new Set(['patch', 'stem_patch', 'kernel']);

function teacherModel(family: ModelFamily, edit: (p: Map<string, Float32Array>) => void = () => {}) {
  const spec = resolveModelSpec(family, CONFIGS[family]!);
  const model = buildModel(spec, 5);
  edit(new Map(model.namedParameters().map(([n, t]) => [n, t.data])));
  return { spec, model };
}

function saveTeacher(name: string, family: ModelFamily, edit: (p: Map<string, Float32Array>) => void): string {
  const { spec, model } = teacherModel(family, edit);
  const file = tmp.file(`${name}.safetensors`);
  saveModel(file, model, modelMetadata(spec));
  return file;
}

const data = tinyMnist(64);

function spacesOf(file: string, student: Record<string, unknown>, family: ModelFamily, elements: 'activation' | 'uniform' | 'first', heads: 'flat' | 'whole' = 'flat') {
  const out = tmp.file(`${family}-${elements}-${heads}-${Math.random().toString(36).slice(2)}.safetensors`);
  const activation = elements === 'activation' ? calibrate({ teacher: file, data, images: 64, seed: 0 }) : undefined;
  const r = select({ arch: family, teacher: file, out, student, elements, heads, activation });
  const record = JSON.parse(readFileSync(r.record, 'utf8')) as { spaces: Record<string, { indices: number[] | null; rule: string }> };
  return Object.fromEntries(Object.entries(record.spaces).map(([k, v]) => [k, v.indices ?? []]));
}

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

describe('activation importance keeps the unit that carries the activation', () => {
  it('ViT: a loud MLP unit, a loud residual channel, a loud head', () => {
    const teacher = saveTeacher('vit-loud', 'vit', (p) => {
      p.get('blocks.0.mlp.fc1.bias')![101] = 8; // GELU(8) = 8 at every token: fc2's loudest input
      for (const n of ['blocks.0.norm1', 'blocks.0.norm2', 'blocks.1.norm1', 'blocks.1.norm2', 'norm']) p.get(`${n}.weight`)![31] = 10;
      const qkv = p.get('blocks.1.attn.qkv.weight')!; // rows [q; k; v], each 2 heads x 16
      for (let row = 2 * 32 + 16; row < 3 * 32; row++) for (let c = 0; c < 32; c++) qkv[row * 32 + c]! *= 100; // v of head 1
    });
    const student = { embed_dim: 16 }; // 1 head of 16, MLP 64
    for (const heads of ['flat', 'whole'] as const) {
      const act = spacesOf(teacher, student, 'vit', 'activation', heads);
      expect(act['blocks.0.mlp']).toContain(101);
      expect(act['embed']).toContain(31);
      expect(act['blocks.1.attn']).toEqual(range(16, 32));
      expect(act['blocks.0.mlp']).toEqual([...act['blocks.0.mlp']!].sort((a, b) => a - b)); // original order kept
    }
    // The rules that ignore the data miss all three.
    for (const rule of ['uniform', 'first'] as const) {
      const other = spacesOf(teacher, student, 'vit', rule, 'whole');
      expect(other['blocks.0.mlp']).not.toContain(101);
      expect(other['embed']).not.toContain(31);
      expect(other['blocks.1.attn']).toEqual(range(0, 16));
    }
  });

  it('ConvNeXt: a loud stage channel and a loud MLP unit', () => {
    const teacher = saveTeacher('convnext-loud', 'convnext', (p) => {
      p.get('stages.1.blocks.0.norm.weight')![29] = 10;
      p.get('stages.1.blocks.0.mlp.fc1.bias')![101] = 8;
    });
    const act = spacesOf(teacher, { dims: [8, 16] }, 'convnext', 'activation');
    expect(act['dim.1']).toContain(29);
    expect(act['stages.1.blocks.0.mlp']).toContain(101);
    const uniform = spacesOf(teacher, { dims: [8, 16] }, 'convnext', 'uniform');
    expect(uniform['dim.1']).not.toContain(29);
    expect(uniform['stages.1.blocks.0.mlp']).not.toContain(101);
  });

  it('MLP-Mixer: a loud channel, a loud token-MLP unit, a loud channel-MLP unit', () => {
    const teacher = saveTeacher('mixer-loud', 'mixer', (p) => {
      for (const n of ['blocks.0.norm1', 'blocks.0.norm2', 'blocks.1.norm1', 'blocks.1.norm2', 'norm']) p.get(`${n}.weight`)![31] = 10;
      p.get('blocks.0.mlp_tokens.fc1.bias')![13] = 8;
      p.get('blocks.1.mlp_channels.fc1.bias')![101] = 8;
    });
    const act = spacesOf(teacher, { embed_dim: 16 }, 'mixer', 'activation'); // token MLP 16 -> 8, channel MLP 128 -> 64
    expect(act['embed']).toContain(31);
    expect(act['blocks.0.mlp_tokens']).toContain(13);
    expect(act['blocks.1.mlp_channels']).toContain(101);
    const first = spacesOf(teacher, { embed_dim: 16 }, 'mixer', 'first');
    expect(first['blocks.0.mlp_tokens']).not.toContain(13);
    expect(first['blocks.1.mlp_channels']).not.toContain(101);
  });
});

describe('activation scores', () => {
  for (const family of ['vit', 'convnext', 'mixer'] as const) {
    it(`${family}: every declared space but kernel taps and fixed axes is scored, at its size`, () => {
      const { spec, model } = teacherModel(family);
      const decl = FAMILIES[family]!.declare(spec.config as never);
      const batch = { x: new Float32Array(2 * 28 * 28).map((_, i) => Math.sin(i)), shape: [2, 1, 28, 28] };
      const input = family === 'convnext' ? { x: new Float32Array(2 * 32 * 32).map((_, i) => Math.sin(i)), shape: [2, 1, 32, 32] } : batch;
      const { scores } = activationScores(model, [input]);
      const expected = Object.entries(decl.spaces).filter(([name, s]) => !s.fixed && !KERNEL_SPACES.has(name));
      expect([...scores.keys()].sort()).toEqual(expected.map(([n]) => n).sort());
      for (const [name, s] of expected) expect(scores.get(name)!.length, name).toBe(s.size);
    });
  }

  it('are the same for the same teacher, data and seed, and follow the seed (the calibration subset)', () => {
    const teacher = saveTeacher('vit-plain', 'vit', () => {});
    const big = tinyMnist(200);
    const a = calibrate({ teacher, data: big, images: 50, seed: 3 });
    const b = calibrate({ teacher, data: big, images: 50, seed: 3 });
    const c = calibrate({ teacher, data: big, images: 50, seed: 4 });
    expect([...a.scores.keys()]).toEqual([...b.scores.keys()]);
    for (const [k, v] of a.scores) expect(Array.from(b.scores.get(k)!), k).toEqual(Array.from(v));
    expect(Array.from(c.scores.get('embed')!)).not.toEqual(Array.from(a.scores.get('embed')!));
    expect(a.source).toMatchObject({ images: 50, seed: 3, split: 'train' });
    expect(a.probes['embed']).toEqual(['blocks.0.norm1', 'blocks.0.norm2', 'blocks.1.norm1', 'blocks.1.norm2', 'norm']);
  });

  it('leave the teacher model as it was: same outputs, no hooks left, training mode restored', () => {
    for (const family of ['vit', 'convnext', 'mixer'] as const) {
      const { model } = teacherModel(family);
      const side = family === 'convnext' ? 32 : 28;
      const x = { x: new Float32Array(side * side).map((_, i) => Math.cos(i)), shape: [1, 1, side, side] };
      const logits = (m: Model) => { m.eval(); const y = Array.from(m.forward(tensor(x.x, x.shape)).data); m.train(); return y; };
      const before = logits(model);
      model.train();
      activationScores(model, [x]);
      expect(model.training).toBe(true);
      expect(logits(model)).toEqual(before);
      const hooked = [...model.namedModules()].filter(([, m]) => Object.hasOwn(m, 'forward')).map(([n]) => n);
      expect(hooked).toEqual([]);
    }
  });

  it('parse --calib DATA[:N]', () => {
    expect(parseCalibSpec('mnist')).toEqual({ data: 'mnist', images: 256 });
    expect(parseCalibSpec('fashion-mnist:100')).toEqual({ data: 'fashion-mnist', images: 100 });
    expect(parseCalibSpec('C:/data/x:12')).toEqual({ data: 'C:/data/x', images: 12 });
    expect(() => parseCalibSpec('mnist:0')).toThrow(/positive integer/);
    expect(() => parseCalibSpec(':5')).toThrow(/data source/);
  });

  it('refuse more calibration images than the train split has, naming the data', () => {
    const teacher = saveTeacher('vit-plain2', 'vit', () => {});
    expect(() => calibrate({ teacher, data: tinyMnist(20), images: 21, seed: 0 })).toThrow(/has only 20 images/);
  });
});
