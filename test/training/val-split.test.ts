// --val-size: a class-balanced, seeded validation split of the training images, disjoint from the train subset;
// "best" is chosen on it and never on the test split.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../src/checkpoint/node/open.js';
import type { Dataset } from '../../src/data/index.js';
import { splitTrainVal } from '../../src/training/data.js';
import { train } from '../../src/training/trainer.js';
import { makeTmpDir } from '../helpers.js';
import { differing, snapshot, TINY_VIT, tinyMnist } from './helpers.js';

const tmp = makeTmpDir('wsel-val-');
afterAll(() => tmp.cleanup());

const counts = (labels: ArrayLike<number>, idx: ArrayLike<number>): number[] => {
  const c = new Array<number>(10).fill(0);
  for (const i of Array.from(idx)) c[labels[i]!]!++;
  return c;
};

describe('splitTrainVal', () => {
  const labels = tinyMnist(300).train.labels;

  it('with a train size: the same train subset as without a validation split, and validation images from the rest', () => {
    const plain = splitTrainVal(labels, 100, undefined, 4);
    const split = splitTrainVal(labels, 100, 50, 4);
    expect(plain.val).toBeNull();
    expect(Array.from(split.train!)).toEqual(Array.from(plain.train!));
    const train = new Set(split.train!);
    expect(Array.from(split.val!).some((i) => train.has(i))).toBe(false);
    expect(new Set(split.val!).size).toBe(50);
    expect(counts(labels, split.val!)).toEqual(new Array(10).fill(5));
    expect(counts(labels, split.train!)).toEqual(new Array(10).fill(10));
  });

  it('without a train size: the validation images are held out and the model trains on all the others', () => {
    const split = splitTrainVal(labels, undefined, 40, 4);
    expect(split.val!.length + split.train!.length).toBe(labels.length);
    const val = new Set(split.val!);
    expect(Array.from(split.train!).some((i) => val.has(i))).toBe(false);
    expect(counts(labels, split.val!)).toEqual(new Array(10).fill(4));
  });

  it('is seeded: the same seed gives the same split, another seed another one', () => {
    expect(Array.from(splitTrainVal(labels, 100, 50, 4).val!)).toEqual(Array.from(splitTrainVal(labels, 100, 50, 4).val!));
    expect(Array.from(splitTrainVal(labels, 100, 50, 5).val!)).not.toEqual(Array.from(splitTrainVal(labels, 100, 50, 4).val!));
  });

  it('refuses sizes that do not fit, naming both', () => {
    expect(() => splitTrainVal(labels, 250, 100, 0)).toThrow(/trainSize 250 and valSize 100 need 350 training images; the data has 300/);
    expect(() => splitTrainVal(labels, undefined, 300, 0)).toThrow(/valSize 300 leaves no training images/);
    expect(() => splitTrainVal(labels, undefined, 0, 0)).toThrow(/valSize must be a positive integer/);
  });
});

describe('train --val-size', () => {
  const common = { family: 'vit' as const, config: TINY_VIT, batchSize: 16, epochs: 4, seed: 3, logEvery: 0, trainSize: 64 };
  const epochRecords = (dir: string) => readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n')
    .map((l) => JSON.parse(l)).filter((r) => r.type === 'epoch');
  const bestMeta = (dir: string) => {
    const r = openCheckpoint(path.join(dir, 'best.safetensors'));
    try {
      return JSON.parse(r.metadata['wsel.eval']!) as { epoch: number; val_accuracy: number };
    } finally {
      r.close();
    }
  };

  it('chooses "best" on the validation split; the test split changes what is reported, never what is chosen', async () => {
    const data = tinyMnist(200, 100);
    // The same training images with other test labels: every test accuracy changes, nothing chosen may.
    const relabelled: Dataset = { ...data, test: { ...data.test, labels: data.test.labels.map((y) => (y + 1) % 10) } };
    const a = tmp.file('val-a');
    const b = tmp.file('val-b');
    const ra = await train({ ...common, data, valSize: 50, out: a });
    const rb = await train({ ...common, data: relabelled, valSize: 50, out: b });
    expect(ra.summary.val_size).toBe(50);
    expect(ra.summary.train_size).toBe(64);
    const recs = epochRecords(a);
    expect(recs.map((r) => r.val_acc).every((v) => typeof v === 'number')).toBe(true);
    const vals = recs.map((r) => r.val_acc as number);
    expect(ra.summary.best_epoch).toBe(vals.indexOf(Math.max(...vals)) + 1);
    expect(ra.summary.best_val_acc).toBe(Math.max(...vals));
    expect(ra.summary.final_val_acc).toBe(vals[vals.length - 1]);
    expect(bestMeta(a).epoch).toBe(ra.summary.best_epoch);
    // The other test labels: different test accuracy, identical choice and identical best weights.
    expect(rb.summary.final_acc).not.toBe(ra.summary.final_acc);
    expect(rb.summary.best_epoch).toBe(ra.summary.best_epoch);
    expect(readFileSync(path.join(b, 'best.safetensors')).equals(readFileSync(path.join(a, 'best.safetensors')))).toBe(true);
  });

  it('does not change what is trained when a train size is given; without a validation split nothing is "best"', async () => {
    const data = tinyMnist(200, 50);
    const withVal = await train({ ...common, data, valSize: 40 });
    const dir = tmp.file('no-val');
    const without = await train({ ...common, data, out: dir });
    expect(differing(snapshot(withVal.model), snapshot(without.model))).toEqual([]);
    expect(withVal.summary.final_acc).toBe(without.summary.final_acc);
    expect(without.summary).toMatchObject({ val_size: null, best_epoch: null, best_val_acc: null, final_val_acc: null });
    expect(existsSync(path.join(dir, 'best.safetensors'))).toBe(false);
    expect(epochRecords(dir).every((r) => !('val_acc' in r) && !('best_acc' in r))).toBe(true);
  });

  it('a resume with another validation split is refused', async () => {
    const data = tinyMnist(200, 50);
    const dir = tmp.file('val-resume');
    await train({ ...common, data, valSize: 40, out: dir, stopAfterSteps: 2 });
    await expect(train({ ...common, data, valSize: 30, out: dir, resume: true })).rejects.toThrow(/val_size \(40 there, 30 now\)/);
  });
});
