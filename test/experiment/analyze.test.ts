// Verdicts from results on disk: a fake results folder (summary.json, run.json, metrics.jsonl per run) with
// known accuracies, through analyze() and both renderings.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze, planRuns, renderMarkdown, shellQuote, validateConfig, type ExperimentConfig } from '../../src/experiment/index.js';
import { makeTmpDir } from '../helpers.js';

const tmp = makeTmpDir('wsel-analyze-');
afterAll(() => tmp.cleanup());

const CONFIG: ExperimentConfig = {
  name: 'fake',
  seeds: [0, 1, 2],
  datasets: { a: { data: 'mnist', trainSize: 640, epochs: 1 }, b: { data: 'mnist', trainSize: 6400, epochs: 1 }, pre: { data: 'fashion-mnist', trainSize: 1280, epochs: 1 } },
  train: { 'batch-size': 64 },
  methods: [
    { id: 'ws', label: 'weight selection', datasets: ['a', 'b'], select: { arch: 'vit', teacher: 't.safetensors' } },
    { id: 'random', label: 'random', datasets: ['a', 'b'], train: { model: 'vit' } },
    { id: 'close', datasets: ['a'], train: { model: 'vit' } },
    { id: 'one-seed', datasets: ['a'], seeds: [0], train: { model: 'vit' } },
    { id: 'long', datasets: ['a'], scale: 4, train: { model: 'vit' } },
    { id: 'pre', datasets: ['pre'], seeds: [0], train: { model: 'vit' } },
    { id: 'pre-ft', datasets: ['a'], initFrom: { method: 'pre', dataset: 'pre', seed: 0 } },
  ],
  claims: [
    { id: 'c1', title: 'ws beats random', pairs: [['ws', 'random']], datasets: ['a', 'b'] },
    { id: 'c2', title: 'ws beats close', pairs: [['ws', 'close']], datasets: ['a'] },
    { id: 'c3', title: 'ws beats one-seed', pairs: [['ws', 'one-seed']], datasets: ['a'] },
    { id: 'c4', title: 'gain shrinks', kind: 'trend', pairs: [['ws', 'random']], datasets: ['a', 'b'] },
    { id: 'c5', title: 'compute', kind: 'compute', target: 'ws', baselines: ['random', 'long', 'pre-ft'], datasets: ['a'] },
  ],
};

const ACC: Record<string, number[]> = {
  'a/ws': [0.9, 0.91, 0.92], 'a/random': [0.8, 0.81, 0.79], 'a/close': [0.905, 0.915, 0.9], 'a/one-seed': [0.5],
  'a/long': [0.9, 0.93, 0.92], 'a/pre-ft': [0.95, 0.95, 0.96], 'pre/pre': [0.7],
  'b/ws': [0.97, 0.975, 0.97], 'b/random': [0.95, 0.955, 0.96],
};

describe('analyze', () => {
  const root = tmp.file('res');
  const config = validateConfig(structuredClone(CONFIG));
  mkdirSync(root, { recursive: true });
  writeFileSync(path.join(root, 'experiment.json'), JSON.stringify(config));
  for (const r of planRuns(config, root)) {
    const acc = ACC[`${r.dataset}/${r.method}`]?.[r.seed];
    if (acc === undefined) continue;
    mkdirSync(r.dir, { recursive: true });
    const steps = r.steps;
    writeFileSync(path.join(r.dir, 'summary.json'), JSON.stringify({ final_acc: acc, best_acc: acc, interrupted: false, completed_steps: steps, batch_size: 64, train_seconds: steps / 10, parameters: 1000 }));
    writeFileSync(path.join(r.dir, 'run.json'), JSON.stringify({ id: r.id, commands: r.commands.map((c) => shellQuote(['wsel', ...c])), started: '', wall_seconds: steps / 8 }));
    writeFileSync(path.join(r.dir, 'metrics.jsonl'), `${JSON.stringify({ type: 'epoch', epoch: 1, eval_acc: acc })}\n`);
  }

  it('decides each claim by the stated rule', () => {
    const a = analyze(root);
    const by = Object.fromEntries(a.claims.map((c) => [c.spec.id, c]));
    expect(by['c1']!.verdict).toBe('reproduced');
    expect(by['c1']!.pairs[0]!.p).toBeLessThan(0.05);
    expect(by['c2']!.verdict).toBe('not reproduced'); // ws is ahead by 0.17 points: same direction, not significant
    expect(by['c2']!.pairs[0]!.note).toMatch(/same direction/);
    expect(by['c3']!.verdict).toBe('partly run'); // one seed: no verdict
    expect(by['c4']!.verdict).toBe('reproduced'); // +11 points at a, +1.67 at b
    expect(by['c4']!.trend.map((t) => Number((100 * t.gain!).toFixed(2)))).toEqual([11, 1.67]);
    // long (4x the images) reaches ws; pre-ft reaches it at (1280 + 640) / 640 = 3x: the cheapest that reaches is 3x.
    const c5 = by['c5']!;
    expect(c5.verdict).toBe('reproduced');
    expect(c5.compute.find((r) => r.method === 'pre-ft')!.imageRatio).toBeCloseTo(3, 9);
    expect(c5.compute.find((r) => r.method === 'long')!.reaches).toBe(true);
    expect(c5.summary).toMatch(/a \(needs 1x or more\): a baseline reaches it at 3\.00x the training compute: reproduced/);
    expect(a.runtime.done).toBe(a.runtime.runs);
    const md = renderMarkdown(a);
    expect(md).toMatch(/\| a \| weight selection \| random \| 91\.00 ± 1\.00 \| 80\.00 ± 1\.00 \| 0,1,2 \/ 0,1,2 \| \+11\.00 \|/);
    expect(md).toMatch(/\| c3: ws beats one-seed \| partly run \|/);
  });

  it('a compute claim is reproduced only with every train set run and a baseline tested at the threshold', () => {
    const cfg = structuredClone(config);
    cfg.claims = [
      { id: 'far', title: 'needs 50x', kind: 'compute', target: 'ws', baselines: ['random'], datasets: ['a'], ratio: 50 },
      { id: 'unrun', title: 'nothing ran on pre', kind: 'compute', target: 'ws', baselines: ['random', 'close'], datasets: ['a', 'pre'], ratio: 1 },
    ];
    const file = tmp.file('compute.json');
    writeFileSync(file, JSON.stringify(cfg));
    const by = Object.fromEntries(analyze(root, file).claims.map((c) => [c.spec.id, c]));
    expect(by['far']!.verdict).toBe('partly run'); // random (1x) does not reach ws, but nothing near 50x was tried
    expect(by['far']!.summary).toMatch(/no baseline reaches it \(up to 1\.00x the training compute tested\): partly run/);
    expect(by['unrun']!.summary).toMatch(/^a \(needs 1x or more\): no baseline reaches it \(up to 1\.00x the training compute tested\): reproduced; pre: not run$/);
    expect(by['unrun']!.verdict).toBe('partly run');
  });
});
