// The confusion matrix of `wsel eval`: counts per (true, predicted) class pair, printed whole for a few classes
// and as the most frequent confusions for many.
import { describe, expect, it } from 'vitest';
import { formatConfusion } from '../../src/cli/eval-command.js';
import { DataLoader } from '../../src/data/index.js';
import { evaluate } from '../../src/training/evaluate.js';
import { buildModel, resolveModelSpec } from '../../src/training/model-config.js';
import { tinyMnist } from './helpers.js';

const perClass = (k: number) => Array.from({ length: k }, (_, i) => ({ class: i, name: `c${i}`, correct: 0, total: 0, accuracy: 0 }));

describe('confusion matrix', () => {
  it('counts every test image once, by true and predicted class', () => {
    const data = tinyMnist(10, 60);
    const spec = resolveModelSpec('vit', {}, { img_size: 28, patch_size: 7, in_chans: 1, num_classes: 10, embed_dim: 16, depth: 1, num_heads: 2 });
    const model = buildModel(spec, 1);
    const r = evaluate(model, new DataLoader(data.test, { batchSize: 25 }), data.classNames);
    expect(r.confusion.flat().reduce((a, c) => a + c, 0)).toBe(60);
    expect(r.confusion.map((row, i) => row[i])).toEqual(r.perClass.map((c) => c.correct));
    expect(r.confusion.map((row) => row.reduce((a, c) => a + c, 0))).toEqual(r.perClass.map((c) => c.total));
    expect(r.accuracy).toBe(r.perClass.reduce((a, c) => a + c.correct, 0) / 60);
  });

  it('prints a small matrix whole and a large one as its most frequent confusions', () => {
    const small = [[5, 1], [0, 7]];
    expect(formatConfusion({ confusion: small, perClass: perClass(2) })).toEqual([
      '  confusion matrix (rows: true class, columns: predicted class)',
      '        0 1',
      '  0 c0  5 1',
      '  1 c1  0 7',
    ]);
    const k = 25;
    const big = Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j): number => (i === j ? 50 : 0)));
    big[3]![7] = 9;
    big[12]![1] = 4;
    expect(formatConfusion({ confusion: big, perClass: perClass(k) })).toEqual([
      '  most frequent confusions (true -> predicted; --json has the whole 25x25 matrix):',
      '    c3 -> c7: 9',
      '    c12 -> c1: 4',
    ]);
  });
});
