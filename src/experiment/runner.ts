// Scheduling a planned grid: runs in order, each after the runs it reads (in any part), each under its folder's
// lock (RUN/.lock), so several parts may run at once. Resumable: a finished run is skipped, an interrupted one
// continues with `train --resume`. A finished run that no longer matches the config (changedRuns) is never
// skipped silently: the runner refuses to start, or with rerunChanged clears and redoes it.
import fs from 'node:fs';
import path from 'node:path';
import { lockHolder, RUN_LOCK, tryLock, unlock } from '../run-folder/lock.js';
import { writeJsonAtomic } from '../run-folder/json-file.js';
import { changedRuns, runKey, staleReason } from './changes.js';
import { logTail, runCommand } from './commands.js';
import { ExperimentError, type ExperimentConfig } from './config.js';
import { printedCommands, shellQuote, type PlannedRun } from './plan.js';
import { CONFIG_COPY, writeResults, type RunRecord } from './results.js';
import { clearRunFiles, isFinished, pruneCheckpoints, readMeta, readSummary, writeMeta, type RunMeta } from './run-files.js';

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

const LOCK_POLL_MS = 2000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The runs and everything they start from. */
function withDependencies(runs: readonly PlannedRun[], index: Map<string, PlannedRun>): Set<string> {
  const needed = new Set<string>();
  const visit = (r: PlannedRun): void => {
    if (needed.has(r.id)) return;
    needed.add(r.id);
    for (const d of r.deps) if (index.has(d)) visit(index.get(d)!);
  };
  runs.forEach(visit);
  return needed;
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

class GridScheduler {
  private readonly log: (line: string) => void;
  private readonly stop: () => boolean;
  private readonly env: NodeJS.ProcessEnv;
  private readonly index: Map<string, PlannedRun>;
  private readonly failed = new Set<string>();
  readonly result: RunGridResult = { ran: [], skipped: [], failed: [], blocked: [], stopped: false, records: [] };

  constructor(private readonly opts: RunGridOptions) {
    this.log = opts.log ?? (() => {});
    this.stop = opts.shouldStop ?? (() => false);
    this.env = { ...process.env, ...(opts.env ?? {}) };
    this.index = new Map(opts.all.map((r) => [r.id, r]));
  }

  /** None of the selected runs, nor anything they start from, may be a stale result. */
  settleChangedRuns(): void {
    const needed = withDependencies(this.opts.selected, this.index);
    const checkedAt = new Date().toISOString();
    const changed = [...changedRuns(this.opts.all)].filter(([id]) => needed.has(id));
    if (changed.length && !this.opts.rerunChanged) {
      const list = changed.slice(0, 8).map(([id, why]) => `${id} (${why})`).join(', ');
      throw new ExperimentError(`${changed.length} finished run${changed.length > 1 ? 's' : ''} no longer match${changed.length > 1 ? '' : 'es'} the config: ${list}${changed.length > 8 ? ', ...' : ''}. `
        + 'Run again with --rerun-changed to clear and redo them (their old results are deleted), or restore the config.');
    }
    for (const [id, why] of changed) clearChanged(this.index.get(id)!, checkedAt, () => this.log(`${id}: ${why}; cleared, to be run again`));
  }

  async runSelected(): Promise<void> {
    const { selected } = this.opts;
    for (const [i, r] of selected.entries()) {
      if (this.stop()) {
        this.result.stopped = true;
        break;
      }
      if (isFinished(r.dir)) {
        this.result.skipped.push(r.id);
        continue;
      }
      this.log(`[${i + 1}/${selected.length}]`);
      const ok = await this.ensure(r, 0);
      if (!ok && this.stop()) {
        this.result.stopped = true;
        break;
      }
      if (!ok && this.opts.failFast && (this.result.failed.length > 0 || this.result.blocked.length > 0)) break;
    }
  }

  /** Run `r` (after its dependencies, which may belong to another part); true when it is finished. */
  private async ensure(r: PlannedRun, depth: number): Promise<boolean> {
    if (isFinished(r.dir)) return true;
    if (this.failed.has(r.id)) return false;
    if (!(await this.ensureDependencies(r, depth))) return false;
    if (!(await this.waitForLock(r))) return false;
    try {
      return isFinished(r.dir) || (await this.execute(r, depth));
    } finally {
      unlock(r.dir);
    }
  }

  private async ensureDependencies(r: PlannedRun, depth: number): Promise<boolean> {
    for (const dep of r.deps) {
      const d = this.index.get(dep);
      if (!d) throw new ExperimentError(`${r.id} depends on ${dep}, which is not in the grid`);
      if (!(await this.ensure(d, depth + 1))) {
        this.log(`  ${r.id}: blocked (${dep} did not finish)`);
        this.failed.add(r.id);
        this.result.blocked.push(r.id);
        return false;
      }
      if (this.stop()) return false;
    }
    return true;
  }

  /** Take the run's lock, waiting while another part holds it; false when stopped or out of patience. */
  private async waitForLock(r: PlannedRun): Promise<boolean> {
    const waitStart = Date.now();
    let announced = false;
    while (!tryLock(r.dir)) {
      if (!announced) this.log(`  ${r.id}: another process is running it (${path.join(r.dir, RUN_LOCK)}, pid ${lockHolder(r.dir) ?? '?'}); waiting`);
      announced = true;
      if (this.opts.lockWaitSeconds !== undefined && Date.now() - waitStart > this.opts.lockWaitSeconds * 1000) {
        this.result.blocked.push(r.id);
        return false;
      }
      if (this.stop()) return false;
      await sleep(LOCK_POLL_MS);
    }
    return true;
  }

  /** Run a run's commands (its lock held); true when it finished. */
  private async execute(r: PlannedRun, depth: number): Promise<boolean> {
    const logFile = path.join(r.dir, 'log.txt');
    // An interrupted run continues only if it still computes what the config asks for (its dependencies are
    // finished and current by now); otherwise its partial files are discarded.
    const prev = readMeta(r.dir);
    const stale = prev ? staleReason(r, this.index, () => null) : null;
    if (stale) {
      clearRunFiles(r.dir);
      this.log(`  ${r.id}: ${stale}; its unfinished files were discarded`);
    }
    const resuming = fs.existsSync(path.join(r.dir, 'last.safetensors'));
    const started = resuming && prev ? prev.started : new Date().toISOString();
    const meta: RunMeta = { id: r.id, commands: printedCommands(r), key: runKey(r), started };
    writeMeta(r.dir, meta);
    this.log(`${depth > 0 ? '  (dependency) ' : ''}${r.id}${resuming ? ' (resuming)' : ''}`);
    const t0 = performance.now();
    for (const argv of r.commands) {
      // A train that was interrupted continues; its select/prune output is still there.
      const isTrain = argv[0] === 'train';
      if (resuming && !isTrain && fs.existsSync(path.join(r.dir, 'student.safetensors'))) continue;
      const run = isTrain && resuming ? [...argv, '--resume'] : argv;
      this.log(`  $ ${shellQuote(['wsel', ...run])}`);
      const code = await runCommand(run, logFile, this.env, this.stop);
      if (code !== 0) {
        this.onCommandFailed(r, meta, argv[0]!, code, logFile);
        return false;
      }
    }
    meta.finished = new Date().toISOString();
    meta.wall_seconds = (performance.now() - t0) / 1000;
    writeMeta(r.dir, meta);
    pruneCheckpoints(r, Boolean(this.opts.config.keepCheckpoints));
    this.result.ran.push(r.id);
    const s = readSummary(r.dir);
    this.log(`  done in ${meta.wall_seconds.toFixed(1)} s: accuracy ${s?.final_acc !== null && s?.final_acc !== undefined ? (100 * s.final_acc).toFixed(2) : '-'}%`);
    writeResults(this.opts.root, this.opts.all);
    return true;
  }

  /** A command exited non-zero: stopped on request (resumable), or failed (recorded in run.json). */
  private onCommandFailed(r: PlannedRun, meta: RunMeta, command: string, code: number, logFile: string): void {
    if (this.stop()) {
      this.result.stopped = true;
      this.log(`  stopped; ${r.id} continues with --resume next time`);
      return;
    }
    meta.error = `wsel ${command} exited with ${code}: ${logTail(logFile)}`;
    writeMeta(r.dir, meta);
    this.log(`  FAILED: ${meta.error}`);
    this.failed.add(r.id);
    this.result.failed.push(r.id);
  }
}

export async function runGrid(opts: RunGridOptions): Promise<RunGridResult> {
  const scheduler = new GridScheduler(opts);
  scheduler.settleChangedRuns();
  fs.mkdirSync(opts.root, { recursive: true });
  writeJsonAtomic(path.join(opts.root, CONFIG_COPY), opts.config);
  await scheduler.runSelected();
  scheduler.result.records = writeResults(opts.root, opts.all);
  return scheduler.result;
}
