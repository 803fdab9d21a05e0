// Unstructured pruning: exactly the budget is kept, and training keeps the pruned weights at zero.
import { afterAll, describe, expect, it } from 'vitest';
import { vit } from '../../src/arch/index.js';
import { writeSyntheticCheckpoint } from '../../src/arch/synthetic.js';
import { VIT_DEFAULTS } from '../../src/arch/vit.js';
import { loadSafetensorsAll, saveSafetensors } from '../../src/checkpoint/node/index.js';
import { decodeToFloat64 } from '../../src/checkpoint/dtype.js';
import { globalTopK, pruneCheckpoint } from '../../src/training/prune.js';
import { train } from '../../src/training/trainer.js';
import { makeTmpDir } from '../helpers.js';
import { tinyMnist } from './helpers.js';

const tmp = makeTmpDir('wsel-prune-');
afterAll(() => tmp.cleanup());

describe('unstructured pruning', () => {
  it('global top-k keeps exactly k, ties included', async () => {
    const keep = globalTopK([Float32Array.from([1, -3, 2, 2]), Float32Array.from([2, 0.5])], 3);
    expect(keep.map((m) => Array.from(m))).toEqual([[0, 1, 1, 1], [0, 0]]);
    expect(globalTopK([Float32Array.from([1, 1, 1])], 2).map((m) => Array.from(m))).toEqual([[1, 1, 0]]);
  });

  it('prunes the teacher to the student\'s parameter count, and the mask survives training', async () => {
    const teacher = tmp.file('teacher.safetensors');
    const config = { ...VIT_DEFAULTS, img_size: 28, patch_size: 7, in_chans: 1, num_classes: 10, embed_dim: 64, depth: 3, num_heads: 4 };
    const t = writeSyntheticCheckpoint(vit.declare(config), teacher, 5, { 'wsel.arch': 'vit', 'wsel.config': JSON.stringify(config) });
    const out = tmp.file('pruned.safetensors');
    const r = pruneCheckpoint({ teacher, out, student: { embed_dim: 32, depth: 2 } });
    // The student: ViT 32 wide, 2 blocks on the same input.
    const student = writeSyntheticCheckpoint(vit.declare({ ...config, embed_dim: 32, depth: 2, num_heads: 2 }), tmp.file('s.safetensors'), 0);
    expect(r.params).toBe(student.parameters);
    expect(r.teacherParams).toBe(t.parameters);
    const file = loadSafetensorsAll(out);
    const masked = JSON.parse(file.metadata['wsel.prune']!).masked as string[];
    let nonZero = 0;
    let dense = 0;
    for (const [name, tensor] of file.tensors) {
      const v = decodeToFloat64(tensor.dtype, tensor.data);
      if (masked.includes(name)) nonZero += v.filter((x) => x !== 0).length;
      else dense += v.length;
    }
    expect(file.tensors.has('head.weight')).toBe(false);
    expect(nonZero).toBe(r.keptWeights);
    expect(nonZero + dense + 64 * 10 + 10).toBe(r.params); // + the classifier the trainer re-creates

    const run = await train({ init: out, data: tinyMnist(64), steps: 4, batchSize: 16, lr: 1e-2, evalEvery: 0 });
    const params = new Map(run.model.namedParameters());
    let after = 0;
    for (const name of masked) {
      const before = decodeToFloat64(file.tensors.get(name)!.dtype, file.tensors.get(name)!.data);
      const now = params.get(name)!.data;
      for (let i = 0; i < now.length; i++) {
        if (before[i] === 0) expect(now[i]).toBe(0);
        if (now[i] !== 0) after++;
      }
    }
    expect(after).toBe(r.keptWeights);
    expect(run.summary.pruned).toMatchObject({ masked_tensors: masked.length, pruned_weights: r.prunableWeights - r.keptWeights });
  });

  it('a damaged pruning record is refused, naming the file', async () => {
    const config = { ...VIT_DEFAULTS, img_size: 28, patch_size: 7, in_chans: 1, num_classes: 10, embed_dim: 32, depth: 1, num_heads: 2 };
    const meta = { 'wsel.arch': 'vit', 'wsel.config': JSON.stringify(config) };
    const file = tmp.file('bad-record.safetensors');
    writeSyntheticCheckpoint(vit.declare(config), file, 1, meta);
    const { tensors } = loadSafetensorsAll(file);
    const cases: [string, RegExp][] = [
      ['{"masked": 3}', /metadata wsel\.prune has no "masked" list of tensor names/],
      [`{"masked": ${'['.repeat(80)}${']'.repeat(80)}}`, /metadata wsel\.prune field "masked" nests deeper than 64 levels/],
      ['{"masked": ["blocks.9.mlp.fc1.weight"]}', /the pruning record names blocks\.9\.mlp\.fc1\.weight, which the model does not have/],
    ];
    for (const [record, problem] of cases) {
      saveSafetensors(file, [...tensors.values()], { ...meta, 'wsel.prune': record });
      await expect(train({ init: file, data: tinyMnist(32), steps: 1, batchSize: 16, evalEvery: 0 }))
        .rejects.toThrow(new RegExp(`bad-record\\.safetensors: ${problem.source}`));
    }
  });

  it('refuses a budget below the dense part or above the teacher', async () => {
    const teacher = tmp.file('t2.safetensors');
    writeSyntheticCheckpoint(vit.declare({ ...VIT_DEFAULTS, img_size: 28, patch_size: 7, in_chans: 1, num_classes: 10, embed_dim: 32, depth: 1, num_heads: 2 }), teacher, 1);
    expect(() => pruneCheckpoint({ teacher, out: tmp.file('x.safetensors'), params: 10 })).toThrow(/below the .* dense/);
    expect(() => pruneCheckpoint({ teacher, out: tmp.file('x.safetensors'), params: 10 ** 9 })).toThrow(/more than the teacher has/);
  });
});
