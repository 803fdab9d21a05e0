// The pieces under the runner and the report: statistics, grid expansion, run patterns, parts, rotation data.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  flagsToArgv, incompleteBeta, loadConfig, matchRun, mean, partOf, planRuns, rotateQuarter, rotationSplit, shellQuote, std, studentTUpper,
  validateConfig, welchGreater, type ExperimentConfig,
} from '../../src/experiment/index.js';
import { makeTmpDir, REPO_ROOT } from '../helpers.js';

const tmp = makeTmpDir('wsel-grid-json-');
afterAll(() => tmp.cleanup());

describe('statistics', () => {
  it('mean and sample standard deviation', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(std([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(2.138089935, 8);
    expect(std([3])).toBe(0);
  });

  it('Student t tail matches tables (one-sided 5% and 1% critical values)', () => {
    for (const [t, df, p] of [[6.314, 1, 0.05], [2.92, 2, 0.05], [2.015, 5, 0.05], [1.833, 9, 0.05], [2.764, 10, 0.01], [1.96, 1e6, 0.025]] as const) {
      expect(studentTUpper(t, df)).toBeCloseTo(p, 3);
    }
    expect(studentTUpper(0, 4)).toBeCloseTo(0.5, 7);
    expect(studentTUpper(-2.015, 5)).toBeCloseTo(0.95, 3);
    expect(incompleteBeta(0.5, 2, 2)).toBeCloseTo(0.5, 7);
    expect(incompleteBeta(0.3, 2, 3)).toBeCloseTo(0.3483, 7);
  });

  it('Welch test: df from Welch-Satterthwaite, one-sided p', () => {
    // Reference: scipy.stats.ttest_ind(a, b, equal_var=False, alternative='greater') (scipy 1.17).
    const a = [0.91, 0.93, 0.92];
    const b = [0.88, 0.9, 0.87];
    const w = welchGreater(a, b);
    expect(w.diff).toBeCloseTo(0.0366667, 6);
    expect(w.t).toBeCloseTo(3.4785054261852206, 9);
    expect(w.df).toBeCloseTo(3.4482758620689653, 9);
    expect(w.p).toBeCloseTo(0.016099410777309156, 6);
    expect(welchGreater(b, a).p).toBeGreaterThan(0.95);
    expect(welchGreater([1, 1], [0, 0]).p).toBe(0);
    expect(Number.isNaN(welchGreater([1], [0, 0]).p)).toBe(true);
  });
});

const CONFIG: ExperimentConfig = {
  name: 'unit',
  seeds: [0, 1],
  datasets: { small: { data: 'mnist', trainSize: 100, epochs: 2 }, big: { data: 'fashion-mnist', epochs: 1, stage: 2 } },
  train: { 'batch-size': 10, augment: false },
  methods: [
    { id: 't', datasets: ['big'], seeds: [0], train: { model: 'vit' } },
    { id: 'vit/random', train: { model: 'vit', config: { embed_dim: 8 } } },
    { id: 'vit/ws', datasets: ['small'], select: { arch: 'vit', student: { depth: 1 } }, selectFrom: { method: 't', dataset: 'big', seed: 0 }, kdFrom: { method: 't', dataset: 'big', seed: 0 } },
    { id: 'vit/long', datasets: ['small'], scale: 2, train: { model: 'vit' } },
    { id: 'vit/ft', datasets: ['small'], initFrom: { method: 't', dataset: 'big', seed: 0 } },
  ],
};

describe('grid expansion', () => {
  it('flags become argv as typed; quoting is POSIX', () => {
    expect(flagsToArgv({ 'batch-size': 64, flip: false, 'linear-probe': true, config: { a: 1 } })).toEqual(['--batch-size', '64', '--no-flip', '--linear-probe', '--config', '{"a":1}']);
    expect(shellQuote(['wsel', 'train', '--config', '{"a":1}', "it's"])).toBe(`wsel train --config '{"a":1}' 'it'\\''s'`);
  });

  it('runs: ids, folders, commands, dependencies, order and steps', () => {
    const runs = planRuns(validateConfig(structuredClone(CONFIG)), 'res');
    expect(runs.map((r) => r.id)).toEqual([
      'small/vit/random/s0', 'small/vit/ws/s0', 'small/vit/long/s0', 'small/vit/ft/s0',
      'small/vit/random/s1', 'small/vit/ws/s1', 'small/vit/long/s1', 'small/vit/ft/s1',
      'big/t/s0', 'big/vit/random/s0', 'big/vit/random/s1',
    ]);
    const ws = runs.find((r) => r.id === 'small/vit/ws/s1')!;
    expect(ws.dir).toBe('res/small/vit/ws/s1');
    expect(ws.deps).toEqual(['big/t/s0', 'big/t/s0']);
    expect(ws.commands[0]).toEqual(['select', '--arch', 'vit', '--student', '{"depth":1}', '--teacher', 'res/big/t/s0/final.safetensors', '--out', 'res/small/vit/ws/s1/student.safetensors', '--seed', '1', '--no-progress']);
    expect(ws.commands[1]).toEqual(['train', '--batch-size', '10', '--no-augment', '--data', 'mnist', '--train-size', '100', '--epochs', '2',
      '--init', 'res/small/vit/ws/s1/student.safetensors', '--kd-teacher', 'res/big/t/s0/final.safetensors', '--seed', '1', '--out', 'res/small/vit/ws/s1', '--no-progress']);
    expect(ws.steps).toBe(20);
    expect(runs.find((r) => r.id === 'small/vit/long/s0')!.steps).toBe(40);
    expect(runs.find((r) => r.id === 'big/t/s0')!.steps).toBe(6000);
    expect(runs.find((r) => r.id === 'big/t/s0')!.needed).toBe(true);
    expect(runs.find((r) => r.id === 'small/vit/ft/s0')!.commands[0]).toContain('res/big/t/s0/final.safetensors');
  });

  it('{data} in a select flag is the dataset\'s data source', () => {
    const c = structuredClone(CONFIG);
    c.methods.push({ id: 'vit/act', select: { arch: 'vit', teacher: 't.safetensors', elements: 'activation', calib: '{data}:64' } });
    const runs = planRuns(validateConfig(c), 'res');
    expect(runs.find((r) => r.id === 'small/vit/act/s0')!.commands[0]).toContain('mnist:64');
    expect(runs.find((r) => r.id === 'big/vit/act/s0')!.commands[0]).toContain('fashion-mnist:64');
  });

  it('a validation split held out of a whole train split leaves fewer steps; one beside a train size does not', () => {
    const c = structuredClone(CONFIG);
    c.train = { ...c.train, 'val-size': 1000 };
    const runs = planRuns(validateConfig(c), 'res');
    expect(runs.find((r) => r.id === 'big/t/s0')!.steps).toBe(5900);
    expect(runs.find((r) => r.id === 'small/vit/random/s0')!.steps).toBe(20);
    expect(runs.find((r) => r.id === 'big/t/s0')!.commands[0]).toEqual(expect.arrayContaining(['--val-size', '1000']));
  });

  it('refuses references to runs the grid does not make', () => {
    const c = structuredClone(CONFIG);
    c.methods[2]!.kdFrom = { method: 't', dataset: 'small' };
    expect(() => planRuns(validateConfig(c), 'res')).toThrow(/needs small\/t\/s0, which the grid does not run/);
    expect(() => validateConfig({ ...CONFIG, seeds: [] })).toThrow(/seeds/);
  });

  it('refuses malformed configs with a message naming the field', () => {
    // `any`: each edit breaks the config's types on purpose.
    const bad = (edit: (c: any) => void): (() => unknown) => () => {
      const c = structuredClone(CONFIG) as any;
      edit(c);
      return validateConfig(c);
    };
    expect(bad((c) => { c.methods[2].kdFrom = c.methods[2].id; })).toThrow(/cycle: vit\/ws -> vit\/ws/);
    expect(bad((c) => { c.methods[0].kdFrom = c.methods[2].id; })).toThrow(/cycle: t -> vit\/ws -> t|cycle: vit\/ws -> t -> vit\/ws/);
    expect(bad((c) => { c.claims = { a: 1 }; })).toThrow(/"claims" must be a list/);
    expect(bad((c) => { c.methods[0].seeds = 3; })).toThrow(/"seeds" must be a non-empty list/);
    expect(bad((c) => { c.methods[0].stage = 'two'; })).toThrow(/"stage" must be an integer/);
    expect(bad((c) => { c.methods[0].datasets = 'small'; })).toThrow(/"datasets" must be a list/);
    expect(bad((c) => { c.methods[0].train = 'x'; })).toThrow(/"train" must be an object/);
    expect(bad((c) => { c.claims = [{ id: 'x', title: 't', pairs: [c.methods[0].id, c.methods[1].id] }]; })).toThrow(/pairs/);
    expect(bad((c) => { c.claims = [{ id: 'x', title: 't', kind: 'comparison', pairs: [] }]; })).toThrow(/"kind" must be/);
    expect(bad((c) => { c.claims = [{ id: 'x', title: 't', kind: 'trend', pairs: [[c.methods[0].id, c.methods[1].id]], datasets: ['small'] }]; })).toThrow(/at least 2/);
    expect(bad((c) => { c.claims = [{ id: 'x', title: 't', kind: 'compute', baselines: [c.methods[0].id] }]; })).toThrow(/"target"/);
    expect(bad((c) => { c.claims = [{ id: 'x', title: 't', kind: 'compute', target: c.methods[0].id, baselines: [c.methods[1].id], ratio: 'six' }]; })).toThrow(/"ratio"/);
    expect(bad((c) => { c.claims = [{ id: 'x | y', title: 't', pairs: [[c.methods[0].id, c.methods[1].id]] }]; })).toThrow(/"id"/);
    expect(bad((c) => { c.curves = [{ dataset: 'nope', methods: [] }]; })).toThrow(/curve/);
  });

  it('refuses keys the schema does not know, naming the closest known one', () => {
    const bad = (edit: (c: any) => void): (() => unknown) => () => {
      const c = structuredClone(CONFIG) as any;
      edit(c);
      return validateConfig(c, 'grid.json');
    };
    expect(bad((c) => { c.datasets.small.trainsize = 100; })).toThrow('grid.json: datasets.small: unknown key "trainsize" (did you mean "trainSize"?)');
    expect(bad((c) => { c.datasets.small.epochz = 3; })).toThrow(/datasets\.small: unknown key "epochz" \(did you mean "epochs"\?\)/);
    expect(bad((c) => { c.methods[1].tarin = {}; })).toThrow(/method "vit\/random": unknown key "tarin" \(did you mean "train"\?\)/);
    expect(bad((c) => { c.method = []; })).toThrow(/grid\.json: unknown key "method" \(did you mean "methods"\?\)/);
    expect(bad((c) => { c.methods[2].kdFrom = { method: 't', dataset: 'big', sead: 0 }; })).toThrow(/unknown key "sead" \(did you mean "seed"\?\)/);
    expect(bad((c) => { c.claims = [{ id: 'x', title: 't', pairs: [['t', 'vit/ws']], dataset: ['small'] }]; })).toThrow(/claim "x": unknown key "dataset" \(did you mean "datasets"\?\)/);
    expect(bad((c) => { c.curves = [{ dataset: 'small', methods: ['t'], titel: 'x' }]; })).toThrow(/curves\[0\]: unknown key "titel" \(did you mean "title"\?\)/);
  });

  it('a config file that is not JSON, or nests without end, is refused naming the file and the field', () => {
    const file = tmp.file('grid.json');
    writeFileSync(file, '{"name": "x",');
    expect(() => loadConfig(file)).toThrow(/grid\.json: not valid JSON \(/);
    writeFileSync(file, `{"name": "x", "methods": ${'['.repeat(200)}${']'.repeat(200)}}`);
    expect(() => loadConfig(file)).toThrow(/grid\.json: field "methods" nests deeper than 64 levels/);
  });

  it('the shipped grids pass the schema', () => {
    for (const file of ['experiments/claims.json', 'experiments/smoke.json']) expect(() => loadConfig(path.join(REPO_ROOT, file))).not.toThrow();
  });

  it('--only globs and --parts partitions', () => {
    const runs = planRuns(validateConfig(structuredClone(CONFIG)), 'res');
    const ids = (p: string) => runs.filter((r) => matchRun(p, r)).map((r) => r.id);
    expect(ids('small/vit/ws')).toEqual(['small/vit/ws/s0', 'small/vit/ws/s1']);
    expect(ids('*/vit/{ws,long}/s1')).toEqual(['small/vit/ws/s1', 'small/vit/long/s1']);
    expect(ids('**/s1')).toHaveLength(5);
    expect(ids('big/**,small/vit/ft/s0')).toEqual(['small/vit/ft/s0', 'big/t/s0', 'big/vit/random/s0', 'big/vit/random/s1']);
    const parts = [1, 2, 3].map((p) => partOf(runs, p, 3).map((r) => r.id));
    expect(parts.flat().sort()).toEqual(runs.map((r) => r.id).sort());
    expect(parts.every((p) => p.length > 0)).toBe(true);
  });
});

describe('rotation prediction data', () => {
  it('quarter turns: four make the identity, one turns counter-clockwise', () => {
    const img = Uint8Array.from([1, 2, 3, 4]); // [[1,2],[3,4]]
    const out = new Uint8Array(4);
    rotateQuarter(img, out, 1, 2, 1);
    expect([...out]).toEqual([2, 4, 1, 3]); // [[2,4],[1,3]]
    let x = Uint8Array.from({ length: 9 }, (_, i) => i);
    for (let k = 0; k < 4; k++) {
      const y = new Uint8Array(9);
      rotateQuarter(x, y, 1, 3, 1);
      x = y;
    }
    expect([...x]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    const s = rotationSplit({ images: img, labels: Uint8Array.from([7]), n: 1, height: 2, width: 2, channels: 1, classes: 10 });
    expect(s.n).toBe(4);
    expect([...s.labels]).toEqual([0, 1, 2, 3]);
    expect([...s.images.subarray(8, 12)]).toEqual([4, 3, 2, 1]);
  });
});
