// Predictions: the same preprocessing as training (from what the checkpoint records), class names, batches, and
// `wsel predict` as a user runs it (text, JSON, CSV; image files, a folder, a data set).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pngjs from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveSafetensors } from '../../src/checkpoint/node/write.js';
import { openCheckpoint } from '../../src/checkpoint/node/open.js';
import type { Dataset } from '../../src/data/index.js';
import { predict } from '../../src/training/predict.js';
import { PREPROCESS_KEY, readClassNames, readPreprocess } from '../../src/training/recorded-input.js';
import { train } from '../../src/training/trainer.js';
import { makeTmpDir, wsel } from '../helpers.js';
import { TINY_VIT, tinyMnist } from './helpers.js';

const tmp = makeTmpDir('wsel-predict-');
afterAll(() => tmp.cleanup());

const DIGITS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
let data: Dataset;
let checkpoint: string;
let finalAcc: number;
const folder = tmp.file('pngs');

/** Test image i of `data` as a grayscale PNG. */
function writePng(file: string, i: number): void {
  const { images, height: h, width: w } = data.test;
  const png = new pngjs.PNG({ width: w, height: h });
  for (let p = 0; p < h * w; p++) {
    const v = images[i * h * w + p]!;
    png.data.set([v, v, v, 255], 4 * p);
  }
  writeFileSync(file, pngjs.PNG.sync.write(png));
}

beforeAll(async () => {
  // Class names other than the digits, to see that they are recorded and used.
  data = { ...tinyMnist(64, 40), classNames: DIGITS };
  const out = tmp.file('run');
  const r = await train({ family: 'vit', config: TINY_VIT, data, batchSize: 16, steps: 8, evalEvery: 0, logEvery: 0, out });
  checkpoint = path.join(out, 'final.safetensors');
  finalAcc = r.summary.final_acc!;
  mkdirSync(folder);
  for (let i = 0; i < data.test.n; i++) writePng(path.join(folder, `img${String(i).padStart(3, '0')}.png`), i);
});

describe('predict', () => {
  it('trained checkpoints record their preprocessing and class names', () => {
    const r = openCheckpoint(checkpoint);
    try {
      expect(readClassNames(r.metadata, 10)).toEqual(DIGITS);
      expect(readPreprocess(r.metadata)).toEqual({
        image_height: 28, image_width: 28, image_channels: 1, fit: 'pad', input_size: 28, input_channels: 1,
        mean: [...data.stats.mean], std: [...data.stats.std],
      });
    } finally {
      r.close();
    }
  });

  it('a data set\'s test split: the accuracy training measured, with the recorded class names', () => {
    const r = predict({ checkpoint, inputs: { data, split: 'test' }, topK: 3 });
    expect(r.preprocessFrom).toBe('checkpoint');
    expect(r.predictions).toHaveLength(40);
    expect(r.accuracy).toBe(finalAcc);
    const p = r.predictions[0]!;
    expect(p.input).toBe('test[0]');
    expect(p.label).toBe(data.test.labels[0]);
    expect(p.top).toHaveLength(3);
    expect(p.top[0]!.name).toBe(DIGITS[p.top[0]!.class]);
    expect(p.top[0]!.probability).toBeGreaterThanOrEqual(p.top[1]!.probability);
    const all = predict({ checkpoint, inputs: { data }, topK: 10, logits: true }).predictions[0]!;
    expect(all.top.reduce((a, t) => a + t.probability, 0)).toBeCloseTo(1, 6);
    expect(all.logits).toHaveLength(10);
  });

  it('image files get the same predictions as the same images in the data set, in any batch size', () => {
    const fromData = predict({ checkpoint, inputs: { data } }).predictions;
    const fromFiles = predict({ checkpoint, inputs: { folder } }).predictions;
    expect(fromFiles.map((p) => p.input)).toEqual(fromData.map((_, i) => path.join(folder, `img${String(i).padStart(3, '0')}.png`)));
    expect(fromFiles.map((p) => p.top)).toEqual(fromData.map((p) => p.top));
    expect(fromFiles.every((p) => p.label === null)).toBe(true);
    // Other batch sizes: the same classes; probabilities equal but for the last bits of the matrix products.
    const close = (got: typeof fromData, want: typeof fromData) => got.forEach((p, i) => {
      expect(p.top.map((t) => t.class)).toEqual(want[i]!.top.map((t) => t.class));
      p.top.forEach((t, j) => expect(t.probability).toBeCloseTo(want[i]!.top[j]!.probability, 6));
    });
    close(predict({ checkpoint, inputs: { folder }, batchSize: 7 }).predictions, fromData);
    close(predict({ checkpoint, inputs: { images: [fromFiles[5]!.input, fromFiles[2]!.input] } }).predictions, [fromData[5]!, fromData[2]!]);
  });

  it('a checkpoint without the record: the preprocessing of the data set it was trained on', () => {
    const old = tmp.file('old.safetensors');
    const r = openCheckpoint(checkpoint);
    const metadata = { ...r.metadata };
    delete metadata[PREPROCESS_KEY];
    saveSafetensors(old, [...r.tensors.values()].map((t) => ({ name: t.name, dtype: t.dtype, shape: [...t.shape], data: r.readBytes(t.name) })), metadata);
    r.close();
    const fromOld = predict({ checkpoint: old, inputs: { folder } });
    expect(fromOld.preprocessFrom).toBe('data');
    expect(fromOld.predictions.map((p) => p.top)).toEqual(predict({ checkpoint, inputs: { folder } }).predictions.map((p) => p.top));
  });
});

describe('wsel predict', () => {
  it('prints text, CSV and JSON; names what is wrong', () => {
    const text = wsel('predict', '--checkpoint', checkpoint, '--images', folder, '--top-k', '2');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^# .*final\.safetensors: vit, 10 classes; input 1x28 \(preprocessing from the checkpoint\)\n.*img000\.png {2}\w+ [\d.]+% {2}\w+ [\d.]+%\n/);
    const csv = wsel('predict', '--checkpoint', checkpoint, path.join(folder, 'img001.png'), path.join(folder, 'img000.png'), '--top-k', '1', '--csv').stdout.trim().split('\n');
    expect(csv[0]).toBe('input,label,label_name,top1,top1_name,top1_probability');
    expect(csv).toHaveLength(3);
    expect(csv[1]).toMatch(/img001\.png,,,\d,\w+,0\.\d+$/);
    const json = JSON.parse(wsel('predict', '--checkpoint', checkpoint, '--data', 'mnist', '--limit', '5', '--json').stdout);
    expect(json).toMatchObject({ family: 'vit', class_names: DIGITS, n: 5, preprocess_from: 'checkpoint' });
    expect(json.predictions[0]).toMatchObject({ input: 'test[0]', label: 7 });
    expect(typeof json.accuracy).toBe('number');
    const cases: [string[], number, RegExp][] = [
      [[], 2, /give what to predict: IMAGE files, --images DIR or --data NAME/],
      [['--images', folder, '--data', 'mnist'], 2, /one of them/],
      [['--images', folder, '--json', '--csv'], 2, /--json or --csv, not both/],
      [['--images', folder, '--split', 'train'], 2, /--split and --limit go with --data/],
      [[tmp.file('missing.png')], 1, /missing\.png/],
      [[checkpoint], 1, /final\.safetensors: not a PNG or JPEG file/],
      [['--data', 'mnist', '--top-k', '0'], 2, /--top-k must be an integer >= 1/],
    ];
    for (const [args, code, message] of cases) {
      const r = wsel('predict', '--checkpoint', checkpoint, ...args);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.code, args.join(' ')).toBe(code);
    }
  }, 120_000);
});
