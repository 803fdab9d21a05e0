// The headline from results on disk: a fake recipe grid whose validation and test accuracies are known, so the
// choice (made on validation only), the within-noise rule and the verdicts against the baselines can be checked.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze, buildHeadline, planRuns, renderHtml, renderMarkdown, shellQuote, validateConfig, type ExperimentConfig } from '../../src/experiment/index.js';
import { makeTmpDir } from '../helpers.js';

const tmp = makeTmpDir('wsel-headline-');
afterAll(() => tmp.cleanup());

const CONFIG: ExperimentConfig = {
  name: 'fake-recipes',
  seeds: [0, 1, 2],
  datasets: { a: { data: 'mnist', trainSize: 640, epochs: 1 }, b: { data: 'fashion-mnist', trainSize: 640, epochs: 1 } },
  train: { 'batch-size': 64, 'val-size': 100 },
  methods: [
    { id: 'paper', label: 'paper rule', select: { arch: 'vit', teacher: 't.safetensors' } },
    { id: 'good-val', label: 'best on validation', select: { arch: 'vit', teacher: 't.safetensors', heads: 'whole' } },
    { id: 'good-test', label: 'best on test only', select: { arch: 'vit', teacher: 't.safetensors', elements: 'first' } },
    { id: 'random', label: 'random init', train: { model: 'vit' } },
    { id: 'pruned', label: 'pruned', prune: { teacher: 't.safetensors', student: {} } },
  ],
  choices: [{ id: 'vit', title: 'ViT', candidates: ['paper', 'good-val', 'good-test'], reference: 'paper', baselines: ['random', 'pruned'] }],
  teacherQuality: [{ id: 'tq', title: 'teacher quality', baseline: 'random', points: [{ method: 'paper', teacher: 'final', teacherAccuracy: 0.85 }] }],
};

// [validation, test] accuracy per seed. good-test is best on the test split but not on validation: it must not be chosen.
const ACC: Record<string, [number, number][]> = {
  'a/paper': [[0.80, 0.80], [0.81, 0.81], [0.79, 0.79]],
  'a/good-val': [[0.90, 0.88], [0.91, 0.89], [0.92, 0.90]],
  'a/good-test': [[0.85, 0.99], [0.86, 0.99], [0.84, 0.98]],
  'a/random': [[0.60, 0.60], [0.62, 0.61], [0.61, 0.62]],
  'a/pruned': [[0.90, 0.895], [0.91, 0.885], [0.89, 0.89]],
  'b/paper': [[0.70, 0.70], [0.71, 0.71], [0.72, 0.72]],
  'b/good-val': [[0.75, 0.75], [0.76, 0.74], [0.74, 0.76]],
  'b/good-test': [[0.70, 0.95], [0.71, 0.96], [0.70, 0.95]],
  'b/random': [[0.80, 0.80], [0.81, 0.81], [0.82, 0.82]],
  'b/pruned': [[0.74, 0.74], [0.75, 0.76], [0.76, 0.75]],
};

function writeGrid(root: string, acc: Record<string, [number, number][]>, config = CONFIG): ExperimentConfig {
  const c = validateConfig(structuredClone(config));
  mkdirSync(root, { recursive: true });
  writeFileSync(path.join(root, 'experiment.json'), JSON.stringify(c));
  for (const r of planRuns(c, root)) {
    const v = acc[`${r.dataset}/${r.method}`]?.[r.seed];
    if (!v) continue;
    mkdirSync(r.dir, { recursive: true });
    writeFileSync(path.join(r.dir, 'summary.json'), JSON.stringify({ final_acc: v[1], final_val_acc: v[0], interrupted: false, completed_steps: r.steps, batch_size: 64, train_seconds: 1 }));
    writeFileSync(path.join(r.dir, 'run.json'), JSON.stringify({ id: r.id, commands: r.commands.map((x) => shellQuote(['wsel', ...x])), started: '', wall_seconds: 2 }));
  }
  return c;
}

describe('headline', () => {
  it('chooses on validation, never on test, and compares the choice on test with the reference and every baseline (Markdown and HTML)', async () => {
    const root = tmp.file('grid');
    writeGrid(root, ACC);
    const h = buildHeadline(analyze(root));
    const c = h.choices[0]!;
    expect(c.chosen!.method).toBe('good-val');
    expect(c.candidates.map((x) => x.method)).toEqual(['good-val', 'good-test', 'paper']);
    expect(c.chosen!.score).toBeCloseTo((0.91 + 0.75) / 2, 9);
    expect(c.separation!.withinNoise).toBe(false);
    const row = (d: string, b: string) => c.rows.find((r) => r.dataset === d && r.baseline === b)!;
    expect(row('a', 'paper').verdict).toBe('better');
    expect(row('a', 'random').verdict).toBe('better');
    expect(row('a', 'pruned').verdict).toBe('no significant difference');
    expect(row('b', 'random').verdict).toBe('worse');
    expect(row('b', 'random').diff).toBeCloseTo(0.75 - 0.81, 9);
    const t = h.teacherQuality[0]!.points.find((p) => p.dataset === 'a')!;
    expect(t.gain).toBeCloseTo(0.80 - 0.61, 9);
    const md = renderMarkdown(analyze(root), h);
    expect(md).toMatch(/## Headline: which selection recipe to use/);
    expect(md).toMatch(/\*\*best on validation\*\* \(`good-val`\), validation accuracy 83\.00%/);
    expect(md).toMatch(/\| a \| 89\.00 ± 1\.00 \| random init \| 61\.00 ± 1\.00 \| 0,1,2 \/ 0,1,2 \| \+28\.00 \| <0\.001 \| better \|/);
    expect(md).toMatch(/\| b \| 75\.00 ± 1\.00 \| random init \| 81\.00 ± 1\.00 \| 0,1,2 \/ 0,1,2 \| -6\.00 \| [\d.]+ \| worse \|/);
    expect(md.indexOf('## Headline')).toBeLessThan(md.indexOf('## Decision rule'));
    const html = await renderHtml(analyze(root), h);
    expect(html).toMatch(/<b>best on validation<\/b> \(<code>good-val<\/code>\)/);
    expect(html).toMatch(/<tr class="worse"><td>b<\/td><td>75\.00 ± 1\.00<\/td><td>random init<\/td>/);
    expect(html.indexOf('id="headline"')).toBeLessThan(html.indexOf('<h2>Decision rule</h2>'));
  });

  it('says when the top two are within noise, and chooses nothing until every candidate has every train set', () => {
    const close = { ...ACC, 'a/good-test': ACC['a/good-val']!.map(([v, t]) => [v - 0.001, t] as [number, number]), 'b/good-test': ACC['b/good-val']!.map(([v, t]) => [v + 0.0005, t] as [number, number]) };
    const root = tmp.file('close');
    writeGrid(root, close);
    const c = buildHeadline(analyze(root)).choices[0]!;
    expect(c.separation!.withinNoise).toBe(true);
    expect(renderMarkdown(analyze(root), buildHeadline(analyze(root)))).toMatch(/is within noise of it on validation/);
    const partial = tmp.file('partial');
    const { ['b/paper']: _dropped, ...rest } = ACC;
    writeGrid(partial, rest);
    const p = buildHeadline(analyze(partial)).choices[0]!;
    expect(p.chosen).toBeNull();
    expect(p.rows).toEqual([]);
  });

  it('refuses a choice naming an undeclared method', () => {
    const bad = structuredClone(CONFIG);
    bad.choices![0]!.baselines = ['nope'];
    expect(() => validateConfig(bad)).toThrow(/choices "vit": unknown method "nope"/);
    const badTq = structuredClone(CONFIG);
    badTq.teacherQuality![0]!.points = [{ method: 'paper', teacher: 'x', teacherAccuracy: 85 }];
    expect(() => validateConfig(badTq)).toThrow(/teacherAccuracy \(0\.\.1\)/);
  });

  it('refuses a key it does not know in a choice or a teacher point, naming the closest known one', () => {
    const typo = structuredClone(CONFIG) as unknown as { choices: Record<string, unknown>[] };
    typo.choices[0]!['baseline'] = typo.choices[0]!['baselines'];
    expect(() => validateConfig(typo)).toThrow(/choices "vit": unknown key "baseline" \(did you mean "baselines"\?\)/);
    const point = structuredClone(CONFIG) as unknown as { teacherQuality: { points: Record<string, unknown>[] }[] };
    point.teacherQuality[0]!.points[0]!['teacher_acc'] = 0.8;
    expect(() => validateConfig(point)).toThrow(/point: unknown key "teacher_acc"/);
  });
});
