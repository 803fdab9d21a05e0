// The output folder of `wsel train`: locked while a run writes into it (a lock left by a dead process is taken
// over), `--out DIR --resume` alone continues a run from the settings it recorded, what a killed run leaves
// behind is cleaned up, and a damaged saved state is refused with the field named.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSafetensorsAll, openCheckpoint } from '../../src/checkpoint/node/open.js';
import { saveSafetensors } from '../../src/checkpoint/node/write.js';
import { TRAIN_STATE_KEY } from '../../src/training/checkpoint.js';
import { TRAIN_LOCK } from '../../src/training/run-output.js';
import { train } from '../../src/training/trainer.js';
import { makeTmpDir, REPO_ROOT, wsel } from '../helpers.js';
import { differing, snapshot, startWsel, TINY_VIT, tinyMnist } from './helpers.js';

const tmp = makeTmpDir('wsel-run-folder-');
afterAll(() => tmp.cleanup());

/** The pid of a process that has ended. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

const CONFIG = JSON.stringify({ img_size: 28, patch_size: 7, in_chans: 1, embed_dim: 16, depth: 1, num_heads: 2 });

describe('the run folder lock', () => {
  const common = { family: 'vit' as const, config: TINY_VIT, data: tinyMnist(32), batchSize: 16, steps: 2, evalEvery: 0, logEvery: 0 };

  it('a folder a live process holds is refused, and nothing is written', async () => {
    const dir = tmp.file('held');
    mkdirSync(path.join(dir, TRAIN_LOCK), { recursive: true });
    writeFileSync(path.join(dir, TRAIN_LOCK, 'pid'), String(process.pid)); // this test process: alive
    await expect(train({ ...common, out: dir })).rejects.toThrow(new RegExp(`is in use by another training run \\(pid ${process.pid}, .*\\); wait for it to end, or choose another out`));
    expect(readdirSync(dir)).toEqual([TRAIN_LOCK]);
  });

  it('the lock of a process that died is taken over, and released at the end', async () => {
    const dir = tmp.file('stale');
    mkdirSync(path.join(dir, TRAIN_LOCK), { recursive: true });
    writeFileSync(path.join(dir, TRAIN_LOCK, 'pid'), String(deadPid()));
    const r = await train({ ...common, out: dir });
    expect(r.summary.completed_steps).toBe(2);
    expect(existsSync(path.join(dir, TRAIN_LOCK))).toBe(false);
    expect(existsSync(path.join(dir, 'final.safetensors'))).toBe(true);
  });

  it('a refused request leaves no folder behind, and no lock', async () => {
    const dir = tmp.file('refused');
    await train({ ...common, out: dir, stopAfterSteps: 1 });
    await expect(train({ ...common, lr: 5e-4, out: dir, resume: true })).rejects.toThrow(/differs .* lr/);
    expect(existsSync(path.join(dir, TRAIN_LOCK))).toBe(false);
    const fresh = tmp.file('fresh-refused');
    await expect(train({ ...common, config: { ...TINY_VIT, embed_dim: 33 }, out: fresh })).rejects.toThrow(/not divisible/);
    expect(existsSync(fresh)).toBe(false);
  });

  it('wsel train: a second run into a folder in use gets a clear error and exit 1', async () => {
    const out = tmp.file('busy');
    const args = ['train', '--model', 'vit', '--config', CONFIG, '--data', 'mnist', '--train-size', '64', '--eval-size', '100',
      '--steps', '100000', '--batch-size', '16', '--eval-every', '0', '--out', out];
    const first = await startWsel(args, (stderr) => /model: /.test(stderr) && existsSync(path.join(out, TRAIN_LOCK, 'pid')));
    const second = wsel(...args);
    first.child.kill('SIGINT');
    await first.closed;
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`is in use by another training run \\(pid ${first.child.pid}, .*\\); wait for it to end, or choose another --out`));
    expect(existsSync(path.join(out, TRAIN_LOCK))).toBe(false);
  }, 60_000);
});

describe('resume from the recorded settings', () => {
  it('train({ out, resume }) alone continues a run to the same bits as an uninterrupted one', async () => {
    const opts = {
      family: 'vit' as const, config: TINY_VIT, data: 'mnist', trainSize: 64, evalSize: 50, batchSize: 16, epochs: 2, seed: 5,
      dropPath: 0.1, augment: { mixup: 0.5 }, logEvery: 0,
    };
    const full = await train({ ...opts, out: tmp.file('full') });
    const dir = tmp.file('cut');
    await train({ ...opts, out: dir, stopAfterSteps: 3 });
    const resumed = await train({ out: dir, resume: true });
    expect(resumed.interrupted).toBe(false);
    expect(differing(snapshot(full.model), snapshot(resumed.model))).toEqual([]);
    expect(resumed.summary.final_acc).toBe(full.summary.final_acc);
  });

  it('wsel train --out DIR --resume alone finishes the run; a flag that differs is refused', () => {
    const out = tmp.file('cli-resume');
    const base = ['--model', 'vit', '--config', CONFIG, '--data', 'mnist', '--train-size', '64', '--eval-size', '100', '--steps', '6', '--batch-size', '16'];
    const reference = tmp.file('cli-reference');
    expect(wsel('train', ...base, '--out', reference).code).toBe(0);
    // Interrupt after step 2 through the library, with exactly the options the command line passes, on the
    // engine the command line sets up (the same matrix-product backend and threads).
    const stop = spawnSync(process.execPath, ['--import', 'tsx', '-e', `
      (await import('./src/engine/node/install.ts')).installNodeEngine(process.env);
      const { train } = await import('./src/training/trainer.ts');
      await train({ family: 'vit', config: ${CONFIG}, data: 'mnist', trainSize: 64, evalSize: 100, steps: 6, batchSize: 16, out: ${JSON.stringify(out)}, stopAfterSteps: 2 });
    `], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(stop.status, stop.stderr).toBe(0);
    const differs = wsel('train', '--out', out, '--resume', '--lr', '5e-4');
    expect(differs.code).toBe(1);
    expect(differs.stderr).toMatch(/--resume: this run differs from the one in .* in lr \(0\.001 there, 0\.0005 now\)/);
    const r = wsel('train', '--out', out, '--resume');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/resumed from .*last\.safetensors at step 2 of 6/);
    const tensors = (dir: string) => {
      const reader = openCheckpoint(path.join(dir, 'final.safetensors'));
      try {
        return [...reader.tensors.keys()].map((n) => Buffer.from(reader.readBytes(n)).toString('base64'));
      } finally {
        reader.close();
      }
    };
    expect(tensors(out)).toEqual(tensors(reference));
    expect(JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')).final_acc)
      .toBe(JSON.parse(readFileSync(path.join(reference, 'summary.json'), 'utf8')).final_acc);
    const nothing = wsel('train', '--out', tmp.file('empty'), '--resume');
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toMatch(/--data is required \(.*empty holds no run to continue\)/);
  }, 120_000);
});

/** Rewrite a checkpoint with one metadata entry replaced. */
function withMetadata(file: string, key: string, value: string): void {
  const { metadata, tensors } = loadSafetensorsAll(file);
  saveSafetensors(file, [...tensors.values()], { ...metadata, [key]: value });
}

const metricLines = (dir: string): Record<string, unknown>[] =>
  readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('what a killed run leaves behind', () => {
  const opts = { family: 'vit' as const, config: TINY_VIT, data: tinyMnist(64), batchSize: 16, epochs: 2, logEvery: 1 };

  it('temp files of dead processes are removed, a cut metrics line is dropped, and the log matches an uninterrupted run', async () => {
    const full = await train({ ...opts, out: tmp.file('whole') });
    const dir = tmp.file('killed');
    await train({ ...opts, out: dir, stopAfterSteps: 3 });
    const dead = deadPid();
    const deadTemps = ['summary.json', 'metrics.jsonl', 'last.safetensors', 'best.safetensors', 'final.safetensors'].map((f) => `${f}.tmp-${dead}`);
    for (const f of deadTemps) writeFileSync(path.join(dir, f), 'half written');
    // A temp file of a live process (the one that started this test worker) is not touched.
    const liveTemp = `summary.json.tmp-${process.ppid}`;
    writeFileSync(path.join(dir, liveTemp), 'being written');
    writeFileSync(path.join(dir, 'metrics.jsonl'), `${readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')}{"type":"step","st`);
    await expect(train({ out: dir, resume: true })).rejects.toThrow(/data is required: the run in .*killed was given a loaded data set, which is not recorded/);
    const resumed = await train({ out: dir, resume: true, data: opts.data });
    expect(resumed.interrupted).toBe(false);
    const left = readdirSync(dir);
    for (const f of deadTemps) expect(left).not.toContain(f);
    expect(left).toContain(liveTemp);
    const timing = ({ images_per_s: _i, elapsed_s: _e, ...rest }: Record<string, unknown>) => rest;
    expect(metricLines(dir).map(timing)).toEqual(metricLines(tmp.file('whole')).map(timing));
    expect(resumed.summary.final_acc).toBe(full.summary.final_acc);
  });

  it('a damaged or hostile saved state is refused, naming the file and the field', async () => {
    const dir = tmp.file('damaged');
    await train({ ...opts, out: dir, stopAfterSteps: 2 });
    const last = path.join(dir, 'last.safetensors');
    const state = JSON.parse(loadSafetensorsAll(last).metadata[TRAIN_STATE_KEY]!) as Record<string, unknown>;
    const cases: [string, RegExp][] = [
      [JSON.stringify({ ...state, step: -1 }), /field "step" must be an integer >= 0/],
      [JSON.stringify({ ...state, step: 1e9 }), /field "step" must be at most identity.total_steps/],
      [JSON.stringify({ ...state, optimizer_steps: 'many' }), /field "optimizer_steps" must be an object of step counts/],
      [`{"step": ${'['.repeat(100)}${']'.repeat(100)}}`, /field "step" nests deeper than 64 levels/],
      ['{"step": 2', /not valid JSON/],
    ];
    for (const [text, problem] of cases) {
      withMetadata(last, TRAIN_STATE_KEY, text);
      const refused = train({ out: dir, resume: true, data: opts.data });
      await expect(refused).rejects.toThrow(new RegExp(`last\\.safetensors: metadata wsel\\.train_state ${problem.source}`));
    }
    expect(readdirSync(dir)).not.toContain(TRAIN_LOCK);
  });
});
