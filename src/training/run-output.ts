// A run's output folder (--out DIR): locked while a run writes into it (a second run into the same folder is
// refused; the lock of a process that died is taken over), the restore phase of a resumed run, and the files:
// last.safetensors (weights, AdamW moments and the run state, written atomically), best and final checkpoints,
// metrics.jsonl and summary.json.
import fs from 'node:fs';
import path from 'node:path';
import { removeDeadTemps } from '../checkpoint/node/files.js';
import { openCheckpoint } from '../checkpoint/node/open.js';
import { lockHolder, tryLock, unlock } from '../run-folder/lock.js';
import { writeJsonAtomic } from '../run-folder/json-file.js';
import { loadIntoModel, modelMetadata, OPTIMIZER_PREFIX, readFloat32, saveModel, TRAIN_STATE_KEY } from './checkpoint.js';
import { TrainingError } from './errors.js';
import type { EvalResult } from './evaluate.js';
import { MetricsLog } from './metrics.js';
import { OptionError, optionName, recordOptions, type RecordedOptions } from './options.js';
import { inputMetadata } from './recorded-input.js';
import { checkSameRun, freshState, parseTrainState, type TrainState } from './run-state.js';
import type { PreparedRun } from './setup.js';

/** The trainer's lock of its output folder (the experiment runner holds its own, RUN/.lock, around it). */
export const TRAIN_LOCK = '.train.lock';
const LAST = 'last.safetensors';
/** Every file a run writes (each through a temp file beside it, FILE.tmp-PID, renamed into place). */
const RUN_FILES = [LAST, 'best.safetensors', 'final.safetensors', 'metrics.jsonl', 'summary.json'];

/** The saved state in DIR/last.safetensors, or null when there is none. */
function readSavedState(dir: string): TrainState | null {
  const file = path.join(dir, LAST);
  if (!fs.existsSync(file)) return null;
  const r = openCheckpoint(file);
  try {
    const text = r.metadata[TRAIN_STATE_KEY];
    if (!text) throw new TrainingError(`${file}: no training state in its metadata`);
    return parseTrainState(text, (problem) => new TrainingError(`${file}: metadata ${TRAIN_STATE_KEY} ${problem}`));
  } finally {
    r.close();
  }
}

/** The options the run in DIR was started with, or null (no run there, or one saved by an older version). */
export function recordedOptionsIn(dir: string): RecordedOptions | null {
  return readSavedState(dir)?.options ?? null;
}

export class RunOutput {
  readonly metrics: MetricsLog;

  private constructor(readonly dir: string | null, private readonly created: boolean) {
    this.metrics = new MetricsLog(dir ? path.join(dir, 'metrics.jsonl') : null);
  }

  /** Lock DIR for this process (creating it); a folder another live process writes into is refused. No DIR: a run without files. */
  static claim(dir: string | null): RunOutput {
    if (dir === null) return new RunOutput(null, false);
    const existed = fs.existsSync(dir);
    if (!tryLock(dir, TRAIN_LOCK)) {
      throw new OptionError(`${dir} is in use by another training run (pid ${lockHolder(dir, TRAIN_LOCK) ?? '?'}, ${path.join(dir, TRAIN_LOCK)}); wait for it to end, or choose another ${optionName('out')}`);
    }
    // What a run killed mid-write left behind (its process is gone; the lock is ours).
    for (const f of RUN_FILES) removeDeadTemps(dir, `${f}.tmp-`);
    return new RunOutput(dir, !existed);
  }

  /** Unlock; a folder this run created and left empty (a refused request) is removed. */
  release(): void {
    if (this.dir === null) return;
    unlock(this.dir, TRAIN_LOCK);
    if (this.created && fs.readdirSync(this.dir).length === 0) fs.rmdirSync(this.dir);
  }

  /** The restore phase: a fresh state, or (resume) the saved one, loaded into the model and the optimizer. */
  restore(run: PreparedRun, log: (line: string) => void): { state: TrainState; resumed: boolean } {
    const fresh = freshState(run.identity, recordOptions(run.opts));
    const saved = this.dir === null ? null : readSavedState(this.dir);
    if (this.dir === null || saved === null) {
      if (this.dir !== null && run.opts.resume) log(`nothing to resume in ${this.dir}; starting`);
      return { state: fresh, resumed: false };
    }
    const file = path.join(this.dir, LAST);
    if (!run.opts.resume) throw new OptionError(`${this.dir} already holds a run (${LAST}); add ${optionName('resume')} to continue it, or choose another ${optionName('out')}`);
    checkSameRun(saved, run.identity, this.dir);
    const r = openCheckpoint(file);
    try {
      loadIntoModel(run.start.model, r);
      run.optimizer.importState(run.named, OPTIMIZER_PREFIX, saved.optimizer_steps, (n) => readFloat32(r, n));
    } finally {
      r.close();
    }
    // Runs saved by older versions chose "best" on the test split and recorded no options.
    const best = saved.best_val_acc === undefined ? { best_val_acc: null, best_epoch: null } : {};
    const state: TrainState = { ...saved, ...best, images_seen: saved.images_seen ?? 0, identity: run.identity, options: saved.options ?? fresh.options };
    log(`resumed from ${file} at step ${state.step} of ${run.schedule.totalSteps}`);
    return { state, resumed: true };
  }

  private metadata(run: PreparedRun, extra: Record<string, string> = {}): Record<string, string> {
    return modelMetadata(run.start.spec, {
      'wsel.init': run.o.initText, 'wsel.data': run.dataName, ...inputMetadata(run.data, run.start.spec), ...extra,
    });
  }

  /** DIR/last.safetensors: weights, AdamW state and the run state (always f32). */
  saveLast(run: PreparedRun, state: TrainState): void {
    if (this.dir === null) return;
    state.optimizer_steps = {};
    const exported = run.optimizer.exportState(run.named, OPTIMIZER_PREFIX);
    state.optimizer_steps = exported.steps;
    saveModel(path.join(this.dir, LAST), run.start.model, this.metadata(run, { [TRAIN_STATE_KEY]: JSON.stringify(state) }), { extra: exported.tensors });
  }

  /** DIR/best.safetensors: the model at the epoch with the best validation accuracy so far. */
  saveBest(run: PreparedRun, epoch: number, step: number, val: EvalResult): void {
    if (this.dir === null) return;
    const record = { epoch, step, val_accuracy: val.accuracy, val_loss: val.loss };
    saveModel(path.join(this.dir, 'best.safetensors'), run.start.model, this.metadata(run, { 'wsel.eval': JSON.stringify(record) }), { dtype: run.o.saveDtype });
  }

  saveFinal(run: PreparedRun, test: { accuracy: number | null; loss: number | null }): void {
    if (this.dir === null) return;
    saveModel(path.join(this.dir, 'final.safetensors'), run.start.model, this.metadata(run, { 'wsel.eval': JSON.stringify(test) }), { dtype: run.o.saveDtype });
  }

  writeSummary(summary: unknown): void {
    if (this.dir !== null) writeJsonAtomic(path.join(this.dir, 'summary.json'), summary);
  }
}
