// `wsel train`, `wsel eval` and `wsel prune` as users run them: exit codes, messages, files.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recipeFor } from '../../src/selection/recipes.js';
import { makeTmpDir, wsel } from '../helpers.js';
import { startWsel } from './helpers.js';

const tmp = makeTmpDir('wsel-train-cli-');
afterAll(() => tmp.cleanup());

const CONFIG = JSON.stringify({ img_size: 28, patch_size: 7, in_chans: 1, embed_dim: 16, depth: 1, num_heads: 2 });

describe('wsel train / eval / prune', () => {
  it('trains, writes its files, and eval reads the result back', () => {
    const out = tmp.file('run');
    const r = wsel('train', '--model', 'vit', '--config', CONFIG, '--data', 'mnist', '--train-size', '64', '--eval-size', '100',
      '--steps', '4', '--batch-size', '16', '--out', out);
    expect(r.stderr).toMatch(/init: random \(timm, seed 0\)/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/4\/4 steps on 64 mnist images/);
    for (const f of ['summary.json', 'metrics.jsonl', 'last.safetensors', 'final.safetensors']) expect(existsSync(path.join(out, f))).toBe(true);
    // Without a validation split nothing is chosen, so there is no best.safetensors.
    expect(existsSync(path.join(out, 'best.safetensors'))).toBe(false);
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
    const e = wsel('eval', '--checkpoint', path.join(out, 'final.safetensors'), '--data', 'mnist', '--eval-size', '100', '--json');
    expect(e.code).toBe(0);
    const res = JSON.parse(e.stdout);
    expect(res.accuracy).toBe(summary.final_acc);
    expect(res.per_class).toHaveLength(10);
    // The confusion matrix: rows are true classes, its diagonal the correct answers, its rows the class totals.
    expect(res.confusion).toHaveLength(10);
    res.confusion.forEach((row: number[], i: number) => {
      expect(row[i]).toBe(res.per_class[i].correct);
      expect(row.reduce((a, c) => a + c, 0)).toBe(res.per_class[i].total);
    });
    const text = wsel('eval', '--checkpoint', path.join(out, 'final.safetensors'), '--data', 'mnist', '--eval-size', '100');
    expect(text.stdout).toMatch(/confusion matrix \(rows: true class, columns: predicted class\)\n {6}0 +1 +2 +3 +4 +5 +6 +7 +8 +9\n  0 +\d+/);
    const again = wsel('train', '--model', 'vit', '--config', CONFIG, '--data', 'mnist', '--train-size', '64', '--steps', '4', '--out', out);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already holds a run .*--resume/);
  });

  it('--val-size holds out training images, reports them apart from the test images and picks best.safetensors on them', () => {
    const out = tmp.file('val');
    const r = wsel('train', '--model', 'vit', '--config', CONFIG, '--data', 'mnist', '--train-size', '64', '--val-size', '50',
      '--eval-size', '100', '--epochs', '2', '--batch-size', '16', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/final test accuracy [\d.]+% .* on 100 test images/);
    expect(r.stdout).toMatch(/validation \(50 training images held out\): final [\d.]+%, best [\d.]+% at epoch [12]/);
    expect(existsSync(path.join(out, 'best.safetensors'))).toBe(true);
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ train_size: 64, val_size: 50, eval_size: 100 });
    expect(typeof summary.final_val_acc).toBe('number');
    const bad = wsel('train', '--model', 'vit', '--config', CONFIG, '--data', 'mnist', '--val-size', '0', '--out', tmp.file('val-bad'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--val-size must be an integer >= 1/);
  });

  it('eval sees images at the side the model was trained at', () => {
    const out = tmp.file('convnext64');
    const config = JSON.stringify({ in_chans: 1, depths: [1, 1], dims: [8, 16] });
    const r = wsel('train', '--model', 'convnext', '--config', config, '--data', 'mnist', '--train-size', '64', '--eval-size', '200',
      '--steps', '3', '--batch-size', '16', '--img-size', '64', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
    const e = wsel('eval', '--checkpoint', path.join(out, 'final.safetensors'), '--data', 'mnist', '--eval-size', '200', '--json');
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout).accuracy).toBe(summary.final_acc);
    expect(JSON.parse(e.stdout).loss).toBeCloseTo(summary.final_loss, 5);
  });

  it('bad flags exit 2, bad configs / data / checkpoints exit 1, and nothing is written', () => {
    const out = tmp.file('never');
    const cases: [string[], number, RegExp][] = [
      [['--model', 'resnet', '--data', 'mnist'], 2, /--model must be a family \(vit, convnext, mixer\) or a timm model name; got "resnet"/],
      [['--data', 'mnist'], 2, /--model is required with a random --init/],
      [['--model', 'vit', '--data', 'mnist', '--epochs', '0'], 2, /--epochs must be an integer >= 1/],
      [['--model', 'vit', '--data', 'mnist', '--config', '{"embed_dim":'], 2, /--config: not valid JSON/],
      [['--model', 'vit', '--data', 'mnist', '--config', '{"embed_dim":30,"num_heads":4}'], 1, /bad model config: embed_dim 30 is not divisible by num_heads 4/],
      [['--model', 'vit', '--data', 'mnist', '--config', '{"depht":2}'], 1, /depht/],
      [['--model', 'vit', '--data', tmp.file('missing-folder')], 1, /--data .*missing-folder/],
      [['--init', tmp.file('missing.safetensors'), '--data', 'mnist'], 1, /missing\.safetensors: no such file/],
      [['--model', 'vit', '--data', 'mnist', '--no-augment', '--mixup', '0.8', '--flip'], 2, /--no-augment turns off --flip, --mixup; give one or the other/],
      [['--model', 'vit', '--data', 'mnist', '--kd-alpha', '0.7'], 2, /--kd-temperature and --kd-alpha need --kd-teacher/],
      // Checks the library makes are worded with the flags at the command line.
      [['--model', 'vit', '--config', CONFIG, '--data', 'mnist', '--lr', '1e-4', '--min-lr', '1e-3'], 1, /--min-lr must be in \[0, --lr\], got 0\.001/],
      [['--model', 'vit', '--config', CONFIG, '--data', 'mnist', '--train-size', '59000', '--val-size', '2000'], 1, /--train-size 59000 and --val-size 2000 need 61000 training images/],
      [['--model', 'convnext', '--config', '{"depths":[1,1,1,1],"dims":[8,8,8,8]}', '--data', 'mnist', '--img-size', '28'], 1, /use --img-size 32 or more/],
      [['--model', 'vit', '--data', 'mnist', '--init', 'random:glorot'], 1, /--init random:glorot: unknown scheme/],
    ];
    for (const [args, code, message] of cases) {
      const r = wsel('train', ...args, '--out', out);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.code, args.join(' ')).toBe(code);
    }
    expect(existsSync(out)).toBe(false);
    const e = wsel('eval', '--checkpoint', tmp.file('missing.safetensors'), '--data', 'mnist');
    expect(e.code).toBe(1);
    const p = wsel('prune', '--teacher', tmp.file('missing.safetensors'), '--out', tmp.file('p.safetensors'));
    expect(p.code).toBe(2);
    expect(p.stderr).toMatch(/exactly one of --params N and --student JSON/);
  });

  it('Ctrl-C stops training after the current step, saves last.safetensors and exits 130', async () => {
    const out = tmp.file('interrupted');
    const args = ['train', '--model', 'vit', '--config', CONFIG, '--data', 'mnist', '--train-size', '64', '--eval-size', '100',
      '--steps', '100000', '--batch-size', '16', '--eval-every', '0', '--out', out];
    // Signal once training is under way (the init line is printed before the first step).
    const run = await startWsel(args, (stderr) => /init: /.test(stderr));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    run.child.kill('SIGINT');
    const code = await run.closed;
    expect(run.stderr()).toMatch(/stopping after this step/);
    expect(code).toBe(130);
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
    expect(summary.interrupted).toBe(true);
    expect(summary.completed_steps).toBeGreaterThan(0);
    expect(summary.completed_steps).toBeLessThan(100000);
    expect(existsSync(path.join(out, 'last.safetensors'))).toBe(true);
  }, 60_000);

  it('demo names a missing teacher and how to make it', () => {
    const r = wsel('demo', '--teacher', tmp.file('none.safetensors'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/none\.safetensors is missing; train it with scripts\/train-teacher\.sh/);
    const used = tmp.file('used-keep');
    mkdirSync(used);
    writeFileSync(path.join(used, 'mine.txt'), 'not the demo\'s');
    const keep = wsel('demo', '--keep', used);
    expect(keep.code).toBe(2);
    expect(keep.stderr).toMatch(/--keep .*used-keep: give a new or empty folder/);
    expect(readFileSync(path.join(used, 'mine.txt'), 'utf8')).toBe('not the demo\'s');
  });

  it('demo selects with the default recipe (the evidence\'s best) unless told --recipe reference', () => {
    const run = (...extra: string[]) => {
      const r = wsel('demo', '--train-size', '64', '--epochs', '1', '--eval-size', '50', '--json', ...extra);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { recipe: Record<string, string>; runs: { acc: number }[] };
    };
    const best = run();
    expect(best.recipe).toEqual({ name: 'best', ...recipeFor('best', 'vit') });
    expect(run('--recipe', 'reference').recipe).toEqual({ name: 'reference', elements: 'uniform', layers: 'first', heads: 'flat' });
    expect(best.runs).toHaveLength(2);
  }, 120_000);

  it('--help teaches with examples', () => {
    for (const cmd of ['train', 'eval', 'prune']) {
      const r = wsel(cmd, '--help');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Examples:/);
    }
  });
});
