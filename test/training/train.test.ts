// The training loop: it learns, and its guarantees hold bit for bit (KD with alpha 0 is plain training, a
// resumed run equals an uninterrupted one, a linear probe touches only the classifier).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { train } from '../../src/training/trainer.js';
import { initModel } from '../../src/training/init.js';
import { buildModel } from '../../src/training/model-config.js';
import { makeTmpDir } from '../helpers.js';
import { differing, snapshot, TINY_CONVNEXT, TINY_VIT, tinyMnist } from './helpers.js';

const tmp = makeTmpDir('wsel-train-');
afterAll(() => tmp.cleanup());

const quiet = { augment: { cropPad: 0, flip: false, mixup: 0, cutmix: 0, labelSmoothing: 0 }, evalEvery: 0, logEvery: 0 };

describe('train', () => {
  it('a tiny ViT overfits a small batch', async () => {
    const data = tinyMnist(32, 0, true);
    const r = await train({ family: 'vit', config: TINY_VIT, data, batchSize: 32, steps: 80, lr: 2e-3, minLr: 2e-3, warmupSteps: 0, weightDecay: 0, ...quiet });
    expect(r.summary.final_acc).toBe(1);
    expect(r.summary.final_loss!).toBeLessThan(0.2);
  });

  it('a tiny ConvNeXt overfits a small batch', async () => {
    const data = tinyMnist(32, 0, true);
    const r = await train({ family: 'convnext', config: TINY_CONVNEXT, data, batchSize: 32, steps: 60, lr: 2e-3, minLr: 2e-3, warmupSteps: 0, weightDecay: 0, dropPath: 0, ...quiet });
    expect(r.summary.input).toEqual({ channels: 1, size: 32 });
    expect(r.summary.final_acc).toBe(1);
    expect(r.summary.final_loss!).toBeLessThan(0.5);
  });

  it('KD with alpha = 0 is plain training, bit for bit; alpha > 0 changes it', async () => {
    const data = tinyMnist(64);
    const teacherDir = tmp.file('kd-teacher');
    await train({ family: 'vit', config: { ...TINY_VIT, embed_dim: 48, num_heads: 3 }, data, batchSize: 32, steps: 4, out: teacherDir, ...quiet });
    const teacher = path.join(teacherDir, 'final.safetensors');
    const common = { family: 'vit' as const, config: TINY_VIT, data, batchSize: 16, steps: 6, seed: 3, evalEvery: 0, logEvery: 0 };
    const plain = snapshot((await train(common)).model);
    const kd0 = snapshot((await train({ ...common, kd: { teacher, alpha: 0, temperature: 4 } })).model);
    expect(differing(plain, kd0)).toEqual([]);
    const kd = snapshot((await train({ ...common, kd: { teacher, alpha: 0.5, temperature: 4 } })).model);
    expect(differing(plain, kd).length).toBeGreaterThan(0);
  });

  it('resuming an interrupted run gives the same weights as no interruption, bit for bit', async () => {
    const data = tinyMnist(96);
    // Stochastic depth, crop, flip, mixup and cutmix all draw random numbers: all must replay exactly.
    const common = {
      family: 'vit' as const, config: TINY_VIT, data, batchSize: 16, epochs: 2, seed: 7, dropPath: 0.2, clipGrad: 1,
      augment: { cropPad: 2, flip: true, mixup: 0.8, cutmix: 1.0, labelSmoothing: 0.1 }, logEvery: 2,
    };
    const full = await train({ ...common, out: tmp.file('full') });
    const dir = tmp.file('interrupted');
    const first = await train({ ...common, out: dir, stopAfterSteps: 4 }); // mid-epoch (6 steps per epoch)
    expect(first.interrupted).toBe(true);
    expect(existsSync(path.join(dir, 'last.safetensors'))).toBe(true);
    await expect(train({ ...common, out: dir })).rejects.toThrow(/already holds a run \(last\.safetensors\); add resume to continue it/);
    const resumed = await train({ ...common, out: dir, resume: true });
    expect(resumed.interrupted).toBe(false);
    expect(differing(snapshot(full.model), snapshot(resumed.model))).toEqual([]);
    expect(resumed.summary.final_acc).toBe(full.summary.final_acc);
    // The log reads as one run: same epoch records as the uninterrupted one.
    const epochs = (d: string) => readFileSync(path.join(d, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
      .filter((r) => r.type === 'epoch').map((r) => [r.step, r.train_loss, r.eval_acc]);
    expect(epochs(dir)).toEqual(epochs(tmp.file('full')));
    // A different run cannot resume this one.
    await expect(train({ ...common, lr: 5e-4, out: dir, resume: true })).rejects.toThrow(/differs .* lr/);
  });

  it('a linear probe trains only the classifier', async () => {
    const data = tinyMnist(64);
    const probe = await train({ family: 'vit', config: TINY_VIT, data, steps: 8, batchSize: 16, linearProbe: true, dropPath: 0.1, seed: 5, ...quiet });
    expect(probe.summary.trainable_parameters).toBe(32 * 10 + 10);
    // The same seed and config give the same initialization: everything but the head must be untouched.
    const fresh = buildModel(probe.spec, 5);
    initModel(fresh, 'timm', 5);
    expect(differing(snapshot(fresh), snapshot(probe.model)).sort()).toEqual(['head.bias', 'head.weight']);
  });

  it('writes metrics, summary and checkpoints; refuses bad requests before writing anything', async () => {
    const data = tinyMnist(64);
    const dir = tmp.file('run');
    const r = await train({ family: 'vit', config: TINY_VIT, data, batchSize: 16, epochs: 2, out: dir, logEvery: 2 });
    for (const f of ['metrics.jsonl', 'summary.json', 'last.safetensors', 'final.safetensors']) expect(existsSync(path.join(dir, f))).toBe(true);
    const lines = readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.type === 'epoch').length).toBe(2);
    expect(lines.filter((l) => l.type === 'step').length).toBe(4);
    const summary = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8'));
    expect(summary.final_acc).toBe(r.summary.final_acc);
    expect(summary.steps).toBe(8);
    expect(summary.images_per_s).toBeGreaterThan(0);
    const bad = tmp.file('bad');
    await expect(train({ family: 'vit', config: { ...TINY_VIT, embed_dim: 33 }, data, out: bad })).rejects.toThrow(/not divisible by num_heads/);
    await expect(train({ family: 'vit', config: { ...TINY_VIT, bogus: 1 }, data, out: bad })).rejects.toThrow(/bogus/);
    await expect(train({ family: 'vit', config: TINY_VIT, data: tmp.file('no-such-folder'), out: bad })).rejects.toThrow(/^data .*no-such-folder: unknown dataset/);
    expect(existsSync(bad)).toBe(false);
  });
});

describe('evaluation during training', () => {
  it('reads a fixed subset of the test images before the last epoch and all of them at the end', async () => {
    const data = tinyMnist(64, 300);
    const dir = tmp.file('subset');
    const lines: string[] = [];
    const progress: string[] = [];
    const r = await train({
      family: 'vit', config: TINY_VIT, data, batchSize: 16, evalBatchSize: 64, epochs: 3, evalSubset: 100, out: dir, logEvery: 0, log: (l) => lines.push(l),
      onEvalBatch: (done, total, split) => progress.push(`${split} ${done}/${total}`),
    });
    // Progress for every batch of every evaluation: 100 images are 2 batches of 64, all 300 at the end are 5.
    expect(progress).toEqual(['test 1/2', 'test 2/2', 'test 1/2', 'test 2/2', 'test 1/5', 'test 2/5', 'test 3/5', 'test 4/5', 'test 5/5']);
    const recs = readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((x) => x.type === 'epoch');
    expect(recs.map((x) => x.eval_n)).toEqual([100, 100, 300]);
    expect(r.summary).toMatchObject({ eval_size: 300, eval_subset: 100 });
    expect(lines).toContain('evaluation every epoch and at the end: 300 test images (100 of them before the last epoch)');
    // A subset as large as the test set is the test set: the same numbers as evaluating everything.
    const all = await train({ family: 'vit', config: TINY_VIT, data, batchSize: 16, epochs: 3, evalSubset: 300, logEvery: 0 });
    expect(all.summary.final_acc).toBe(r.summary.final_acc);
  });

  it('tells the user the model, the schedule and the time per epoch before training is far along', async () => {
    const lines: string[] = [];
    await train({ family: 'vit', config: TINY_VIT, data: tinyMnist(128, 20), batchSize: 16, epochs: 1, evalEvery: 0, logEvery: 0, log: (l) => lines.push(l) });
    expect(lines[1]).toMatch(/^model: vit \{"img_size":28,.*"embed_dim":32,"depth":2,"num_heads":2.*\}, 27,978 parameters \(27,978 trained\)$/);
    expect(lines[2]).toBe('schedule: 8 steps of 16 (1 epoch of 8 steps on 128 images)');
    expect(lines.some((l) => /^speed: \d+ ms\/step, about [\d.]+ s per epoch; [\d.]+ s of training left, evaluations not included$/.test(l))).toBe(true);
  });
});

describe('input size checks', () => {
  it('a ConvNeXt input too small for its stages is refused with the smallest side that works', async () => {
    const data = tinyMnist(16);
    const config = { ...TINY_CONVNEXT, depths: [1, 1, 1, 1], dims: [8, 8, 8, 8] };
    await expect(train({ family: 'convnext', config, data, imgSize: 28, steps: 1, batchSize: 8, ...quiet })).rejects
      .toThrow(/input side 28 is too small .*use imgSize 32 or more/);
  });
});
