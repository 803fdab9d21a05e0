// Runs a planned grid: each run's commands go to the real `wsel` CLI in a child process (so what ran is exactly
// what is printed and recorded), output to RUN/log.txt. Resumable: a run whose summary.json says it finished is
// skipped, an interrupted one continues with `train --resume`. Several parts may run at once: a run in
// progress is locked by a RUN/.lock folder, and a run waits for the runs it reads (in any part). A finished
// run that no longer matches the config (changedRuns) is never skipped silently.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { processExists } from '../checkpoint/node/files.js';
import { ExperimentError, shellQuote, type ExperimentConfig, type PlannedRun } from './config.js';

/** The `wsel` launcher of this package (bin/ sits two folders above src/experiment and dist/experiment). */
export const WSEL_BIN = fileURLToPath(new URL('../../bin/wsel.js', import.meta.url));

export const RESULTS_FILE = 'results.jsonl';
export const CONFIG_COPY = 'experiment.json';

export interface RunSummary {
  final_acc: number | null;
  final_val_acc?: number | null;
  interrupted: boolean;
  [k: string]: unknown;
}

export function readSummary(dir: string): RunSummary | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')) as RunSummary;
  } catch {
    return null;
  }
}

/** Finished: the trainer wrote summary.json for a run that was not interrupted. */
export function isFinished(dir: string): boolean {
  const s = readSummary(dir);
  return s !== null && !s.interrupted && s.final_acc !== null;
}

export interface RunRecord {
  id: string;
  method: string;
  dataset: string;
  seed: number;
  /** changed: finished, but no longer what the config asks for (see changedRuns); left out of reports. */
  status: 'done' | 'changed' | 'failed' | 'pending';
  dir: string;
  commands: string[];
  /** Test accuracy of the final model. */
  final_acc: number | null;
  /** Validation accuracy of the final model, for runs with --val-size (what a grid chooses on). */
  final_val_acc: number | null;
  parameters: number | null;
  steps: number | null;
  train_seconds: number | null;
  /** Wall time of all the run's commands (process start, data loading, selection, training, evaluation). */
  wall_seconds: number | null;
  ms_per_step: number | null;
  images_seen: number | null;
  error?: string;
  /** Why a finished run no longer matches the config. */
  changed?: string;
}

interface RunMeta {
  id: string;
  commands: string[];
  /** Each command's argv (JSON) with paths inside the results folder written relative to it (see runKey). */
  key?: string[];
  started: string;
  finished?: string;
  wall_seconds?: number;
  error?: string;
}

function readMeta(dir: string): RunMeta | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')) as RunMeta;
  } catch {
    return null;
  }
}

function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, typeof value === 'string' ? value : `${JSON.stringify(value, null, 2)}\n`);
  fs.renameSync(tmp, file);
}

/** A run's commands as printed and recorded in run.json. */
const printedCommands = (r: PlannedRun): string[] => r.commands.map((c) => shellQuote(['wsel', ...c]));

/**
 * What a run's commands mean, independent of how the results folder is spelled (relative, absolute, ./):
 * every path argument inside the folder is written as $ROOT/... Two runs with equal keys compute the same thing.
 */
export function runKey(r: PlannedRun): string[] {
  const root = path.resolve(r.root);
  return r.commands.map((argv) => JSON.stringify(argv.map((t) => {
    if (!t.includes('/') && !t.includes(path.sep)) return t;
    const rel = path.relative(root, path.resolve(t));
    return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? `$ROOT/${rel.split(path.sep).join('/')}` : t;
  })));
}

/**
 * Why a run's files (finished or interrupted) no longer follow from the config, or null: its commands changed,
 * or a run it starts from changed or was made again after it started. `reasonOf` gives the same for its
 * dependencies. Runs recorded without a key (older versions) are checked by their dependencies only.
 */
function staleReason(r: PlannedRun, index: Map<string, PlannedRun>, reasonOf: (dep: PlannedRun) => string | null): string | null {
  const meta = readMeta(r.dir);
  if (!meta) return null;
  if (meta.key && JSON.stringify(meta.key) !== JSON.stringify(runKey(r))) return 'its commands changed';
  for (const id of r.deps) {
    const dep = index.get(id);
    if (!dep) continue;
    if (reasonOf(dep)) return `${id} changed`;
    const depFinished = readMeta(dep.dir)?.finished;
    if (depFinished && depFinished > meta.started) return `${id} was made again after it`;
  }
  return null;
}

/**
 * Finished runs whose results no longer follow from the config, with the reason: their commands changed (the
 * config was edited), or a run they start from (KD teacher, pre-trained student) changed or was made again
 * after them. Skipping these would mix old results into the new grid.
 */
export function changedRuns(all: readonly PlannedRun[]): Map<string, string> {
  const index = new Map(all.map((r) => [r.id, r]));
  const memo = new Map<string, string | null>();
  const reasonOf = (r: PlannedRun): string | null => {
    if (memo.has(r.id)) return memo.get(r.id)!;
    memo.set(r.id, null);
    const reason = isFinished(r.dir) ? staleReason(r, index, reasonOf) : null;
    memo.set(r.id, reason);
    return reason;
  };
  const out = new Map<string, string>();
  for (const r of all) {
    const reason = reasonOf(r);
    if (reason) out.set(r.id, reason);
  }
  return out;
}

/** One line per planned run, from what is on disk (so parts running at once agree). */
export function collectRecords(runs: readonly PlannedRun[]): RunRecord[] {
  const changed = changedRuns(runs);
  return runs.map((r) => {
    const s = readSummary(r.dir);
    const meta = readMeta(r.dir);
    const done = s !== null && !s.interrupted && s.final_acc !== null;
    const num = (k: string): number | null => (s && typeof s[k] === 'number' ? (s[k] as number) : null);
    const steps = num('completed_steps');
    const batch = num('batch_size');
    return {
      id: r.id, method: r.method, dataset: r.dataset, seed: r.seed,
      status: changed.has(r.id) ? 'changed' : done ? 'done' : meta?.error ? 'failed' : 'pending',
      dir: r.dir, commands: meta?.commands ?? printedCommands(r),
      final_acc: done ? s!.final_acc : null, final_val_acc: done ? s!.final_val_acc ?? null : null,
      parameters: num('parameters'), steps, train_seconds: num('train_seconds'),
      wall_seconds: done ? meta?.wall_seconds ?? num('wall_seconds') : null,
      ms_per_step: num('ms_per_step'), images_seen: steps !== null && batch !== null ? steps * batch : null,
      ...(meta?.error && !done ? { error: meta.error } : {}),
      ...(changed.has(r.id) ? { changed: changed.get(r.id) } : {}),
    };
  });
}

export function writeResults(root: string, runs: readonly PlannedRun[]): RunRecord[] {
  const records = collectRecords(runs);
  fs.mkdirSync(root, { recursive: true });
  writeJsonAtomic(path.join(root, RESULTS_FILE), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return records;
}

export interface RunGridOptions {
  config: ExperimentConfig;
  /** The whole grid (for results.jsonl and dependencies). */
  all: PlannedRun[];
  /** The runs to do now (after --only / --parts). */
  selected: PlannedRun[];
  root: string;
  /** Stop at the first failure (default: go on with the runs that do not depend on it). */
  failFast?: boolean;
  /** Extra environment for the commands. */
  env?: NodeJS.ProcessEnv;
  /** Progress lines for the user. */
  log?: (line: string) => void;
  /** Checked between runs and polled during one: true stops (the child gets SIGINT and saves its state). */
  shouldStop?: () => boolean;
  /** Seconds to wait for a run that another part holds (default: forever). */
  lockWaitSeconds?: number;
  /** Clear and redo finished runs that no longer match the config (default: refuse to start; see changedRuns). */
  rerunChanged?: boolean;
}

export interface RunGridResult {
  ran: string[];
  skipped: string[];
  failed: string[];
  blocked: string[];
  stopped: boolean;
  records: RunRecord[];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function readOr(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function ageSeconds(file: string): number {
  try {
    return (Date.now() - fs.statSync(file).mtimeMs) / 1000;
  } catch {
    return 0;
  }
}

/** Take RUN/.lock (a folder: creating it is atomic); a lock whose process is gone is taken over. */
function tryLock(dir: string): boolean {
  const lock = path.join(dir, '.lock');
  fs.mkdirSync(dir, { recursive: true });
  try {
    fs.mkdirSync(lock);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    // The holder writes its pid right after creating the lock; a lock still without a valid pid after a few
    // seconds was left by a process that died in between.
    const text = readOr(path.join(lock, 'pid'));
    const pid = text && /^\d+$/.test(text.trim()) ? Number(text) : NaN;
    const abandoned = !(pid > 0) && ageSeconds(lock) > 10;
    if ((pid > 0 && !processExists(pid)) || abandoned) {
      // Two parts may find the same dead lock: moving it aside is atomic, so only one of them gets it, and a
      // lock that another part took over in the meantime (a different pid inside) is put back.
      const aside = `${lock}.stale-${process.pid}`;
      try {
        fs.renameSync(lock, aside);
      } catch {
        return false;
      }
      if (readOr(path.join(aside, 'pid')) !== text) {
        try {
          fs.renameSync(aside, lock);
        } catch { /* a third process holds it now */ }
        return false;
      }
      fs.rmSync(aside, { recursive: true, force: true });
      return tryLock(dir);
    }
    return false;
  }
  fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
  return true;
}

/**
 * Delete a changed run's files under its lock. Another part started at the same time may already be redoing it
 * (locked) or have redone it (started after `checkedAt`): then it is left alone.
 */
function clearChanged(r: PlannedRun, checkedAt: string, onClear: () => void): void {
  if (!tryLock(r.dir)) return;
  try {
    const meta = readMeta(r.dir);
    if (!isFinished(r.dir) || (meta && meta.started > checkedAt)) return;
    clearRunFiles(r.dir);
    onClear();
  } finally {
    unlock(r.dir);
  }
}

/** Delete everything in a run's folder but its lock (which the caller holds). */
function clearRunFiles(dir: string): void {
  for (const f of fs.readdirSync(dir)) if (f !== '.lock') fs.rmSync(path.join(dir, f), { recursive: true, force: true });
}

function unlock(dir: string): void {
  fs.rmSync(path.join(dir, '.lock'), { recursive: true, force: true });
}

/** The `wsel` processes running now, so that quitting the runner does not leave them behind. */
const running = new Set<ChildProcess>();

/** Quit now: a second SIGINT to every running command (which then exits at once, like a second Ctrl-C). */
export function quitRunningCommands(): void {
  for (const child of running) child.kill('SIGINT');
}

function runCommand(argv: string[], logFile: string, env: NodeJS.ProcessEnv, shouldStop: () => boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const fd = fs.openSync(logFile, 'a');
    fs.writeSync(fd, `$ ${shellQuote(['wsel', ...argv])}\n`);
    const child = spawn(process.execPath, [WSEL_BIN, ...argv], { stdio: ['ignore', fd, fd], env });
    running.add(child);
    child.on('exit', () => running.delete(child));
    let signalled = false;
    const timer = setInterval(() => {
      if (!signalled && shouldStop()) {
        signalled = true;
        child.kill('SIGINT');
      }
    }, 200);
    child.on('error', (e) => {
      clearInterval(timer);
      fs.closeSync(fd);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearInterval(timer);
      fs.closeSync(fd);
      resolve(code ?? (signal ? 128 + 2 : 1));
    });
  });
}

function tail(file: string, lines = 3): string {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join(' | ');
  } catch {
    return '';
  }
}

/** Files nobody reads once a run is finished (kept with keepCheckpoints). */
function prune(r: PlannedRun, keepAll: boolean): void {
  if (keepAll) return;
  const drop = ['last.safetensors', 'best.safetensors', 'student.safetensors', ...(r.needed ? [] : ['final.safetensors'])];
  for (const f of drop) fs.rmSync(path.join(r.dir, f), { force: true });
}

export async function runGrid(opts: RunGridOptions): Promise<RunGridResult> {
  const log = opts.log ?? (() => {});
  const stop = opts.shouldStop ?? (() => false);
  const env = { ...process.env, ...(opts.env ?? {}) };
  const index = new Map(opts.all.map((r) => [r.id, r]));
  const result: RunGridResult = { ran: [], skipped: [], failed: [], blocked: [], stopped: false, records: [] };
  const failed = new Set<string>();
  // The selected runs and everything they start from: none of it may be a stale result.
  const needed = new Set<string>();
  const visit = (r: PlannedRun): void => {
    if (needed.has(r.id)) return;
    needed.add(r.id);
    for (const d of r.deps) if (index.has(d)) visit(index.get(d)!);
  };
  opts.selected.forEach(visit);
  const checkedAt = new Date().toISOString();
  const changed = [...changedRuns(opts.all)].filter(([id]) => needed.has(id));
  if (changed.length && !opts.rerunChanged) {
    const list = changed.slice(0, 8).map(([id, why]) => `${id} (${why})`).join(', ');
    throw new ExperimentError(`${changed.length} finished run${changed.length > 1 ? 's' : ''} no longer match${changed.length > 1 ? '' : 'es'} the config: ${list}${changed.length > 8 ? ', ...' : ''}. `
      + 'Run again with --rerun-changed to clear and redo them (their old results are deleted), or restore the config.');
  }
  for (const [id, why] of changed) clearChanged(index.get(id)!, checkedAt, () => log(`${id}: ${why}; cleared, to be run again`));
  fs.mkdirSync(opts.root, { recursive: true });
  writeJsonAtomic(path.join(opts.root, CONFIG_COPY), opts.config);
  const total = opts.selected.length;
  let n = 0;

  // Run `r` (after its dependencies, which may belong to another part); true when it is finished.
  const ensure = async (r: PlannedRun, depth: number): Promise<boolean> => {
    if (isFinished(r.dir)) return true;
    if (failed.has(r.id)) return false;
    for (const dep of r.deps) {
      const d = index.get(dep);
      if (!d) throw new ExperimentError(`${r.id} depends on ${dep}, which is not in the grid`);
      if (!(await ensure(d, depth + 1))) {
        log(`  ${r.id}: blocked (${dep} did not finish)`);
        failed.add(r.id);
        result.blocked.push(r.id);
        return false;
      }
      if (stop()) return false;
    }
    const waitStart = Date.now();
    let announced = false;
    while (!tryLock(r.dir)) {
      if (!announced) log(`  ${r.id}: another process is running it (${path.join(r.dir, '.lock')}, pid ${readOr(path.join(r.dir, '.lock', 'pid'))?.trim() || '?'}); waiting`);
      announced = true;
      if (opts.lockWaitSeconds !== undefined && Date.now() - waitStart > opts.lockWaitSeconds * 1000) {
        result.blocked.push(r.id);
        return false;
      }
      if (stop()) return false;
      await sleep(2000);
    }
    try {
      if (isFinished(r.dir)) return true;
      const logFile = path.join(r.dir, 'log.txt');
      // An interrupted run continues only if it still computes what the config asks for (its dependencies
      // are finished and current by now); otherwise its partial files are discarded.
      const prev = readMeta(r.dir);
      const stale = prev ? staleReason(r, index, () => null) : null;
      if (stale) {
        clearRunFiles(r.dir);
        log(`  ${r.id}: ${stale}; its unfinished files were discarded`);
      }
      const resuming = fs.existsSync(path.join(r.dir, 'last.safetensors'));
      const started = resuming && prev ? prev.started : new Date().toISOString();
      const meta: RunMeta = { id: r.id, commands: printedCommands(r), key: runKey(r), started };
      writeJsonAtomic(path.join(r.dir, 'run.json'), meta);
      log(`${depth > 0 ? '  (dependency) ' : ''}${r.id}${resuming ? ' (resuming)' : ''}`);
      const t0 = performance.now();
      for (const argv of r.commands) {
        // A train that was interrupted continues; its select/prune output is still there.
        const isTrain = argv[0] === 'train';
        if (resuming && !isTrain && fs.existsSync(path.join(r.dir, 'student.safetensors'))) continue;
        const run = isTrain && resuming ? [...argv, '--resume'] : argv;
        log(`  $ ${shellQuote(['wsel', ...run])}`);
        const code = await runCommand(run, logFile, env, stop);
        if (code !== 0) {
          if (stop()) {
            result.stopped = true;
            log(`  stopped; ${r.id} continues with --resume next time`);
            return false;
          }
          meta.error = `wsel ${argv[0]} exited with ${code}: ${tail(logFile)}`;
          writeJsonAtomic(path.join(r.dir, 'run.json'), meta);
          log(`  FAILED: ${meta.error}`);
          failed.add(r.id);
          result.failed.push(r.id);
          return false;
        }
      }
      meta.finished = new Date().toISOString();
      meta.wall_seconds = (performance.now() - t0) / 1000;
      writeJsonAtomic(path.join(r.dir, 'run.json'), meta);
      prune(r, Boolean(opts.config.keepCheckpoints));
      result.ran.push(r.id);
      const s = readSummary(r.dir);
      log(`  done in ${meta.wall_seconds.toFixed(1)} s: accuracy ${s?.final_acc !== null && s?.final_acc !== undefined ? (100 * s.final_acc).toFixed(2) : '-'}%`);
      writeResults(opts.root, opts.all);
      return true;
    } finally {
      unlock(r.dir);
    }
  };

  for (const r of opts.selected) {
    n++;
    if (stop()) {
      result.stopped = true;
      break;
    }
    if (isFinished(r.dir)) {
      result.skipped.push(r.id);
      continue;
    }
    log(`[${n}/${total}]`);
    const ok = await ensure(r, 0);
    if (!ok && stop()) {
      result.stopped = true;
      break;
    }
    if (!ok && opts.failFast && (result.failed.length > 0 || result.blocked.length > 0)) break;
  }
  result.records = writeResults(opts.root, opts.all);
  return result;
}
